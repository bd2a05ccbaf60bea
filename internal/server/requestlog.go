package server

import (
	"context"
	"log/slog"
	"time"

	"kokeilu/internal/cost"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// requestLog logs each query and mutation (a subscription when it starts)
// with its request id, operation, duration, cost and error count.
type requestLog struct{}

func (requestLog) ExtensionName() string                   { return "RequestLog" }
func (requestLog) Validate(graphql.ExecutableSchema) error { return nil }

func (requestLog) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	start := time.Now()
	resp := next(ctx)
	oc := graphql.GetOperationContext(ctx)
	typ, name := "unknown", oc.OperationName
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
		if name == "" {
			name = oc.Operation.Name
		}
		if oc.Operation.Operation == ast.Subscription {
			if oc.Stats.GetExtension("logged") != nil {
				return resp // once per subscription, not per event
			}
			oc.Stats.SetExtension("logged", true)
		}
	}
	errs := 0
	if resp != nil {
		errs = len(resp.Errors)
	}
	attrs := []any{"request_id", RequestID(ctx), "type", typ, "operation", name,
		"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "errors", errs}
	if est, ok := oc.Stats.GetExtension((cost.Extension{}).ExtensionName()).(cost.Estimate); ok {
		attrs = append(attrs, "cost_nodes", est.Nodes)
	}
	slog.InfoContext(ctx, "graphql", attrs...)
	return resp
}
