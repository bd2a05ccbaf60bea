package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"kokeilu/ent"
	"kokeilu/internal/export"
	"kokeilu/internal/fault"
	"kokeilu/internal/netgraph"
	"kokeilu/internal/scalar"
)

// graphExports are the files of GET /export/<name>: the filtered network
// graph written as it is read (README: "Graph exports").
var graphExports = map[string]struct {
	contentType string
	write       func(io.Writer, *netgraph.Graph) error
}{
	"graph.graphml": {"application/graphml+xml; charset=utf-8", netgraph.WriteGraphML},
	"graph.gexf":    {"application/gexf+xml; charset=utf-8", netgraph.WriteGEXF},
	"nodes.csv":     {"text/csv; charset=utf-8", netgraph.WriteNodesCSV},
	"edges.csv":     {"text/csv; charset=utf-8", netgraph.WriteEdgesCSV},
	"graph.zip":     {"application/zip", netgraph.WriteZip}, // nodes.csv, edges.csv, datapackage.json
}

// graphExport serves GET /export/{file} with the filter of networkGraph as
// query parameters (nodeTypes and edgeKinds comma-separated or repeated, regionCode,
// themeSlug, asOf, from, to, projection, maxNodes). Without maxNodes the
// whole graph is exported (up to netgraph.LimitMaxNodes nodes).
func graphExport(client *ent.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		file, ok := graphExports[r.PathValue("file")]
		if !ok {
			writeErrorCode(w, http.StatusNotFound, fault.NotFound, "exports are graph.graphml, graph.gexf, nodes.csv, edges.csv and graph.zip")
			return
		}
		q, perr := export.Params(r, graphExportParams)
		if perr != nil {
			export.WriteError(w, http.StatusBadRequest, fault.BadUserInput, perr.Param, perr.Message)
			return
		}
		f, err := exportFilter(q)
		if err == nil {
			err = f.Validate()
		}
		if err == nil {
			var v *netgraph.View
			if v, err = netgraph.For(client).View(r.Context(), f); err == nil {
				writeGraph(w, r, file.contentType, file.write, v.Graph, f.MaxNodes)
				return
			}
		}
		if e, ok := fault.As(err); ok {
			// Filter fields are named as in GraphQL (filter.asOf); here
			// they are the parameters.
			export.WriteError(w, http.StatusBadRequest, e.Code, strings.TrimPrefix(e.Field, "filter."), e.Message)
			return
		}
		slog.ErrorContext(r.Context(), "graph export", "err", err, "request_id", RequestID(r.Context()))
		writeErrorCode(w, http.StatusInternalServerError, fault.Internal, "internal error")
	})
}

// graphExportParams are the parameters of the graph exports; anything else
// is refused, so a misspelt filter (asof=) never exports the whole graph.
var graphExportParams = export.GraphParameters

// writeGraph streams g, cut to maxNodes, as one export file.
func writeGraph(w http.ResponseWriter, r *http.Request, contentType string, write func(io.Writer, *netgraph.Graph) error, g *netgraph.Graph, maxNodes int) {
	g, truncated := netgraph.Capped(g, maxNodes)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="kokeilu-`+r.PathValue("file")+`"`)
	w.Header().Set("X-Graph-Nodes", strconv.Itoa(len(g.Nodes)))
	w.Header().Set("X-Graph-Edges", strconv.Itoa(len(g.Edges)))
	w.Header().Set("X-Graph-Truncated", strconv.FormatBool(truncated))
	if err := write(w, g); err != nil {
		// Headers are gone: the client sees a cut document.
		slog.WarnContext(r.Context(), "graph export cut", "err", err)
	}
}

// exportFilter reads the filter from query parameters.
func exportFilter(q url.Values) (netgraph.Filter, error) {
	f := netgraph.Filter{MaxNodes: netgraph.LimitMaxNodes}
	// Lists come split by export.Params, every value to be validated.
	for _, t := range q["nodeTypes"] {
		f.NodeTypes = append(f.NodeTypes, netgraph.NodeType(strings.ToUpper(t)))
	}
	for _, k := range q["edgeKinds"] {
		f.EdgeKinds = append(f.EdgeKinds, netgraph.EdgeKind(strings.ToUpper(k)))
	}
	f.Region, f.Theme = q.Get("regionCode"), q.Get("themeSlug")
	dates := map[string]**time.Time{"asOf": &f.AsOf, "from": &f.From, "to": &f.To}
	for name, dst := range dates {
		if s := q.Get(name); s != "" {
			// The Date scalar's rule, as networkGraph's filter has it.
			t, err := scalar.ParseDate(name, s)
			if err != nil {
				return f, err
			}
			*dst = &t
		}
	}
	switch q.Get("projection") {
	case "", "false":
	case "true":
		f.Projection = true
	default:
		return f, fault.BadInput("projection", "projection is true or false")
	}
	if s := q.Get("maxNodes"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return f, fault.BadInput("maxNodes", "maxNodes is a positive number")
		}
		f.MaxNodes = n
	}
	return f, nil
}
