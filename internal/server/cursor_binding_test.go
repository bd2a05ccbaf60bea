package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"kokeilu/graph"
	"kokeilu/internal/testdb"

	"entgo.io/contrib/entgql"
	"github.com/vektah/gqlparser/v2/ast"
	"pgregory.net/rapid"
)

// pagedList is a connection to draw cursors from and send them to: a root
// connection, one under an object, or a search.
type pagedList struct {
	name   string   // as in messages
	typ    string   // node type: what its cursors belong to, with the order
	orders []string // order fields (none: search)
	wrap   string   // the query around the connection, %s for it (aliased c)
	field  string   // the connection field with its fixed arguments, e.g. `search(query: "x"`
	search string   // a search's key (its query and types)
}

// pagedLists are the lists of the schema with rows in the demo data: every
// root connection, the nested and hand-written ones under a municipality
// and a region, and searches of different queries and types.
func pagedLists(t *testing.T, a *api, s *ast.Schema) []pagedList {
	orderFields := func(f *ast.FieldDefinition) []string {
		arg := f.Arguments.ForName("orderBy")
		if arg == nil {
			return nil
		}
		enum := s.Types[s.Types[arg.Type.Name()].Fields.ForName("field").Type.Name()]
		var out []string
		for _, v := range enum.EnumValues {
			out = append(out, v.Name)
		}
		return out
	}
	var lists []pagedList
	add := func(l pagedList) {
		res := a.post(fmt.Sprintf("{ "+l.wrap+" }", l.field+"first: 3) { nodes { __typename } }"), nil)
		if len(res.Errors) == 0 && strings.Count(string(res.Data), "__typename") >= 2 {
			lists = append(lists, l)
		}
	}
	for _, f := range s.Query.Fields {
		typ, ok := strings.CutSuffix(f.Type.Name(), "Connection")
		if !ok || f.Arguments.ForName("after") == nil || f.Name == "search" {
			continue
		}
		add(pagedList{name: f.Name, typ: typ, orders: orderFields(f), wrap: "c: %s", field: f.Name + "("})
	}
	for _, n := range []struct{ parent, wrap, field string }{
		{"Municipality", `municipality(code: "091") { c: %s }`, "pilots"},
		{"Municipality", `municipality(code: "091") { c: %s }`, "ledPilots"},
		{"Region", `region(code: "01") { c: %s }`, "pilots"},
		{"Region", `region(code: "01") { c: %s }`, "municipalities"},
	} {
		f := s.Types[n.parent].Fields.ForName(n.field)
		typ := strings.TrimSuffix(f.Type.Name(), "Connection")
		add(pagedList{name: n.parent + "." + n.field, typ: typ, orders: orderFields(f), wrap: n.wrap, field: n.field + "("})
	}
	for _, q := range []struct{ query, types string }{{"kokeilu", ""}, {"kunta", ""}, {"kokeilu", "[PILOT]"}, {"kokeilu", "[PILOT, NETWORK]"}, {"kokeilu", "[NETWORK, PILOT]"}} {
		field := fmt.Sprintf(`search(query: %q, `, q.query)
		key := q.query
		if q.types != "" {
			field += "types: " + q.types + ", "
			key += " " + strings.Join(sortedWords(q.types), " ")
		}
		add(pagedList{name: "search " + q.query + " " + q.types, typ: "SearchResult", wrap: "c: %s", field: field, search: key})
	}
	if len(lists) < 10 {
		t.Fatalf("only %d lists with rows: %+v", len(lists), lists)
	}
	return lists
}

// sortedWords are the words of a GraphQL list literal, sorted: [NETWORK,
// PILOT] and [PILOT, NETWORK] are one search.
func sortedWords(list string) []string {
	words := strings.Fields(strings.NewReplacer("[", " ", "]", " ", ",", " ").Replace(list))
	for i := range words {
		for j := i + 1; j < len(words); j++ {
			if words[j] < words[i] {
				words[i], words[j] = words[j], words[i]
			}
		}
	}
	return words
}

// ordering is one orderBy as the client writes it, and what it means: the
// fields with their directions (ASC written or left out).
type ordering struct{ literal, meaning string }

func drawOrdering(t *rapid.T, fields []string, label string) ordering {
	if len(fields) == 0 {
		return ordering{}
	}
	n := rapid.IntRange(0, min(2, len(fields))).Draw(t, label+"#terms")
	if n == 0 && rapid.Bool().Draw(t, label+"#empty") {
		return ordering{literal: "orderBy: [], "} // the default order, as when left out
	}
	var lit, meaning []string
	used := map[string]bool{}
	for i := range n {
		f := rapid.SampledFrom(fields).Filter(func(f string) bool { return !used[f] }).Draw(t, fmt.Sprintf("%s#field%d", label, i))
		used[f] = true
		switch dir := rapid.SampledFrom([]string{"", "ASC", "DESC"}).Draw(t, fmt.Sprintf("%s#dir%d", label, i)); dir {
		case "":
			lit = append(lit, "{field: "+f+"}")
			meaning = append(meaning, f+" ASC")
		default:
			lit = append(lit, "{field: "+f+", direction: "+dir+"}")
			meaning = append(meaning, f+" "+dir)
		}
	}
	if n == 0 {
		return ordering{}
	}
	return ordering{literal: "orderBy: [" + strings.Join(lit, ", ") + "], ", meaning: strings.Join(meaning, ", ")}
}

// connPage is a page of a connection as the test reads it.
type connPage struct {
	PageInfo struct {
		StartCursor, EndCursor       *string
		HasNextPage, HasPreviousPage bool
	}
	Edges []struct {
		Cursor string
		Node   struct{ ID string }
	}
}

// page asks list l in order o with the paging arguments args (e.g.
// `first: 2, after: $c`, with $c the cursor c).
func (l pagedList) page(a *api, o ordering, args string, c *string) (connPage, response) {
	sel := "pageInfo { startCursor endCursor hasNextPage hasPreviousPage } edges { cursor node { ... on Node { id } } }"
	q := fmt.Sprintf("query { "+l.wrap+" }", l.field+o.literal+args+") { "+sel+" }")
	var vars map[string]any
	if c != nil {
		q = "query($c: Cursor)" + strings.TrimPrefix(q, "query")
		vars = map[string]any{"c": *c}
	}
	res := a.post(q, vars)
	var p connPage
	if len(res.Errors) == 0 {
		p = findConnection(a.t, res.Data)
	}
	return p, res
}

// findConnection is the connection aliased c in data.
func findConnection(t testing.TB, data json.RawMessage) connPage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("data: %v", err)
	}
	if c, ok := m["c"]; ok {
		var p connPage
		if err := json.Unmarshal(c, &p); err != nil {
			t.Fatalf("connection: %v", err)
		}
		return p
	}
	for _, v := range m {
		if bytes.HasPrefix(v, []byte("{")) {
			return findConnection(t, v)
		}
	}
	t.Fatalf("no connection in %s", data)
	return connPage{}
}

func ids(p connPage) []string {
	out := make([]string, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.Node.ID
	}
	return out
}

// TestCursorBelongsToItsList draws pairs of (list, orderBy), takes a real
// cursor of the first and passes it to the second as after or before.
// Property: it pages (no error) exactly when both have the same node type
// and orderBy (and, for search, the same query and types); otherwise it is
// BAD_USER_INPUT on that argument. When the pair is one list in one order,
// paging through it forwards with after and backwards with before gives
// the rows of one large page, in order, each once.
func TestCursorBelongsToItsList(t *testing.T) {
	s := graph.NewSchema(nil, nil, nil, nil).Schema()
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		lists := pagedLists(t, a, s)
		var accepted, refused, paged int
		rapid.Check(t, func(rt *rapid.T) {
			from := rapid.SampledFrom(lists).Draw(rt, "from")
			fromOrder := drawOrdering(rt, from.orders, "fromOrder")
			to, toOrder := from, fromOrder
			switch rapid.IntRange(0, 3).Draw(rt, "to?") {
			case 0: // the same list and order
			case 1: // another list of the type, in the same order
				var same []pagedList
				for _, l := range lists {
					if l.typ == from.typ && l.search == "" && from.search == "" {
						same = append(same, l)
					}
				}
				if len(same) > 0 {
					to = rapid.SampledFrom(same).Draw(rt, "sameType")
				}
			default:
				to = rapid.SampledFrom(lists).Draw(rt, "to")
				toOrder = drawOrdering(rt, to.orders, "toOrder")
			}
			first, res := from.page(a, fromOrder, fmt.Sprintf("first: %d", rapid.IntRange(1, 3).Draw(rt, "size")), nil)
			if len(res.Errors) > 0 {
				rt.Fatalf("%s %s: %+v", from.name, fromOrder.literal, res.Errors)
			}
			if len(first.Edges) == 0 {
				rt.Fatalf("%s %s: no rows", from.name, fromOrder.literal)
			}
			c := first.Edges[rapid.IntRange(0, len(first.Edges)-1).Draw(rt, "edge")].Cursor
			arg := rapid.SampledFrom([]string{"after", "before"}).Draw(rt, "arg")
			args := "first: 2, after: $c"
			if arg == "before" {
				args = "last: 2, before: $c"
			}
			_, res = to.page(a, toOrder, args, &c)
			same := from.typ == to.typ && fromOrder.meaning == toOrder.meaning && from.search == to.search
			switch {
			case same && len(res.Errors) > 0:
				rt.Fatalf("a cursor of %s %s refused by %s %s: %+v", from.name, fromOrder.literal, to.name, toOrder.literal, res.Errors)
			case !same && (len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != arg):
				rt.Fatalf("a cursor of %s %s passed as %s to %s %s: want BAD_USER_INPUT on %s, got %+v", from.name, fromOrder.literal, arg, to.name, toOrder.literal, arg, res.Errors)
			case same:
				accepted++
			default:
				refused++
			}
			if from.name != to.name || fromOrder != toOrder {
				return
			}
			// One list in one order: pages forwards are the rows of one large
			// page with first, backwards those of one with last.
			size := rapid.IntRange(1, 7).Draw(rt, "page")
			for _, dir := range []struct{ size, cursor, more string }{{"first", "after", "next"}, {"last", "before", "previous"}} {
				all, res := from.page(a, fromOrder, dir.size+": 100", nil)
				if len(res.Errors) > 0 {
					rt.Fatalf("%+v", res.Errors)
				}
				want := ids(all)
				var got []string
				var cursor *string
				for len(got) < len(want) {
					args := fmt.Sprintf("%s: %d", dir.size, size)
					if cursor != nil {
						args += ", " + dir.cursor + ": $c"
					}
					p, res := from.page(a, fromOrder, args, cursor)
					if len(res.Errors) > 0 {
						rt.Fatalf("%s %s (%s): %+v", from.name, fromOrder.literal, args, res.Errors)
					}
					more, next := p.PageInfo.HasNextPage, p.PageInfo.EndCursor
					if dir.size == "last" {
						got = append(ids(p), got...)
						more, next = p.PageInfo.HasPreviousPage, p.PageInfo.StartCursor
					} else {
						got = append(got, ids(p)...)
					}
					if !more || len(p.Edges) == 0 {
						break
					}
					cursor = next
				}
				if dir.size == "last" && len(got) > len(want) {
					got = got[len(got)-len(want):]
				} else if len(got) > len(want) {
					got = got[:len(want)]
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					rt.Fatalf("%s %s in pages of %s %d:\n got  %v\n want %v", from.name, fromOrder.literal, dir.size, size, got, want)
				}
			}
			paged++
		})
		t.Logf("%d lists; %d cursors accepted, %d refused; %d lists paged through", len(lists), accepted, refused, paged)
	})
}

// cursorOf writes a cursor as the API does (entgql: msgpack, base64).
func cursorOf(id int, value any) string {
	var b bytes.Buffer
	entgql.Cursor[int]{ID: id, Value: value}.MarshalGQL(&b)
	return strings.Trim(b.String(), `"`)
}

// TestForgedCursorIsBadInput: cursors the API did not make, or made for
// another list, are BAD_USER_INPUT on the argument wherever they go —
// before rows are read, so also where only totalCount is asked — and a
// cursor holding NULL for a nullable order column pages.
func TestForgedCursorIsBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		var real struct {
			Pilots struct{ Edges []struct{ Cursor string } }
			Search struct{ Edges []struct{ Cursor string } }
		}
		a.query(&real, `{ pilots(first: 2, orderBy: [{field: TITLE}]) { edges { cursor } }
			search(query: "kokeilu", first: 2) { edges { cursor } } }`, nil)
		now := time.Now().UTC()
		bad := []struct{ name, field, cursor string }{
			{"garbage", "pilots", "%%%"},
			{"base64 of no msgpack", "pilots", "aGVsbG8"},
			{"an old cursor without a tag", "pilots", cursorOf(5, []any{"Perustulo"})},
			{"no value", "pilots", cursorOf(5, nil)},
			{"a map for a value", "pilots", cursorOf(5, map[string]any{"a": 1})},
			{"id 0", "pilots", cursorOf(0, []any{"Pilot:TITLE", []byte("x")})},
			{"id -5", "pilots", cursorOf(-5, []any{"Pilot:TITLE", []byte("x")})},
			{"nil for TITLE (NOT NULL)", "pilots", cursorOf(5, []any{"Pilot:TITLE", nil})},
			{"a time for TITLE", "pilots", cursorOf(5, []any{"Pilot:TITLE", now})},
			{"too few values", "pilots", cursorOf(5, []any{"Pilot:TITLE"})},
			{"too many values", "pilots", cursorOf(5, []any{"Pilot:TITLE", []byte("x"), []byte("y")})},
			{"a tag of another type", "pilots", cursorOf(5, []any{"Network:TITLE", []byte("x")})},
			{"a tag of another direction", "pilots", cursorOf(5, []any{"Pilot:-TITLE", []byte("x")})},
			{"a search cursor", "pilots", real.Search.Edges[0].Cursor},
			{"a pilots cursor in search", "search", real.Pilots.Edges[0].Cursor},
			{"position 0 in search", "search", cursorOf(0, []any{"SearchResult:", "x"})},
			{"a search cursor of another query", "search other", real.Search.Edges[0].Cursor},
		}
		queries := map[string]string{
			"pilots":       `query($c: Cursor) { pilots(first: 2, after: $c, orderBy: [{field: TITLE}]) { totalCount nodes { id } } }`,
			"pilots count": `query($c: Cursor) { pilots(after: $c, orderBy: [{field: TITLE}]) { totalCount } }`,
			"nested":       `query($c: Cursor) { municipalities(first: 2) { nodes { pilots(first: 2, after: $c, orderBy: [{field: TITLE}]) { nodes { id } } } } }`,
			"search":       `query($c: Cursor) { search(query: "kokeilu", first: 2, after: $c) { nodes { __typename } } }`,
			"search other": `query($c: Cursor) { search(query: "kunta", first: 2, after: $c) { nodes { __typename } } }`,
		}
		for _, c := range bad {
			targets := []string{c.field}
			if c.field == "pilots" {
				targets = append(targets, "pilots count", "nested")
			}
			for _, target := range targets {
				res := a.post(queries[target], map[string]any{"c": c.cursor})
				if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "after" {
					t.Errorf("%s on %s: want BAD_USER_INPUT on after, got %s %+v", c.name, target, res.Data, res.Errors)
				}
			}
		}
		// A nullable column's cursor may hold NULL: the rows after it are the
		// other NULLs by ID.
		var nulls struct{ Pilots struct{ TotalCount int } }
		a.query(&nulls, `query($c: Cursor) { pilots(first: 2, after: $c, orderBy: [{field: ENDS_ON}]) { totalCount } }`,
			map[string]any{"c": cursorOf(1, []any{"Pilot:ENDS_ON", nil})})
		// noticePosted takes the cursor of a notice (Notice.cursor or a
		// notices list, in any order), nothing else.
		var notices struct {
			Notices struct {
				Edges []struct {
					Cursor string
					Node   struct{ Cursor string }
				}
			}
		}
		a.query(&notices, `{ notices(first: 1, orderBy: [{field: PUBLISHED_AT, direction: DESC}]) { edges { cursor node { cursor } } } }`, nil)
		if len(notices.Notices.Edges) == 0 {
			t.Fatal("no notices in the demo data")
		}
		const posted = `subscription($c: Cursor) { noticePosted(after: $c) { id } }`
		for _, c := range []string{notices.Notices.Edges[0].Cursor, notices.Notices.Edges[0].Node.Cursor} {
			if events, open := a.sse(posted, map[string]any{"c": c}, time.Second); !open || len(sseErrors(events)) > 0 {
				t.Errorf("a notice's cursor in noticePosted: %+v", events)
			}
		}
		for _, c := range []string{real.Pilots.Edges[0].Cursor, real.Search.Edges[0].Cursor, cursorOf(0, []any{"Notice:"})} {
			if events, _ := a.sse(posted, map[string]any{"c": c}, 3*time.Second); codes(sseErrors(events)) != "BAD_USER_INPUT" {
				t.Errorf("cursor %s in noticePosted: %+v", c, events)
			}
		}
		// A notice's cursor pages the notices list in its default order.
		var page struct{ Notices struct{ TotalCount int } }
		a.query(&page, `query($c: Cursor) { notices(first: 1, after: $c) { totalCount nodes { id } } }`, map[string]any{"c": notices.Notices.Edges[0].Node.Cursor})
	})
}
