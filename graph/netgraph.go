package graph

import (
	"kokeilu/graph/model"
	"kokeilu/internal/fault"
	"kokeilu/internal/netgraph"
)

// graphFilter turns the GraphQL filter into netgraph's.
func graphFilter(in *model.GraphFilter) netgraph.Filter {
	var f netgraph.Filter
	if in == nil {
		return f
	}
	for _, t := range in.NodeTypes {
		f.NodeTypes = append(f.NodeTypes, netgraph.NodeType(t))
	}
	for _, k := range in.EdgeKinds {
		f.EdgeKinds = append(f.EdgeKinds, netgraph.EdgeKind(k))
	}
	if in.RegionCode != nil {
		f.Region = *in.RegionCode
	}
	if in.ThemeSlug != nil {
		f.Theme = *in.ThemeSlug
	}
	f.AsOf, f.From, f.To = in.AsOf, in.From, in.To
	f.Projection = in.Projection != nil && *in.Projection
	if in.MaxNodes != nil {
		f.MaxNodes = *in.MaxNodes
		if f.MaxNodes == 0 {
			f.MaxNodes = -1 // 0 is not a cap: let Validate refuse it
		}
	}
	return f
}

func graphNode(n *netgraph.Node) *model.GraphNode {
	out := &model.GraphNode{ID: n.ID, Type: model.GraphNodeType(n.Type), Label: n.Label}
	for _, a := range n.Attrs()[2:] { // type and label are fields of their own
		if a.Value != "" {
			out.Attributes = append(out.Attributes, &model.GraphAttribute{Key: a.Key, Value: a.Value})
		}
	}
	if out.Attributes == nil {
		out.Attributes = []*model.GraphAttribute{}
	}
	return out
}

func graphEdge(e *netgraph.Edge) *model.GraphEdge {
	return &model.GraphEdge{ID: e.ID(), Source: e.Source, Target: e.Target, Kind: model.GraphEdgeKind(e.Kind),
		Weight: e.Weight, ValidFrom: e.ValidFrom, ValidTo: e.ValidTo}
}

func graphNodes(nodes []*netgraph.Node, first int) []*model.GraphNode {
	out := make([]*model.GraphNode, 0, min(len(nodes), first))
	for _, n := range nodes[:min(len(nodes), first)] {
		out = append(out, graphNode(n))
	}
	return out
}

// networkGraph is a whole graph answer.
func networkGraph(g *netgraph.Graph, total int, truncated bool) *model.NetworkGraph {
	out := &model.NetworkGraph{TotalNodes: total, Truncated: truncated,
		Nodes: make([]*model.GraphNode, len(g.Nodes)), Edges: make([]*model.GraphEdge, len(g.Edges))}
	for i := range g.Nodes {
		out.Nodes[i] = graphNode(&g.Nodes[i])
	}
	for i := range g.Edges {
		out.Edges[i] = graphEdge(&g.Edges[i])
	}
	return out
}

func graphPath(p *netgraph.Path) *model.GraphPath {
	if p == nil {
		return nil
	}
	out := &model.GraphPath{Length: p.Length}
	out.Nodes = graphNodes(p.Nodes, len(p.Nodes))
	for _, e := range p.Edges {
		out.Edges = append(out.Edges, graphEdge(e))
	}
	if out.Edges == nil {
		out.Edges = []*model.GraphEdge{}
	}
	return out
}

// listSize checks a "first"-style argument: default def, at most max.
func listSize(name string, v *int, def, max int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < 0 || *v > max {
		return 0, fault.BadInput(name, "%s is between 0 and %d", name, max)
	}
	return *v, nil
}

func centrality(metric model.CentralityMetric, scores []netgraph.Score, components, first int) *model.Centrality {
	out := &model.Centrality{Metric: metric, NodeCount: len(scores), Components: components, Scores: []*model.CentralityScore{}}
	for i, s := range scores[:min(first, len(scores))] {
		out.Scores = append(out.Scores, &model.CentralityScore{Node: graphNode(s.Node), Score: s.Score, Rank: i + 1})
	}
	return out
}

func communities(c *netgraph.Communities, first int) *model.GraphCommunities {
	out := &model.GraphCommunities{Modularity: c.Modularity, Communities: []*model.GraphCommunity{}}
	for _, g := range c.Groups {
		out.Communities = append(out.Communities, &model.GraphCommunity{Size: len(g), Members: graphNodes(g, first)})
	}
	return out
}

func components(groups [][]*netgraph.Node, first int) []*model.GraphComponent {
	out := make([]*model.GraphComponent, 0, len(groups))
	for _, g := range groups {
		out = append(out, &model.GraphComponent{Size: len(g), Members: graphNodes(g, first)})
	}
	return out
}
