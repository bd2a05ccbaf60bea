// Package server wires Kokeilu's HTTP handler: GraphQL at /query (with its
// transports, limits and error presenter), GraphiQL at /, liveness and
// readiness probes.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"kokeilu/graph"
	"kokeilu/internal/analytics"
	"kokeilu/internal/auth"
	"kokeilu/internal/cost"
	"kokeilu/internal/database"
	"kokeilu/internal/export"
	"kokeilu/internal/fault"
	"kokeilu/internal/metrics"
	"kokeilu/internal/netgraph"
	"kokeilu/internal/noticeboard"
	"kokeilu/internal/paging"
	"kokeilu/internal/pubsub"
	"kokeilu/internal/server/graphiql"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// Options are the handler's settings.
type Options struct {
	// Origins are the browser origins allowed to call the API; empty allows
	// none but same-origin pages.
	Origins []string
	// Accounts signs users in and authenticates their tokens.
	Accounts *auth.Service
	// Board delivers new notices to subscribers.
	Board *noticeboard.Board
	// RequestTimeout bounds a query or mutation (not a subscription stream);
	// 0 means 10 s.
	RequestTimeout time.Duration
	// RateLimit bounds each client's requests; zero is no limit.
	RateLimit RateLimit
	// SocketsPerAddress bounds the open WebSockets, and the open streams
	// (WebSockets and SSE responses together), per client address; zero
	// is no limit.
	SocketsPerAddress int
	// NoIntrospection turns introspection off (GraphiQL then cannot help).
	NoIntrospection bool
	// RegisteredQueries, when set, are the only queries run (by hash
	// sha256 of their text); see LoadRegisteredQueries.
	RegisteredQueries map[string]string
	// ResponseCacheTTL turns the anonymous query cache on (see
	// responseCache); 0 leaves it off.
	ResponseCacheTTL time.Duration
	// Checks are what /readyz reports beside the database pool, by name
	// (e.g. the notice listener's health); an error makes it 503.
	Checks map[string]func() error
	// TestExtensions are added to the GraphQL handler last. For tests only
	// (fault injection through every transport); production leaves it empty.
	TestExtensions []graphql.HandlerExtension

	gqlgenPOST bool // gqlgen's own POST transport, for TestPostAnswersAsGqlgen
}

// Handler is the HTTP API.
type Handler struct {
	http.Handler
	streams *streams
}

// Shutdown ends every subscription stream (WebSockets close with 1012) and
// waits for them, up to ctx; http.Server.Shutdown then finishes the rest.
func (h *Handler) Shutdown(ctx context.Context) { h.streams.shutdown(ctx) }

// NewHandler returns the whole HTTP API over db.
func NewHandler(db *database.DB, opts Options) *Handler {
	if opts.Board == nil {
		opts.Board = noticeboard.New(db.Client, pubsub.NewMemory())
	}
	streams := newStreams()
	streams.perAddr = newAddressCap(opts.SocketsPerAddress)
	es := graph.NewSchema(db.Client, opts.Accounts, opts.Board, db.Search)
	gql := handler.New(es)
	// SSE before POST: POST would take the SSE request (gqlgen PR#3153).
	sse := sseTransport{SSE: transport.SSE{KeepAlivePingInterval: 15 * time.Second}, auth: opts.Accounts.WithToken, writeLimit: streamWriteLimit}
	gql.AddTransport(sse)
	gql.AddTransport(sseGET{sse})       // before GET, which would refuse a subscription
	rates := newLimiter(opts.RateLimit) // one budget per client for every transport
	gql.AddTransport(&socketTransport{
		rates:       rates,
		accept:      coderws.AcceptOptions{OriginPatterns: originHosts(opts.Origins)},
		auth:        opts.Accounts.WithToken,
		initTimeout: socketInitTimeout,
		keepAlive:   15 * time.Second,
		readLimit:   maxBody, // a message may be as large as an HTTP body
		writeLimit:  streamWriteLimit,
		perSocket:   100,
		sockets:     map[*socket]struct{}{},
	})
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	if opts.gqlgenPOST {
		gql.AddTransport(transport.POST{})
	} else {
		gql.AddTransport(post{})
	}
	// Validated documents are cached; the cost extension parses and
	// measures the others before gqlgen validates them, with the same
	// token limit (CVE-2023-49559).
	validated := lru.New[*ast.QueryDocument](1000)
	gql.SetQueryCache(validated)
	gql.SetParserTokenLimit(cost.Default.Tokens)
	// Every extension is installed through use, which notes whether one
	// intercepts fields (graph.DirectLeaves is only for when none does).
	interceptors := false
	use := func(ext graphql.HandlerExtension) {
		_, ok := ext.(graphql.FieldInterceptor)
		interceptors = interceptors || ok
		gql.Use(ext)
	}
	use(responseErrors{}) // outermost: sees the response as it is sent
	if opts.NoIntrospection {
		use(noIntrospection{})
	} else {
		use(extension.Introspection{})
	}
	// "Did you mean …" would map the schema for a prober, introspection or
	// not. gqlgen's switch swaps only the rules on output fields; the
	// others (arguments, input fields, enum values, type names) are
	// swapped here, and the error presenter strips any suggestion left.
	gql.SetDisableSuggestion(true)
	gql.SetValidationRulesFn(rulesWithoutSuggestions)
	if opts.RegisteredQueries != nil {
		use(registeredOnly{queries: opts.RegisteredQueries}) // before APQ reads the hash
	}
	use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	use(operationHooks{paging.Rules{Computed: graph.ComputedColumns}})
	use(operationHooks{graph.WhereScope{}}) // where filters obey the read rules of the rows they walk into
	use(fieldRules{})
	use(analytics.Memo{})
	// After APQ (the query text is known) and paging (pages are bounded).
	use(cost.Extension{Limits: cost.Default, Validated: validated, Weights: CostWeights, Schema: es.Schema(), GraphNodes: netgraph.For(db.Client).Nodes})
	use(streamsOnly{})
	use(requestLog{})
	use(cacheableQueries{})
	// Each mutation runs in one transaction: a failure leaves nothing half-written.
	// login and register are left out: throttling waits and password
	// hashing is slow, and neither may hold the database's writer (SQLite
	// has one); login writes one row, register opens its own transaction
	// after hashing.
	use(mutationTx{entgql.Transactioner{TxOpener: db.Client, SkipTxFunc: entgql.SkipIfHasFields("login", "register")}})
	observed := metrics.New(db.SQL, opts.Board.Subscribers, opts.Board.FannedOut)
	use(observed.Extension())
	for _, ext := range opts.TestExtensions {
		use(ext)
	}
	if !interceptors {
		gql.Use(graph.DirectLeaves{}) // see fieldRules
	}
	gql.SetErrorPresenter(presentError)
	gql.SetRecoverFunc(recoverPanic)

	mux := http.NewServeMux()
	mux.Handle("/query", corsPolicy(opts.Origins).Handler(withTimeout(opts.RequestTimeout, limitBody(maxBody, opts.Accounts.Middleware(rates.authGate(), limitRate(rates, streams.track(requireGraphQLRequest(newResponseCache(db.Client, opts.ResponseCacheTTL, 64<<20).middleware(gql)))))))))
	mux.Handle("GET /{$}", graphiql.Page("Kokeilu", "/query"))
	mux.Handle("GET "+graphiql.AssetPath, graphiql.Assets())
	mux.Handle("GET /export/{file}", opts.Accounts.Middleware(rates.authGate(), limitRate(rates,
		exports(export.Handler(db.Client), graphExport(db.Client)))))
	mux.Handle("GET /metrics", observed.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		report, ready := "database pool: ok\n", true
		if err := db.Ping(ctx); err != nil {
			report, ready = "database pool: "+err.Error()+"\n", false
		}
		names := make([]string, 0, len(opts.Checks))
		for name := range opts.Checks {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if err := opts.Checks[name](); err != nil {
				report, ready = report+name+": "+err.Error()+"\n", false
			} else {
				report += name + ": ok\n"
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready {
			slog.WarnContext(ctx, "not ready", "report", report)
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte(report))
	})
	return &Handler{Handler: withRequestContext(mux), streams: streams}
}

// fieldRules runs paging.Rules' and graph.WhereScope's field hooks, in
// that order, for the fields they can act on — fields with a selection or
// with arguments of input types (a where filter) — and lets the rest (most
// fields of a response: scalars, graph.Leaf) straight through. It wraps the operation's resolver middleware rather
// than being a graphql.FieldInterceptor: gqlgen wraps every field of every
// response in each interceptor installed, at an allocation per field
// before the interceptor can decide to let it through. With no field
// interceptor installed, graph.DirectLeaves has struct fields with no
// selection and no arguments read without any middleware, this one
// included: what fieldRules lets through must keep including those.
type fieldRules struct{}

var _ graphql.OperationContextMutator = fieldRules{}

func (fieldRules) ExtensionName() string                   { return "FieldRules" }
func (fieldRules) Validate(graphql.ExecutableSchema) error { return nil }

func (fieldRules) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	inner := oc.ResolverMiddleware // the field interceptors installed, if any
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
		if fc := graphql.GetFieldContext(ctx); fc == nil || len(fc.Field.Selections) == 0 && (len(fc.Args) == 0 || graph.Leaf(fc.Field)) {
			return inner(ctx, next)
		}
		// Past the request's deadline no field with selections starts: the
		// deadline stops SQL, but what was loaded before it went on being
		// resolved and written (8 aliased nodes(ids:) answered 200 with
		// 52 MB 7 s past the 10 s timeout). The field is TIMEOUT instead.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return paging.Rules{}.InterceptField(ctx, func(ctx context.Context) (any, error) {
			return graph.WhereScope{}.InterceptField(ctx, func(ctx context.Context) (any, error) {
				return inner(ctx, next)
			})
		})
	}
	return nil
}

// operationHooks installs an extension's operation hooks (validation,
// operation context, operation interceptor) without its field hook, which
// fieldRules runs.
type operationHooks struct{ ext graphql.HandlerExtension }

func (o operationHooks) ExtensionName() string                      { return o.ext.ExtensionName() }
func (o operationHooks) Validate(es graphql.ExecutableSchema) error { return o.ext.Validate(es) }

func (o operationHooks) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if i, ok := o.ext.(graphql.OperationInterceptor); ok {
		return i.InterceptOperation(ctx, next)
	}
	return next(ctx)
}

func (o operationHooks) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if m, ok := o.ext.(graphql.OperationContextMutator); ok {
		return m.MutateOperationContext(ctx, oc)
	}
	return nil
}

// corsPolicy allows cross-origin calls from origins alone; with none
// named, only same-origin pages call the API (rs/cors would otherwise
// answer "*" to everyone). "*" allows every origin only when an operator
// writes it.
func corsPolicy(origins []string) *cors.Cors {
	o := cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept-Language"},
	}
	if len(origins) == 0 {
		o.AllowOriginFunc = func(string) bool { return false }
	}
	return cors.New(o)
}

// originHosts turns the allowed origins ("https://app.example.fi") into the
// host patterns coder/websocket matches; the server's own host is always
// allowed.
func originHosts(origins []string) []string {
	var hosts []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			hosts = append(hosts, u.Host)
		} else {
			hosts = append(hosts, o)
		}
	}
	return hosts
}

// MaxBody is the largest request body accepted, in bytes.
const MaxBody = maxBody

const maxBody = 1 << 20

// limitBody answers 413 to a body over limit bytes, before gqlgen reads it
// (gqlgen would answer a truncated body with 200 and a decoding error), and
// 400 BAD_USER_INPUT to a body that is not UTF-8.
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > limit {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is over %d bytes", limit))
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		r.Body.Close()
		if err != nil {
			writeError(w, http.StatusBadRequest, "the request body could not be read")
			return
		}
		if int64(len(body)) > limit {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is over %d bytes", limit))
			return
		}
		if !utf8.Valid(body) { // JSON decoding would turn it into U+FFFD silently
			writeError(w, http.StatusBadRequest, "the request body is not valid UTF-8")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// CostWeights size the fields whose size another package knows (the
// cost extension's Weights; internal/cost sizes the rest).
var CostWeights = map[string]cost.Weigher{"Query.pilotStats": analytics.Cost}

// withTimeout bounds every request but streams: when the database stalls,
// requests fail within the timeout instead of piling up.
func withTimeout(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		d = 10 * time.Second
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// exports sends /export/pilots.* to the pilot exports and the rest to the
// graph exports.
func exports(pilots, graph http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q, err := url.ParseQuery(r.URL.RawQuery); err == nil { // export.Params refuses the others
			for name, values := range q {
				n := 0
				for _, v := range values {
					n += strings.Count(v, ",") + 1
				}
				if n > cost.MaxList { // as in GraphQL: each value may become an SQL parameter
					export.WriteError(w, http.StatusBadRequest, fault.BadUserInput, name,
						fmt.Sprintf("%s has %d values; a list takes at most %d", name, n, cost.MaxList))
					return
				}
			}
		}
		if strings.HasPrefix(r.PathValue("file"), "pilots.") {
			pilots.ServeHTTP(w, r)
			return
		}
		graph.ServeHTTP(w, r)
	})
}

// mutationTx is entgql's Transactioner (one transaction per mutation
// operation, rolled back on any error) with three fixes: it skips requests
// rejected before execution (it would panic on them); a mutation's stream
// ends after its one result without reaching the Transactioner again
// (streaming transports — WebSocket, SSE — ask until they get nil, and
// the Transactioner would open a transaction for that call and dereference
// the nil); and its own failures to begin or commit are masked as INTERNAL
// like every other internal error.
type mutationTx struct{ entgql.Transactioner }

func (t mutationTx) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	responses := next(ctx)
	if oc := graphql.GetOperationContext(ctx); oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return responses
	}
	var once sync.Once
	return func(ctx context.Context) (rsp *graphql.Response) {
		once.Do(func() { rsp = responses(ctx) })
		return rsp
	}
}

func (t mutationTx) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	ended := false
	rsp := t.Transactioner.InterceptResponse(ctx, func(ctx context.Context) *graphql.Response {
		if rsp := next(ctx); rsp != nil {
			return rsp
		}
		ended = true
		return &graphql.Response{}
	})
	if ended || rsp == nil { // the stream ended
		return nil
	}
	// The fields PostgreSQL did not run after a failure say nothing that
	// failure does not (SQLite runs them, and the rollback undoes them).
	if kept := slices.DeleteFunc(slices.Clone(rsp.Errors), func(e *gqlerror.Error) bool { return e.Message == notRun }); len(kept) > 0 {
		rsp.Errors = kept
	}
	for i, e := range rsp.Errors {
		if _, coded := e.Extensions["code"]; !coded && len(e.Path) == 0 {
			if errors.Is(ctx.Err(), context.Canceled) {
				// The caller went away (a closed socket, a dropped request):
				// the transaction is rolled back and nobody is there to tell.
				return nil
			}
			rsp.Errors[i] = internalError(ctx, e)
		}
	}
	return rsp
}

// requireGraphQLRequest answers what is not a GraphQL request — other
// methods, POST bodies that are not JSON, bodies and query strings that are
// not a GraphQL request's — with 4xx and a code, before gqlgen sees it.
func requireGraphQLRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodOptions:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			writeError(w, http.StatusMethodNotAllowed, "use GET or POST")
			return
		case r.Method == http.MethodPost && !isJSON(r.Header.Get("Content-Type")):
			writeError(w, http.StatusUnsupportedMediaType, "POST bodies must be application/json")
			return
		case r.Method == http.MethodOptions || r.Header.Get("Upgrade") != "":
			next.ServeHTTP(w, r)
			return
		}
		if msg := checkParams(r); msg != "" {
			writeError(w, http.StatusBadRequest, msg)
			return
		}
		if isStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		media, ok := responseMedia(r.Header.Get("Accept"))
		if !ok {
			writeError(w, http.StatusNotAcceptable, "responses are application/graphql-response+json or application/json")
			return
		}
		x := &exchange{}
		sw := &specStatus{ResponseWriter: w, method: r.Method, media: media, x: x}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x)))
		sw.finish()
	})
}

// checkParams says what is wrong with a request's GraphQL parameters (the
// JSON body of a POST, the query string of a GET), or "" when they are a
// GraphQL request: query a string (absent only for a persisted query),
// variables and extensions objects, operationName a string.
func checkParams(r *http.Request) string {
	params := map[string]json.RawMessage{}
	if r.Method == http.MethodGet {
		values, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return "the query string is malformed"
		}
		for _, name := range []string{"query", "operationName"} {
			if v, ok := values[name]; ok {
				params[name], _ = json.Marshal(v[0])
			}
		}
		for _, name := range []string{"variables", "extensions"} {
			if v, ok := values[name]; ok {
				params[name] = json.RawMessage(v[0])
			}
		}
	} else {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return "the request body could not be read"
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !json.Valid(body) {
			return "the request body is not valid JSON"
		}
		if err := json.Unmarshal(body, &params); err != nil {
			return "the request body must be a JSON object with a query"
		}
	}
	isNull := func(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }
	var str string
	for _, name := range []string{"query", "operationName"} {
		if raw := params[name]; !isNull(raw) && json.Unmarshal(raw, &str) != nil {
			return name + " must be a string"
		}
	}
	var obj map[string]json.RawMessage
	for _, name := range []string{"variables", "extensions"} {
		if raw := params[name]; !isNull(raw) && json.Unmarshal(raw, &obj) != nil {
			return name + " must be a JSON object"
		}
	}
	if isNull(params["query"]) || string(params["query"]) == `""` {
		var ext struct {
			PersistedQuery map[string]any `json:"persistedQuery"`
		}
		if isNull(params["extensions"]) || json.Unmarshal(params["extensions"], &ext) != nil || ext.PersistedQuery == nil {
			return "the request has no query"
		}
	}
	return ""
}

// exchange is what the GraphQL layer tells the HTTP layer about the
// response it is about to write.
type exchange struct {
	noData     bool // the request failed before execution: no data entry
	keepStatus bool // but its status stays gqlgen's (a persisted query to send again)
}

type exchangeKey struct{}

const graphqlResponse = "application/graphql-response+json"

// streamsOnly refuses a subscription sent as a plain request (one
// response): it would wait for its first event until the request timed out.
type streamsOnly struct{}

func (streamsOnly) ExtensionName() string                   { return "StreamsOnly" }
func (streamsOnly) Validate(graphql.ExecutableSchema) error { return nil }

func (streamsOnly) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if _, single := ctx.Value(exchangeKey{}).(*exchange); single && oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		err := gqlerror.Errorf("subscriptions need a WebSocket or SSE (Accept: text/event-stream)")
		err.Extensions = map[string]any{"code": fault.BadUserInput}
		return err
	}
	return nil
}

// responseMedia picks the response type from Accept, as the GraphQL over
// HTTP specification has it: graphql-response+json when asked for,
// otherwise application/json; false when the client takes neither.
func responseMedia(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return "application/json", true
	}
	json := false
	for _, part := range strings.Split(accept, ",") {
		media, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.TrimSpace(media) {
		case graphqlResponse:
			return graphqlResponse, true
		case "application/json", "application/*", "*/*":
			json = true
		}
	}
	return "application/json", json
}

// specStatus corrects gqlgen's responses to the GraphQL over HTTP
// specification: a mutation over GET is 405 (gqlgen: 406); a request that
// failed before execution has no data entry (gqlgen: "data": null) and, under
// graphql-response+json, a 4xx status; a document that fails to parse or
// validate is 200 under application/json (gqlgen: 422). The status waits for
// the body, as gqlgen sets it before the extensions have seen the response.
type specStatus struct {
	http.ResponseWriter
	method   string
	media    string
	x        *exchange
	status   int  // gqlgen's, until the body is written
	started  bool // status written
	replaced bool // gqlgen's own body is dropped for ours
}

func (s *specStatus) WriteHeader(code int) {
	if s.started || s.replaced {
		return
	}
	if code == http.StatusNotAcceptable && s.method == http.MethodGet {
		// gqlgen's body for this case has no code: answer with ours.
		s.Header().Set("Allow", "POST")
		s.replaced = true
		writeErrorCode(s.ResponseWriter, http.StatusMethodNotAllowed, fault.BadUserInput, "GET requests run queries only; send mutations with POST")
		return
	}
	s.status = code
}

func (s *specStatus) Write(b []byte) (int, error) {
	if s.replaced {
		return len(b), nil
	}
	n := len(b)
	if !s.started && s.x.noData {
		b = withoutData(b)
		s.Header().Del("Content-Length")
	}
	s.start()
	if _, err := s.ResponseWriter.Write(b); err != nil {
		return 0, err
	}
	return n, nil
}

func (s *specStatus) start() {
	if s.started || s.replaced {
		return
	}
	s.started = true
	code := s.status
	switch {
	case code == 0:
		code = http.StatusOK
	case code == http.StatusUnprocessableEntity && s.media == graphqlResponse:
		code = http.StatusBadRequest
	case code == http.StatusUnprocessableEntity:
		code = http.StatusOK
	}
	if s.media == graphqlResponse {
		s.Header().Set("Content-Type", graphqlResponse+"; charset=utf-8")
		if s.x.noData && !s.x.keepStatus && code < 400 {
			code = http.StatusBadRequest // no data: the spec wants 4xx
		}
	}
	s.ResponseWriter.WriteHeader(code)
}

// finish sends a status that no body followed.
func (s *specStatus) finish() { s.start() }

func (s *specStatus) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// withoutData drops the data entry of a response that failed before
// execution, keeping errors and extensions.
func withoutData(body []byte) []byte {
	var r struct {
		Errors     json.RawMessage `json:"errors,omitempty"`
		Extensions json.RawMessage `json:"extensions,omitempty"`
	}
	if json.Unmarshal(body, &r) != nil {
		return body
	}
	out, err := json.Marshal(r)
	if err != nil {
		return body
	}
	return out
}

func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mediaType == "application/json" || mediaType == "application/graphql-response+json")
}

// writeError writes a GraphQL error response for a request that never
// reached the executor.
func writeError(w http.ResponseWriter, status int, message string) {
	writeErrorCode(w, status, fault.BadUserInput, message)
}

func writeErrorCode(w http.ResponseWriter, status int, code, message string) {
	fault.WriteHTTP(w, status, code, message, nil)
}

type requestIDKey struct{}

// RequestID is the id of the request in ctx, as logged and as returned in
// the X-Request-Id header.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// rulesWithoutSuggestions are gqlparser's default validation rules with
// every rule that has a variant without suggestions swapped for it.
func rulesWithoutSuggestions() *rules.Rules {
	r := rules.NewDefaultRules()
	for _, quiet := range []core.Rule{
		rules.FieldsOnCorrectTypeRuleWithoutSuggestions,
		rules.ScalarLeafsRuleWithoutSuggestions,
		rules.KnownArgumentNamesRuleWithoutSuggestions,
		rules.KnownTypeNamesRuleWithoutSuggestions,
		rules.ValuesOfCorrectTypeRuleWithoutSuggestions,
	} {
		r.RemoveRule(strings.TrimSuffix(quiet.Name, "WithoutSuggestions"))
		r.AddRule(quiet.Name, quiet.RuleFunc)
	}
	return r
}
