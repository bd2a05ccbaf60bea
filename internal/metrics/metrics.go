// Package metrics exposes what an operator watches, in Prometheus format
// at /metrics: GraphQL operations by name and outcome with their latency,
// live subscriptions, notices fanned out, and the database pool.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"
)

// Metrics is one server's registry.
type Metrics struct {
	registry   *prometheus.Registry
	operations *prometheus.CounterVec
	latency    *prometheus.HistogramVec

	mu    sync.Mutex
	names map[string]bool // operation names seen, bounded
}

// maxNames bounds the operation names kept as labels: clients choose them.
const maxNames = 200

// label returns name, or "other" once too many names were seen.
func (m *Metrics) label(name string) string {
	if len(name) > 64 {
		return "other"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names[name] {
		return name
	}
	if len(m.names) >= maxNames {
		return "other"
	}
	m.names[name] = true
	return name
}

// New registers the metrics: subscriptions and notices are read from the
// given functions when scraped; db is the pool.
func New(db *sql.DB, subscriptions func() int, fannedOut func() uint64) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		registry: reg,
		names:    map[string]bool{},
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kokeilu_graphql_operations_total",
			Help: "GraphQL operations by type, name and outcome (ok, error).",
		}, []string{"type", "name", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kokeilu_graphql_operation_duration_seconds",
			Help:    "Time to answer a query or mutation.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"type", "name"}),
	}
	reg.MustRegister(m.operations, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db, "kokeilu"),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kokeilu_subscriptions_active",
			Help: "Live noticePosted subscriptions (WebSocket and SSE).",
		}, func() float64 { return float64(subscriptions()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "kokeilu_notices_fanned_out_total",
			Help: "Notices handed to subscribers.",
		}, func() float64 { return float64(fannedOut()) }),
	)
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Extension is the gqlgen extension that counts and times operations.
func (m *Metrics) Extension() graphql.HandlerExtension { return extension{m} }

type extension struct{ m *Metrics }

func (extension) ExtensionName() string                   { return "Metrics" }
func (extension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse counts each query and mutation once (a subscription
// once, at its start), with its latency.
func (e extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	start := time.Now()
	resp := next(ctx)
	typ, name := "unknown", oc.OperationName
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
		if name == "" {
			name = oc.Operation.Name
		}
	}
	if name == "" {
		name = "anonymous"
	}
	name = e.m.label(name)
	if typ == string(ast.Subscription) {
		if resp != nil && oc.Stats.GetExtension("metrics-counted") == nil {
			oc.Stats.SetExtension("metrics-counted", true)
			e.m.operations.WithLabelValues(typ, name, outcome(resp)).Inc()
		}
		return resp
	}
	e.m.operations.WithLabelValues(typ, name, outcome(resp)).Inc()
	e.m.latency.WithLabelValues(typ, name).Observe(time.Since(start).Seconds())
	return resp
}

func outcome(resp *graphql.Response) string {
	if resp != nil && len(resp.Errors) > 0 {
		return "error"
	}
	return "ok"
}
