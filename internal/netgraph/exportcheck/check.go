// Package exportcheck validates graph exports with encoding/xml against the
// rules of their schemas that tools depend on (declared keys and
// attributes, unique ids, edges between existing nodes, the graph declared
// undirected). Tests of the netgraph writers and of the HTTP exports use
// it; networkx_check.py, run by the server's TestGraphExportsNetworkX,
// loads the exports with NetworkX and compares them with the API.
package exportcheck

import (
	"encoding/xml"
	"fmt"
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

// GraphML parses doc and checks GraphML's rules: every data key is
// declared for its element, node ids are unique, every edge's ends exist.
// It returns the node and edge counts.
func GraphML(doc []byte) (nodes, edges int, err error) {
	var g graphML
	if err := xml.Unmarshal(doc, &g); err != nil {
		return 0, 0, err
	}
	if len(g.Graphs) != 1 || g.Graphs[0].EdgeDefault != "undirected" {
		return 0, 0, fmt.Errorf("want one graph with edgedefault=\"undirected\" (Kokeilu's graph is undirected)")
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
		DefaultEdgeType string `xml:"defaultedgetype,attr"`
		Attributes      []struct {
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

// GEXF parses doc and checks GEXF's rules: attributes declared per
// class, node and edge ids unique, every edge's ends exist.
func GEXF(doc []byte) (nodes, edges int, err error) {
	var g gexf
	if err := xml.Unmarshal(doc, &g); err != nil {
		return 0, 0, err
	}
	if g.Version != "1.2" || g.Graph.DefaultEdgeType != "undirected" {
		return 0, 0, fmt.Errorf("version %q, defaultedgetype %q: want 1.2, undirected", g.Version, g.Graph.DefaultEdgeType)
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
