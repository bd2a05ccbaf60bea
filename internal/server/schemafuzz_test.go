package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kokeilu/ent/workspace"
	"kokeilu/graph"
	"kokeilu/internal/testdb"

	"github.com/vektah/gqlparser/v2/ast"
	"pgregory.net/rapid"
)

// fuzzDuration bounds TestSchemaFuzz: 20 s by default (CI), longer with
// KOKEILU_FUZZ_TIME (a Go duration, as for TestStreamFrameFuzz).
func fuzzDuration() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("KOKEILU_FUZZ_TIME")); err == nil && d > 0 {
		return d
	}
	return 20 * time.Second
}

// opGen writes random, mostly valid operations from the executable schema:
// every root field can be drawn, arguments get edge values of their types
// (empty lists, 0, negative and 2^31 numbers, NUL, 64 kB and NFD strings,
// bad IDs and cursors, calendar edges, first together with last), and
// selections reach nested connections.
type opGen struct {
	s         *ast.Schema
	ids       int  // how many real rows each backend names (placeholders @ID0@…)
	mutations bool // draw mutations only
}

var (
	fuzzStrings = []string{"", "a", "kokeilu", "Äänekoski", "Pyha\u0308ja\u0308rvi", "\x00", "a\x00b", "' OR 1=1 --", "%", "_", "\\",
		strings.Repeat("ä", 201), "https://example.fi", "javascript:alert(1)", "\"kunta\"", "kun*", "😀", strings.Repeat("x", 64<<10)}
	fuzzInts   = []int64{0, 1, -1, 5, 20, 100, 101, 1 << 31, -(1 << 31), 1<<31 - 1}
	fuzzFloats = []string{"0", "-1.5", "1e308", "0.5"}
	fuzzDates  = []string{"2024-02-29", "2023-02-29", "0001-01-01", "9999-12-31", "2026-13-01", "x", ""}
	fuzzTimes  = []string{"2026-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "not a time", "2026-01-01"}
	fuzzBadIDs = []string{"bogus", "", "bm90LWEtcmVhbC1pZA", "MTIzNDU2Nzg5", "garbage!!"}
)

func (g *opGen) value(t *rapid.T, typ *ast.Type, depth int, label string) string {
	if typ.Elem != nil {
		n := rapid.IntRange(0, 2).Draw(t, label+"#len")
		parts := make([]string, n)
		for i := range parts {
			parts[i] = g.value(t, typ.Elem, depth+1, label+"[]")
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if !typ.NonNull && rapid.IntRange(0, 15).Draw(t, label+"#null") == 0 {
		return "null"
	}
	def := g.s.Types[typ.NamedType]
	switch {
	case def == nil:
		return "null"
	case def.Kind == ast.Enum:
		if rapid.IntRange(0, 10).Draw(t, label+"#badenum") == 0 {
			return "NOT_A_VALUE"
		}
		return def.EnumValues[rapid.IntRange(0, len(def.EnumValues)-1).Draw(t, label+"#enum")].Name
	case def.Kind == ast.InputObject:
		if depth > 3 {
			return "{}"
		}
		var fields []string
		for _, f := range def.Fields {
			if f.Type.NonNull || rapid.IntRange(0, 6).Draw(t, label+"."+f.Name) == 0 {
				fields = append(fields, f.Name+": "+g.value(t, f.Type, depth+1, label+"."+f.Name))
			}
		}
		return "{" + strings.Join(fields, ", ") + "}"
	}
	switch typ.NamedType {
	case "Int":
		return strconv.FormatInt(rapid.SampledFrom(fuzzInts).Draw(t, label), 10)
	case "Float":
		return rapid.SampledFrom(fuzzFloats).Draw(t, label)
	case "Boolean":
		return strconv.FormatBool(rapid.Bool().Draw(t, label))
	case "ID":
		if g.ids > 0 && rapid.Bool().Draw(t, label+"#real") {
			return fmt.Sprintf(`"@ID%d@"`, rapid.IntRange(0, g.ids-1).Draw(t, label)) // a real row's global ID, per backend
		}
		return strconv.Quote(rapid.SampledFrom(fuzzBadIDs).Draw(t, label))
	case "Cursor":
		return strconv.Quote(rapid.SampledFrom(fuzzBadIDs).Draw(t, label))
	case "Date":
		return strconv.Quote(rapid.SampledFrom(fuzzDates).Draw(t, label))
	case "Time":
		return strconv.Quote(rapid.SampledFrom(fuzzTimes).Draw(t, label))
	default: // String and other scalars
		return quoteGraphQL(rapid.SampledFrom(fuzzStrings).Draw(t, label))
	}
}

// quoteGraphQL writes s as a GraphQL string literal (NUL as \u0000).
func quoteGraphQL(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (g *opGen) args(t *rapid.T, defs ast.ArgumentDefinitionList, label string) string {
	var out []string
	for _, a := range defs {
		if a.Type.NonNull || rapid.IntRange(0, 3).Draw(t, label+"("+a.Name) == 0 {
			out = append(out, a.Name+": "+g.value(t, a.Type, 0, label+"("+a.Name))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "(" + strings.Join(out, ", ") + ")"
}

// selection selects from a type: some scalar fields, and at depth < 3 one
// object field (a connection, an edge) with its own arguments.
func (g *opGen) selection(t *rapid.T, typeName string, depth int, label string) string {
	def := g.s.Types[typeName]
	if def == nil {
		return ""
	}
	switch def.Kind {
	case ast.Scalar, ast.Enum:
		return ""
	case ast.Interface, ast.Union:
		var parts []string
		parts = append(parts, "__typename")
		possible := g.s.PossibleTypes[typeName]
		if len(possible) > 0 && depth < 3 {
			p := possible[rapid.IntRange(0, len(possible)-1).Draw(t, label+"…on")]
			parts = append(parts, "... on "+p.Name+" "+g.selection(t, p.Name, depth+1, label+"…"+p.Name))
		}
		return "{ " + strings.Join(parts, " ") + " }"
	}
	var scalars, objects []*ast.FieldDefinition
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		if k := g.s.Types[f.Type.Name()]; k != nil && (k.Kind == ast.Scalar || k.Kind == ast.Enum) {
			scalars = append(scalars, f)
		} else {
			objects = append(objects, f)
		}
	}
	parts := []string{"__typename"}
	for _, f := range scalars {
		if rapid.IntRange(0, 3).Draw(t, label+"."+f.Name) == 0 {
			parts = append(parts, f.Name+g.args(t, f.Arguments, label+"."+f.Name))
		}
	}
	if depth < 3 && len(objects) > 0 && rapid.IntRange(0, 2).Draw(t, label+"#deeper") > 0 {
		f := objects[rapid.IntRange(0, len(objects)-1).Draw(t, label+"#object")]
		parts = append(parts, f.Name+g.args(t, f.Arguments, label+"."+f.Name)+" "+g.selection(t, f.Type.Name(), depth+1, label+"."+f.Name))
	}
	return "{ " + strings.Join(parts, " ") + " }"
}

func (g *opGen) operation(t *rapid.T) string {
	root, kind := g.s.Query, "query"
	if g.s.Mutation != nil && (g.mutations || rapid.IntRange(0, 3).Draw(t, "mutation?") == 0) {
		root, kind = g.s.Mutation, "mutation"
	}
	var fields []*ast.FieldDefinition
	for _, f := range root.Fields {
		// logout would end the member's and the admin's sessions for every
		// later operation (it has its own tests on every transport).
		if !strings.HasPrefix(f.Name, "__") && f.Name != "logout" {
			fields = append(fields, f)
		}
	}
	f := fields[rapid.IntRange(0, len(fields)-1).Draw(t, "root")]
	return kind + " { " + f.Name + g.args(t, f.Arguments, f.Name) + " " + g.selection(t, f.Type.Name(), 1, f.Name) + " }"
}

// panicWatch counts log records that speak of a panic, whatever logs them.
type panicWatch struct {
	slog.Handler
	n *atomic.Int64
}

func (h panicWatch) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(strings.ToLower(r.Message), "panic") {
		h.n.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h panicWatch) WithAttrs(as []slog.Attr) slog.Handler {
	return panicWatch{h.Handler.WithAttrs(as), h.n}
}

func (h panicWatch) WithGroup(name string) slog.Handler {
	return panicWatch{h.Handler.WithGroup(name), h.n}
}

// TestSchemaFuzz sends generated operations (see opGen) as an anonymous
// client, a workspace member and a site administrator through the real
// handler on every database, for a bounded time. Property: no 5xx, no
// INTERNAL, no panic in the log, every error has a code, the answer is
// bounded in size; and SQLite and PostgreSQL answer queries with the same
// codes.
func TestSchemaFuzz(t *testing.T) {
	panics := &atomic.Int64{}
	old := slog.Default()
	slog.SetDefault(slog.New(panicWatch{slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}), panics}))
	defer slog.SetDefault(old)

	type backend struct {
		name   string
		a      *api
		tokens map[string]string
		ids    []string // real rows; global IDs differ between backends
	}
	var backends []*backend
	for _, b := range testdb.Backends() {
		a := newAPI(t, b, true)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		backends = append(backends, &backend{string(b), a, map[string]string{"anonymous": "", "member": p.token["member"], "siteAdmin": p.token["siteAdmin"]},
			[]string{w.Workspace, w.Discussion, w.Post, w.Notice, w.Pilot, w.Municipality}})
	}
	g := &opGen{s: graph.NewSchema(nil, nil, nil, nil).Schema(), ids: len(backends[0].ids)}
	send := func(a *api, token, query string) (status int, body []byte, err error) {
		b, _ := json.Marshal(map[string]any{"query": query})
		req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/query", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		var buf bytes.Buffer
		_, err = buf.ReadFrom(res.Body)
		return res.StatusCode, buf.Bytes(), err
	}
	codesOf := func(body []byte) ([]string, error) {
		var r response
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, err
		}
		var codes []string
		for _, e := range r.Errors {
			codes = append(codes, e.code())
		}
		sort.Strings(codes)
		return codes, nil
	}

	var (
		mu   sync.Mutex
		ops  int
		seen = map[string]int{}
	)
	deadline := time.Now().Add(fuzzDuration())
	for time.Now().Before(deadline) {
		rapid.Check(t, func(rt *rapid.T) {
			query := g.operation(rt)
			role := rapid.SampledFrom([]string{"anonymous", "member", "siteAdmin"}).Draw(rt, "role")
			var first []string
			for i, be := range backends {
				real := query
				for j, id := range be.ids {
					real = strings.ReplaceAll(real, fmt.Sprintf("@ID%d@", j), id)
				}
				status, body, err := send(be.a, be.tokens[role], real)
				if err != nil {
					rt.Fatalf("%s: %v\n%s", be.name, err, query)
				}
				if status >= 500 {
					rt.Fatalf("%s as %s: HTTP %d %.300s\n%s", be.name, role, status, body, query)
				}
				if len(body) > 8<<20 {
					rt.Fatalf("%s: an answer of %d bytes\n%s", be.name, len(body), query)
				}
				codes, err := codesOf(body)
				if err != nil {
					rt.Fatalf("%s: not JSON (%v): %.300s\n%s", be.name, err, body, query)
				}
				for _, c := range codes {
					if c == "" || c == "INTERNAL" {
						rt.Fatalf("%s as %s: error code %q: %.500s\n%s", be.name, role, c, body, query)
					}
				}
				if n := panics.Load(); n > 0 {
					rt.Fatalf("%s: %d panics logged\n%s", be.name, n, query)
				}
				mu.Lock()
				ops++
				for _, c := range codes {
					seen[c]++
				}
				mu.Unlock()
				// Queries read the same rows on every backend; mutations
				// may diverge (a row taken on one is refused on the next).
				if strings.HasPrefix(query, "query") {
					if i == 0 {
						first = codes
					} else if fmt.Sprint(codes) != fmt.Sprint(first) {
						rt.Fatalf("codes differ: %s %v, %s %v\n%s", backends[0].name, first, be.name, codes, query)
					}
				}
			}
		})
		if t.Failed() {
			break
		}
	}
	t.Logf("%d operations on %d backends in %s; error codes seen: %v", ops, len(backends), fuzzDuration(), seen)
}
