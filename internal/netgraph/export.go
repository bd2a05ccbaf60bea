package netgraph

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"io"
	"strconv"

	"kokeilu/internal/export"
	"kokeilu/internal/scalar"
)

// The writers stream: each node and edge is written as it is reached, into
// a buffered writer, so memory stays bounded by the graph itself (already
// in the cache), never by the document.

// xmlWriter writes escaped text and remembers the first error.
type xmlWriter struct {
	w   *bufio.Writer
	err error
}

func (x *xmlWriter) raw(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

func (x *xmlWriter) text(s string) {
	if x.err == nil {
		x.err = xml.EscapeText(x.w, []byte(s))
	}
}

// attr writes ` name="value"`.
func (x *xmlWriter) attr(name, value string) {
	x.raw(" " + name + `="`)
	x.text(value)
	x.raw(`"`)
}

func (x *xmlWriter) flush() error {
	if x.err != nil {
		return x.err
	}
	return x.w.Flush()
}

// graphMLType is the GraphML attr.type of a node or edge attribute.
func graphMLType(key string) string {
	if key == "weight" {
		return "double"
	}
	return "string"
}

// WriteGraphML writes g as GraphML (http://graphml.graphdrawing.org): keys
// declared first, nodes by their global IDs, directed edges as stored
// (participant → pilot, member → network, link source → target).
func WriteGraphML(w io.Writer, g *Graph) error {
	x := &xmlWriter{w: bufio.NewWriterSize(w, 64<<10)}
	x.raw(xml.Header)
	x.raw(`<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">` + "\n")
	for _, k := range NodeAttrKeys {
		x.raw(`  <key id="n_` + k + `" for="node" attr.name="` + k + `" attr.type="` + graphMLType(k) + `"/>` + "\n")
	}
	for _, k := range EdgeAttrKeys {
		x.raw(`  <key id="e_` + k + `" for="edge" attr.name="` + k + `" attr.type="` + graphMLType(k) + `"/>` + "\n")
	}
	x.raw(`  <graph id="kokeilu" edgedefault="directed">` + "\n")
	ids := globalIDs(g)
	for i := range g.Nodes {
		n := &g.Nodes[i]
		x.raw("    <node")
		x.attr("id", ids[i])
		x.raw(">")
		for _, a := range n.Attrs() {
			if a.Value != "" {
				x.raw(`<data key="n_` + a.Key + `">`)
				x.text(a.Value)
				x.raw("</data>")
			}
		}
		x.raw("</node>\n")
	}
	// Edges are most of the document: written piece by piece into a
	// reused scratch buffer, so a 300,000-edge export allocates little.
	var buf []byte
	for i := range g.Edges {
		e := &g.Edges[i]
		buf = append(buf[:0], `    <edge id="e`...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, `" source="`...)
		buf = append(buf, ids[g.ends[i][0]]...) // base64url: nothing to escape
		buf = append(buf, `" target="`...)
		buf = append(buf, ids[g.ends[i][1]]...)
		buf = append(buf, `"><data key="e_kind">`...)
		buf = append(buf, e.Kind...)
		buf = append(buf, `</data><data key="e_weight">`...)
		buf = strconv.AppendFloat(buf, e.Weight, 'g', -1, 64)
		buf = append(buf, `</data>`...)
		if e.ValidFrom != nil {
			buf = e.ValidFrom.AppendFormat(append(buf, `<data key="e_validFrom">`...), scalar.DateLayout)
			buf = append(buf, `</data>`...)
		}
		if e.ValidTo != nil {
			buf = e.ValidTo.AppendFormat(append(buf, `<data key="e_validTo">`...), scalar.DateLayout)
			buf = append(buf, `</data>`...)
		}
		buf = append(buf, "</edge>\n"...)
		if x.err == nil {
			_, x.err = x.w.Write(buf)
		}
	}
	x.raw("  </graph>\n</graphml>\n")
	return x.flush()
}

// WriteGEXF writes g as GEXF 1.2 (Gephi's format, read by NetworkX too):
// attributes declared per class, nodes by their global IDs with label,
// edges with weight; dated nodes and edges carry start/end so Gephi's
// timeline can play the network over the years.
func WriteGEXF(w io.Writer, g *Graph) error {
	x := &xmlWriter{w: bufio.NewWriterSize(w, 64<<10)}
	x.raw(xml.Header)
	x.raw(`<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">` + "\n")
	x.raw("  <meta><creator>Kokeilu</creator><description>Network of municipalities, organisations, networks and pilots</description></meta>\n")
	x.raw(`  <graph defaultedgetype="directed" mode="dynamic" timeformat="date">` + "\n")
	x.raw(`    <attributes class="node" mode="static">` + "\n")
	for i, k := range NodeAttrKeys {
		x.raw(`      <attribute id="` + strconv.Itoa(i) + `" title="` + k + `" type="string"/>` + "\n")
	}
	x.raw("    </attributes>\n")
	x.raw(`    <attributes class="edge" mode="static">` + "\n")
	for i, k := range EdgeAttrKeys {
		t := "string"
		if k == "weight" {
			t = "double"
		}
		x.raw(`      <attribute id="` + strconv.Itoa(i) + `" title="` + k + `" type="` + t + `"/>` + "\n")
	}
	x.raw("    </attributes>\n    <nodes>\n")
	ids := globalIDs(g)
	for i := range g.Nodes {
		n := &g.Nodes[i]
		x.raw("      <node")
		x.attr("id", ids[i])
		x.attr("label", n.Label)
		if n.StartsOn != nil {
			x.attr("start", formatDate(n.StartsOn))
		}
		if n.EndsOn != nil {
			x.attr("end", formatDate(n.EndsOn))
		}
		x.raw("><attvalues>")
		writeAttValues(x, n.Attrs())
		x.raw("</attvalues></node>\n")
	}
	x.raw("    </nodes>\n    <edges>\n")
	for i := range g.Edges {
		e := &g.Edges[i]
		x.raw(`      <edge id="` + strconv.Itoa(i) + `"`)
		x.attr("source", ids[g.ends[i][0]])
		x.attr("target", ids[g.ends[i][1]])
		x.attr("label", string(e.Kind))
		x.attr("weight", strconv.FormatFloat(e.Weight, 'g', -1, 64))
		if e.ValidFrom != nil {
			x.attr("start", formatDate(e.ValidFrom))
		}
		if e.ValidTo != nil {
			x.attr("end", formatDate(e.ValidTo))
		}
		x.raw("><attvalues>")
		writeAttValues(x, e.Attrs())
		x.raw("</attvalues></edge>\n")
	}
	x.raw("    </edges>\n  </graph>\n</gexf>\n")
	return x.flush()
}

// globalIDs are the nodes' global IDs by position, encoded once per export
// rather than at every edge end.
func globalIDs(g *Graph) []string {
	ids := make([]string, len(g.Nodes))
	for i := range g.Nodes {
		ids[i] = g.Nodes[i].GlobalID()
	}
	return ids
}

func writeAttValues(x *xmlWriter, attrs []Attr) {
	for i, a := range attrs {
		if a.Value == "" {
			continue
		}
		x.raw(`<attvalue for="` + strconv.Itoa(i) + `"`)
		x.attr("value", a.Value)
		x.raw("/>")
	}
}

// NodesCSVHeader and EdgesCSVHeader are the CSV columns.
var (
	NodesCSVHeader = append([]string{"id"}, NodeAttrKeys...)
	EdgesCSVHeader = append([]string{"source", "target"}, EdgeAttrKeys...)
)

// WriteNodesCSV writes one row per node: id (global), then NodeAttrKeys.
func WriteNodesCSV(w io.Writer, g *Graph) error {
	c := export.NewCSV(w) // cells neutralised against CSV injection
	_ = c.Write(NodesCSVHeader)
	row := make([]string, len(NodesCSVHeader))
	for i := range g.Nodes {
		row[0] = g.Nodes[i].GlobalID()
		for j, a := range g.Nodes[i].Attrs() {
			row[j+1] = a.Value
		}
		if err := c.Write(row); err != nil {
			return err
		}
	}
	return c.Flush()
}

// WriteEdgesCSV writes one row per edge: source, target (global IDs), then
// EdgeAttrKeys.
func WriteEdgesCSV(w io.Writer, g *Graph) error {
	c := export.NewCSV(w)
	_ = c.Write(EdgesCSVHeader)
	row := make([]string, len(EdgesCSVHeader))
	ids := globalIDs(g)
	for i := range g.Edges {
		e := &g.Edges[i]
		row[0], row[1] = ids[g.ends[i][0]], ids[g.ends[i][1]]
		for j, a := range e.Attrs() {
			row[j+2] = a.Value
		}
		if err := c.Write(row); err != nil {
			return err
		}
	}
	return c.Flush()
}

// WriteZip writes nodes.csv and edges.csv into one zip archive.
func WriteZip(w io.Writer, g *Graph) error {
	z := zip.NewWriter(w)
	for _, f := range []struct {
		name  string
		write func(io.Writer, *Graph) error
	}{{"nodes.csv", WriteNodesCSV}, {"edges.csv", WriteEdgesCSV}} {
		fw, err := z.Create(f.name)
		if err != nil {
			return err
		}
		if err := f.write(fw, g); err != nil {
			return err
		}
	}
	return z.Close()
}
