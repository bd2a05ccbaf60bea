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

// xmlType is an attribute type as GraphML (attr.type) and GEXF (type) both
// name it; NetworkX reads long as int and double as float.
func xmlType(t AttrType) string {
	switch t {
	case Integer:
		return "long"
	case Number:
		return "double"
	}
	return "string"
}

// WriteGraphML writes g as GraphML (http://graphml.graphdrawing.org): keys
// declared first with their types, nodes by their global IDs, edges by
// their stable ids (Edge.ID). The graph is undirected (edgedefault); each
// edge is written source → target as stored (participant → pilot, member →
// network, link source → target), so kind tells the roles apart.
func WriteGraphML(w io.Writer, g *Graph) error {
	x := &xmlWriter{w: bufio.NewWriterSize(w, 64<<10)}
	x.raw(xml.Header)
	x.raw(`<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">` + "\n")
	for _, k := range NodeAttrs {
		x.raw(`  <key id="n_` + k.Key + `" for="node" attr.name="` + k.Key + `" attr.type="` + xmlType(k.Type) + `"/>` + "\n")
	}
	for _, k := range EdgeAttrs {
		x.raw(`  <key id="e_` + k.Key + `" for="edge" attr.name="` + k.Key + `" attr.type="` + xmlType(k.Type) + `"/>` + "\n")
	}
	x.raw(`  <graph id="kokeilu" edgedefault="undirected">` + "\n")
	ids := globalIDs(g)
	var attrs []Attr
	for i := range g.Nodes {
		n := &g.Nodes[i]
		x.raw("    <node")
		x.attr("id", ids[i])
		x.raw(">")
		attrs = n.appendAttrs(attrs[:0])
		for _, a := range attrs {
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
		s, t := ids[g.ends[i][0]], ids[g.ends[i][1]] // base64url: nothing to escape
		buf = e.appendID(append(buf[:0], `    <edge id="`...), s, t)
		buf = append(buf, `" source="`...)
		buf = append(buf, s...)
		buf = append(buf, `" target="`...)
		buf = append(buf, t...)
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
// an undirected graph, attributes declared per class with their types,
// nodes by their global IDs with label, edges by their stable ids with
// weight; dated nodes and edges carry start/end so Gephi's timeline can
// play the network over the years.
func WriteGEXF(w io.Writer, g *Graph) error {
	x := &xmlWriter{w: bufio.NewWriterSize(w, 64<<10)}
	x.raw(xml.Header)
	x.raw(`<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">` + "\n")
	x.raw("  <meta><creator>Kokeilu</creator><description>Network of municipalities, organisations, networks, pilots and operating models</description></meta>\n")
	x.raw(`  <graph defaultedgetype="undirected" mode="dynamic" timeformat="date">` + "\n")
	for _, class := range []struct {
		name  string
		attrs []AttrSpec
	}{{"node", NodeAttrs}, {"edge", EdgeAttrs}} {
		x.raw(`    <attributes class="` + class.name + `" mode="static">` + "\n")
		for i, k := range class.attrs {
			x.raw(`      <attribute id="` + strconv.Itoa(i) + `" title="` + k.Key + `" type="` + xmlType(k.Type) + `"/>` + "\n")
		}
		x.raw("    </attributes>\n")
	}
	x.raw("    <nodes>\n")
	ids := globalIDs(g)
	var attrs []Attr
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
		attrs = n.appendAttrs(attrs[:0])
		writeAttValues(x, attrs)
		x.raw("</attvalues></node>\n")
	}
	x.raw("    </nodes>\n    <edges>\n")
	var buf []byte
	for i := range g.Edges {
		e := &g.Edges[i]
		s, t := ids[g.ends[i][0]], ids[g.ends[i][1]]
		buf = e.appendID(buf[:0], s, t)
		x.raw(`      <edge id="` + string(buf) + `"`)
		x.attr("source", s)
		x.attr("target", t)
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
	NodesCSVHeader = append([]string{"id"}, keys(NodeAttrs)...)
	EdgesCSVHeader = append([]string{"id", "source", "target"}, keys(EdgeAttrs)...)
)

func keys(specs []AttrSpec) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.Key
	}
	return out
}

// WriteNodesCSV writes one row per node: id (global), then NodeAttrs.
func WriteNodesCSV(w io.Writer, g *Graph) error {
	c := export.NewCSV(w) // cells neutralised against CSV injection
	_ = c.Write(NodesCSVHeader)
	row := make([]string, len(NodesCSVHeader))
	var attrs []Attr
	for i := range g.Nodes {
		row[0] = g.Nodes[i].GlobalID()
		attrs = g.Nodes[i].appendAttrs(attrs[:0])
		for j, a := range attrs {
			row[j+1] = a.Value
		}
		if err := c.Write(row); err != nil {
			return err
		}
	}
	return c.Flush()
}

// WriteEdgesCSV writes one row per edge: id (Edge.ID), source, target
// (global IDs), then EdgeAttrs.
func WriteEdgesCSV(w io.Writer, g *Graph) error {
	c := export.NewCSV(w)
	_ = c.Write(EdgesCSVHeader)
	row := make([]string, len(EdgesCSVHeader))
	ids := globalIDs(g)
	var buf []byte
	for i := range g.Edges {
		e := &g.Edges[i]
		row[1], row[2] = ids[g.ends[i][0]], ids[g.ends[i][1]]
		buf = e.appendID(buf[:0], row[1], row[2])
		row[0] = string(buf)
		for j, a := range e.Attrs() {
			row[j+3] = a.Value
		}
		if err := c.Write(row); err != nil {
			return err
		}
	}
	return c.Flush()
}

// WriteZip writes nodes.csv, edges.csv and datapackage.json (a
// Frictionless Data Package describing both) into one zip archive.
func WriteZip(w io.Writer, g *Graph) error {
	z := zip.NewWriter(w)
	for _, f := range []struct {
		name  string
		write func(io.Writer, *Graph) error
	}{{"datapackage.json", WriteDataPackage}, {"nodes.csv", WriteNodesCSV}, {"edges.csv", WriteEdgesCSV}} {
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
