package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"kokeilu/internal/cost"
	"kokeilu/internal/fault"
	"kokeilu/internal/lang"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// access is what the access line of one HTTP request says beyond the
// request and the status: the GraphQL layer fills it for a single-response
// request (a stream's operations are logged by requestLog as they start).
type access struct {
	operation string   // "query Name", "mutation" …
	codes     []string // extensions.code of each error, in order
	costNodes int
}

type accessKey struct{}

// requestLog records each query and mutation sent as one HTTP request in
// its access line (operation, error codes, cost), and logs each operation
// of a stream (WebSocket, SSE) once, when it starts.
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
	var codes []string
	if resp != nil {
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			codes = append(codes, code)
		}
	}
	nodes := 0
	if est, ok := oc.Stats.GetExtension((cost.Extension{}).ExtensionName()).(cost.Estimate); ok {
		nodes = est.Nodes
	}
	_, single := ctx.Value(exchangeKey{}).(*exchange)
	if a, ok := ctx.Value(accessKey{}).(*access); ok && single {
		if oc.Operation != nil { // not for a document that failed to parse
			a.operation = strings.TrimSpace(typ + " " + name)
		}
		a.codes = append(a.codes, codes...)
		a.costNodes = nodes
		return resp
	}
	slog.InfoContext(ctx, "graphql", "request_id", RequestID(ctx), "type", typ, "operation", name,
		"duration_ms", float64(time.Since(start).Microseconds())/1000, "codes", codes, "cost_nodes", nodes)
	return resp
}

// withRequestContext gives each request an id (the caller's X-Request-Id or
// a new one) and its preferred language from Accept-Language, and logs one
// access line when it ends: method, path, status, duration, client address,
// and for GraphQL the operation and the error codes (for an error answered
// before GraphQL, the code of its body).
func withRequestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		info := &access{}
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		ctx = context.WithValue(ctx, accessKey{}, info)
		ctx = lang.WithPreferred(ctx, lang.FromAcceptLanguage(r.Header.Get("Accept-Language")))
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			// A panic in any handler (exports, probes, transports) is
			// logged once with the request id and answered INTERNAL when
			// nothing was sent yet; the process goes on.
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p) // net/http's own way to cut a response
				}
				panicked(ctx, "http "+r.URL.Path, p)
				if !rec.wrote {
					fault.WriteHTTP(rec, http.StatusInternalServerError, fault.Internal, "internal error", map[string]any{"requestId": id})
				}
			}
			attrs := []any{"method", r.Method, "path", r.URL.Path, "status", rec.status,
				"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "client", r.RemoteAddr, "request_id", id}
			if info.operation != "" {
				attrs = append(attrs, "operation", info.operation, "cost_nodes", info.costNodes)
			}
			codes := info.codes
			if len(codes) == 0 {
				codes = rec.errorCodes()
			}
			if len(codes) > 0 {
				attrs = append(attrs, "codes", codes)
			}
			slog.InfoContext(ctx, "access", attrs...)
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// statusRecorder keeps the status and, of an error response, the start of
// its body (for the error codes of the access line).
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool         // the status line is sent
	body   bytes.Buffer // of an error response, up to maxLoggedBody bytes
}

const maxLoggedBody = 4 << 10

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status = code
	}
	s.wrote = true
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	if s.status >= 400 && s.body.Len() < maxLoggedBody {
		s.body.Write(b[:min(len(b), maxLoggedBody-s.body.Len())])
	}
	return s.ResponseWriter.Write(b)
}

// errorCodes are the extensions.code of a JSON error body.
func (s *statusRecorder) errorCodes() []string {
	if s.status < 400 || s.body.Len() == 0 {
		return nil
	}
	var body struct {
		Errors []struct {
			Extensions struct{ Code string }
		}
	}
	if json.Unmarshal(s.body.Bytes(), &body) != nil {
		return nil
	}
	var codes []string
	for _, e := range body.Errors {
		codes = append(codes, e.Extensions.Code)
	}
	return codes
}

// Flush keeps streaming responses (SSE) working through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer (WebSocket).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
