package netgraph

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"testing"
)

// GraphML as encoding/xml reads it.
type graphML struct {
	XMLName xml.Name `xml:"http://graphml.graphdrawing.org/xmlns graphml"`
	Keys    []struct {
		ID   string `xml:"id,attr"`
		For  string `xml:"for,attr"`
		Name string `xml:"attr.name,attr"`
		Type string `xml:"attr.type,attr"`
	} `xml:"key"`
	Graphs []struct {
		EdgeDefault string `xml:"edgedefault,attr"`
		Nodes       []struct {
			ID   string     `xml:"id,attr"`
			Data []xmlDatum `xml:"data"`
		} `xml:"node"`
		Edges []struct {
			ID     string     `xml:"id,attr"`
			Source string     `xml:"source,attr"`
			Target string     `xml:"target,attr"`
			Data   []xmlDatum `xml:"data"`
		} `xml:"edge"`
	} `xml:"graph"`
}

type xmlDatum struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

// CheckGraphML parses doc and checks GraphML's rules: every data key is
// declared for its element, node ids are unique, every edge's ends exist.
// It returns the node and edge counts.
func CheckGraphML(doc []byte) (nodes, edges int, err error) {
	var g graphML
	if err := xml.Unmarshal(doc, &g); err != nil {
		return 0, 0, err
	}
	if len(g.Graphs) != 1 || (g.Graphs[0].EdgeDefault != "directed" && g.Graphs[0].EdgeDefault != "undirected") {
		return 0, 0, fmt.Errorf("want one graph with edgedefault")
	}
	keys := map[string]string{}
	for _, k := range g.Keys {
		if _, dup := keys[k.ID]; dup || k.Name == "" {
			return 0, 0, fmt.Errorf("key %q duplicate or unnamed", k.ID)
		}
		switch k.Type {
		case "string", "double", "int", "long", "float", "boolean":
		default:
			return 0, 0, fmt.Errorf("key %q: attr.type %q", k.ID, k.Type)
		}
		keys[k.ID] = k.For
	}
	ids := map[string]bool{}
	for _, n := range g.Graphs[0].Nodes {
		if n.ID == "" || ids[n.ID] {
			return 0, 0, fmt.Errorf("node id %q empty or duplicate", n.ID)
		}
		ids[n.ID] = true
		for _, d := range n.Data {
			if keys[d.Key] != "node" && keys[d.Key] != "all" {
				return 0, 0, fmt.Errorf("node data key %q not declared for nodes", d.Key)
			}
		}
	}
	edgeIDs := map[string]bool{}
	for _, e := range g.Graphs[0].Edges {
		if !ids[e.Source] || !ids[e.Target] {
			return 0, 0, fmt.Errorf("edge %s: end missing", e.ID)
		}
		if edgeIDs[e.ID] {
			return 0, 0, fmt.Errorf("edge id %q duplicate", e.ID)
		}
		edgeIDs[e.ID] = true
		for _, d := range e.Data {
			if keys[d.Key] != "edge" && keys[d.Key] != "all" {
				return 0, 0, fmt.Errorf("edge data key %q not declared for edges", d.Key)
			}
		}
	}
	return len(ids), len(g.Graphs[0].Edges), nil
}

type gexf struct {
	XMLName xml.Name `xml:"http://www.gexf.net/1.2draft gexf"`
	Version string   `xml:"version,attr"`
	Graph   struct {
		Attributes []struct {
			Class string `xml:"class,attr"`
			Attrs []struct {
				ID    string `xml:"id,attr"`
				Title string `xml:"title,attr"`
				Type  string `xml:"type,attr"`
			} `xml:"attribute"`
		} `xml:"attributes"`
		Nodes []struct {
			ID     string     `xml:"id,attr"`
			Label  string     `xml:"label,attr"`
			Values []gexfAttV `xml:"attvalues>attvalue"`
		} `xml:"nodes>node"`
		Edges []struct {
			ID     string     `xml:"id,attr"`
			Source string     `xml:"source,attr"`
			Target string     `xml:"target,attr"`
			Weight float64    `xml:"weight,attr"`
			Values []gexfAttV `xml:"attvalues>attvalue"`
		} `xml:"edges>edge"`
	} `xml:"graph"`
}

type gexfAttV struct {
	For   string `xml:"for,attr"`
	Value string `xml:"value,attr"`
}

// CheckGEXF parses doc and checks GEXF's rules: attributes declared per
// class, node and edge ids unique, every edge's ends exist.
func CheckGEXF(doc []byte) (nodes, edges int, err error) {
	var g gexf
	if err := xml.Unmarshal(doc, &g); err != nil {
		return 0, 0, err
	}
	if g.Version != "1.2" {
		return 0, 0, fmt.Errorf("version %q", g.Version)
	}
	declared := map[string]map[string]bool{"node": {}, "edge": {}}
	for _, a := range g.Graph.Attributes {
		for _, at := range a.Attrs {
			declared[a.Class][at.ID] = true
		}
	}
	ids := map[string]bool{}
	for _, n := range g.Graph.Nodes {
		if n.ID == "" || ids[n.ID] {
			return 0, 0, fmt.Errorf("node id %q empty or duplicate", n.ID)
		}
		ids[n.ID] = true
		for _, v := range n.Values {
			if !declared["node"][v.For] {
				return 0, 0, fmt.Errorf("node attvalue for %q undeclared", v.For)
			}
		}
	}
	edgeIDs := map[string]bool{}
	for _, e := range g.Graph.Edges {
		if !ids[e.Source] || !ids[e.Target] || edgeIDs[e.ID] || e.Weight <= 0 {
			return 0, 0, fmt.Errorf("edge %s: end missing, duplicate id or no weight", e.ID)
		}
		edgeIDs[e.ID] = true
		for _, v := range e.Values {
			if !declared["edge"][v.For] {
				return 0, 0, fmt.Errorf("edge attvalue for %q undeclared", v.For)
			}
		}
	}
	return len(ids), len(edgeIDs), nil
}

// exportGraph has every node type, dated edges, and labels that need
// escaping.
func exportGraph() *Graph {
	b := &Builder{}
	b.AddNode(Node{ID: 1, Type: Municipality, Label: `Ähtäri & "Alajärvi" <x>`, Code: "989", Region: "14"})
	b.AddNode(Node{ID: 2, Type: Organization, Label: "Kuntaliitto", Kind: "ASSOCIATION"})
	b.AddNode(Node{ID: 3, Type: Network, Label: "Kokeilevat kunnat", Kind: "PROGRAMME", StartsOn: day("2015-01-01")})
	b.AddNode(Node{ID: 4, Type: Pilot, Label: "Perustulo", Status: "COMPLETED", Themes: []string{"a", "b"}, StartsOn: day("2017-01-01"), EndsOn: day("2018-12-31")})
	b.AddEdge(Edge{Source: 1, Target: 4, Kind: ParticipatesIn, Weight: 1, ValidFrom: day("2017-01-01"), ValidTo: day("2018-12-31")})
	b.AddEdge(Edge{Source: 1, Target: 4, Kind: Leads, Weight: 1})
	b.AddEdge(Edge{Source: 2, Target: 3, Kind: MemberOf, Weight: 1})
	b.AddEdge(Edge{Source: 2, Target: 1, Kind: Funding, Weight: 2.5})
	b.AddEdge(Edge{Source: 4, Target: 99, Kind: Funding, Weight: 1}) // end missing: dropped
	return b.Build()
}

func TestGraphMLExport(t *testing.T) {
	g := exportGraph()
	var buf bytes.Buffer
	if err := WriteGraphML(&buf, g); err != nil {
		t.Fatal(err)
	}
	nodes, edges, err := CheckGraphML(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if nodes != 4 || edges != 4 {
		t.Fatalf("round trip: %d nodes %d edges, want 4 and 4", nodes, edges)
	}
	if !bytes.Contains(buf.Bytes(), []byte("Ähtäri &amp; &#34;Alajärvi&#34; &lt;x&gt;")) {
		t.Fatal("label not escaped")
	}
}

func TestGEXFExport(t *testing.T) {
	g := exportGraph()
	var buf bytes.Buffer
	if err := WriteGEXF(&buf, g); err != nil {
		t.Fatal(err)
	}
	nodes, edges, err := CheckGEXF(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if nodes != 4 || edges != 4 {
		t.Fatalf("round trip: %d nodes %d edges", nodes, edges)
	}
}

func TestCSVZipExport(t *testing.T) {
	g := exportGraph()
	var buf bytes.Buffer
	if err := WriteZip(&buf, g); err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][][]string{}
	for _, f := range z.File {
		r, _ := f.Open()
		data, _ := io.ReadAll(r)
		rows[f.Name], err = csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(rows["nodes.csv"]) != 5 || len(rows["edges.csv"]) != 5 {
		t.Fatalf("rows: %d nodes, %d edges (with headers)", len(rows["nodes.csv"]), len(rows["edges.csv"]))
	}
	ids := map[string]bool{}
	for _, r := range rows["nodes.csv"][1:] {
		ids[r[0]] = true
	}
	for _, r := range rows["edges.csv"][1:] {
		if !ids[r[0]] || !ids[r[1]] {
			t.Fatalf("edge %v: end missing", r)
		}
	}
}
