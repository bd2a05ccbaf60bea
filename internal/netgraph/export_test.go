package netgraph

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"testing"

	"kokeilu/internal/scalar"

	"kokeilu/internal/netgraph/exportcheck"
)

// exportGraph has every node type, dated edges, and labels that need
// escaping.
func exportGraph() *Graph {
	b := &Builder{}
	lat, lon := 62.55, 24.07
	b.AddNode(Node{ID: 1, Type: Municipality, Label: `Ähtäri & "Alajärvi" <x>`, NameFi: "Ähtäri", NameSv: "Etseri", Code: "989", Region: "14",
		County: "11", Subregion: "144", Population: 5500, Latitude: &lat, Longitude: &lon})
	b.AddNode(Node{ID: 2, Type: Organization, Label: "Kuntaliitto", Kind: "ASSOCIATION"})
	b.AddNode(Node{ID: 3, Type: Network, Label: "Kokeilevat kunnat", Kind: "PROGRAMME", StartsOn: day("2015-01-01")})
	b.AddNode(Node{ID: 4, Type: Pilot, Label: "Perustulo", Status: "COMPLETED", Themes: []string{"a", "b"}, StartsOn: day("2017-01-01"), EndsOn: day("2018-12-31")})
	b.AddEdge(Edge{Source: 1, Target: 4, Kind: ParticipatesIn, Weight: 1, ValidFrom: day("2017-01-01"), ValidTo: day("2018-12-31")})
	b.AddEdge(Edge{Source: 1, Target: 4, Kind: Leads, Weight: 1})
	b.AddEdge(Edge{Source: 2, Target: 3, Kind: MemberOf, Weight: 1})
	b.AddEdge(Edge{Source: 2, Target: 1, Kind: Funding, Ref: 77, Weight: 2.5})
	b.AddEdge(Edge{Source: 4, Target: 99, Kind: Funding, Weight: 1}) // end missing: dropped
	return b.Build()
}

func TestGraphMLExport(t *testing.T) {
	g := exportGraph()
	var buf bytes.Buffer
	if err := WriteGraphML(&buf, g); err != nil {
		t.Fatal(err)
	}
	nodes, edges, err := exportcheck.GraphML(buf.Bytes())
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
	nodes, edges, err := exportcheck.GEXF(buf.Bytes())
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
	var pkg struct {
		Resources []struct {
			Name, Path string
			Schema     struct {
				Fields []struct{ Name, Type string }
			}
		}
	}
	for _, f := range z.File {
		r, _ := f.Open()
		data, _ := io.ReadAll(r)
		if f.Name == "datapackage.json" {
			if err := json.Unmarshal(data, &pkg); err != nil {
				t.Fatal(err)
			}
			continue
		}
		rows[f.Name], err = csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
	}
	// The data package describes every column of both files, in order,
	// and types codes as strings.
	if len(pkg.Resources) != 2 {
		t.Fatalf("datapackage resources %+v", pkg.Resources)
	}
	for _, res := range pkg.Resources {
		header := rows[res.Path][0]
		if len(res.Schema.Fields) != len(header) {
			t.Fatalf("%s: %d fields for %d columns", res.Path, len(res.Schema.Fields), len(header))
		}
		for i, f := range res.Schema.Fields {
			if f.Name != header[i] || (f.Name == "code" || f.Name == "region" || f.Name == "id") && f.Type != "string" {
				t.Fatalf("%s column %d: %q in the file, %+v in the package", res.Path, i, header[i], f)
			}
		}
	}
	if len(rows["nodes.csv"]) != 5 || len(rows["edges.csv"]) != 5 {
		t.Fatalf("rows: %d nodes, %d edges (with headers)", len(rows["nodes.csv"]), len(rows["edges.csv"]))
	}
	ids := map[string]bool{}
	for _, r := range rows["nodes.csv"][1:] {
		ids[r[0]] = true
	}
	edgeIDs := map[string]bool{}
	for i, r := range rows["edges.csv"][1:] {
		if !ids[r[1]] || !ids[r[2]] || edgeIDs[r[0]] || r[0] != g.Edges[i].ID() {
			t.Fatalf("edge %v: end missing, or id duplicate or not %s", r, g.Edges[i].ID())
		}
		edgeIDs[r[0]] = true
	}
	// A link edge's id is its Link's global id; a relation's names kind and ends.
	if got := rows["edges.csv"][4][0]; got != scalar.EncodeID(77) {
		t.Fatalf("link edge id %q", got)
	}
	if got, want := rows["edges.csv"][1][0], "PARTICIPATES_IN:"+scalar.EncodeID(1)+":"+scalar.EncodeID(4); got != want {
		t.Fatalf("relation edge id %q, want %q", got, want)
	}
}
