package graph

import (
	"context"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"kokeilu/ent"
	"kokeilu/graph/model"
	"kokeilu/internal/analytics"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"
	"kokeilu/internal/lang"
	"kokeilu/internal/paging"
	"kokeilu/internal/scalar"
	"kokeilu/internal/search"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// orNil turns the result of a lookup by code or slug into null when nothing
// has that key: unknown keys are not errors.
func orNil[T any](v *T, err error) (*T, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return v, err
}

// node resolves a global ID; a well-formed ID that names nothing gives null
// and a NOT_FOUND error, as on GitHub.
func (r *Resolver) node(ctx context.Context, id int) (ent.Noder, error) {
	n, err := r.db(ctx).Noder(ctx, id)
	if ent.IsNotFound(err) {
		return nil, entgql.ErrNodeNotFound(scalar.EncodeID(id))
	}
	return n, err
}

// nodes resolves up to paging.MaxSize global IDs in one query per type.
func (r *Resolver) nodes(ctx context.Context, ids []int) ([]ent.Noder, error) {
	if len(ids) > paging.MaxSize {
		return nil, fault.BadInput("ids", "nodes takes at most %d ids", paging.MaxSize)
	}
	return r.db(ctx).Noders(ctx, ids)
}

// localName is name(lang:) of every type with names in several languages.
func localName(ctx context.Context, want *lang.Language, fi, sv, en string) string {
	return lang.Name(ctx, want, fi, sv, en)
}

// authPayload is what register and login return.
func authPayload(s *auth.Session, err error) (*model.AuthPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.AuthPayload{Token: s.Token, User: s.User, ExpiresAt: s.ExpiresAt}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// signedInAs tells whether a field is read under the AuthPayload of
// register or login for user id: that request has just proven to be them.
func signedInAs(ctx context.Context, id int) bool {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if p, ok := fc.Result.(*model.AuthPayload); ok {
			return p.User != nil && p.User.ID == id
		}
	}
	return false
}

// areaPilots is Region.pilots and WellbeingCounty.pilots: the pilots in
// the area (of one code), as analytics.Area defines it. When only
// totalCount is asked (a map layer), the counts of every area come from one
// statement shared by the list.
func (r *Resolver) areaPilots(ctx context.Context, area analytics.Area,
	after *entgql.Cursor[int], first *int, before *entgql.Cursor[int], last *int, orderBy []*ent.PilotOrder, where *ent.PilotWhereInput,
) (*ent.PilotConnection, error) {
	if onlyTotalCount(ctx) {
		counts, err := analytics.AreaCounts(ctx, r.db(ctx), string(area.Dim)+" "+listPath(ctx), where, area.Dim)
		if err != nil {
			return nil, err
		}
		return &ent.PilotConnection{Edges: []*ent.PilotEdge{}, TotalCount: counts[area.Codes[0]]}, nil
	}
	return r.db(ctx).Pilot.Query().Where(area.Pilots()).
		Paginate(ctx, after, first, before, last, ent.WithPilotOrder(orderBy), ent.WithPilotFilter(where.Filter))
}

// codes is the list of an optional code argument: nil when it is absent.
func codes(code *string) []string {
	if code == nil {
		return nil
	}
	return []string{*code}
}

// onlyTotalCount tells whether a connection field selects nothing but
// totalCount (and __typename).
func onlyTotalCount(ctx context.Context) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name != "totalCount" && f.Name != "__typename" {
			return false
		}
	}
	return true
}

// asksAreas tells whether a pilotStats selection asks for its buckets'
// municipalities or population (they cost more than the pilots).
func asksAreas(ctx context.Context) bool {
	return asksFor(ctx, "buckets", "municipalities", "population")
}

// asksSnippets tells whether a search connection's selection reads
// edges.snippet: finding snippets reads every hit's text again.
func asksSnippets(ctx context.Context) bool {
	return asksFor(ctx, "edges", "snippet")
}

// asksFor tells whether the field's selection asks for any of names
// under its child field parent.
func asksFor(ctx context.Context, parent string, names ...string) bool {
	op := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name != parent {
			continue
		}
		for _, c := range graphql.CollectFields(op, f.Selections, nil) {
			if slices.Contains(names, c.Name) {
				return true
			}
		}
	}
	return false
}

// listPath is the field's path without list indices: the same for every
// item of the lists around it (regions.nodes.pilots), so they share a count.
func listPath(ctx context.Context) string {
	var b strings.Builder
	for _, e := range graphql.GetFieldContext(ctx).Path() {
		if name, ok := e.(ast.PathName); ok {
			b.WriteString(string(name))
			b.WriteByte('.')
		}
	}
	return b.String()
}

// searchTag is the tag of search cursors (internal/paging). Search has no
// orderBy; its cursors are positions in the hits of one search, so after
// the tag they carry that search's key.
var searchTag = paging.Tag("SearchResult")

// searchKey names one search, its query and types, in its cursors.
func searchKey(query string, types []model.SearchType) string {
	sorted := make([]string, len(types))
	for i, t := range types {
		sorted[i] = string(t)
	}
	slices.Sort(sorted)
	h := fnv.New64a()
	h.Write([]byte(query))
	for _, t := range sorted {
		h.Write([]byte{0})
		h.Write([]byte(t))
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// cursorPosition reads a search cursor of the search key: the rank
// position of a hit. A cursor of another list or search is BAD_USER_INPUT.
func cursorPosition(c *entgql.Cursor[int], arg, key string) (*int, error) {
	if c == nil {
		return nil, nil
	}
	values, err := paging.Values(c, arg, searchTag)
	if err != nil {
		return nil, err
	}
	if len(values) != 1 || values[0] != key {
		return nil, fault.BadInput(arg, "%s: this cursor belongs to another search; start again without after and before", arg)
	}
	return &c.ID, nil
}

// snippet is a search hit's snippet in the GraphQL model.
func snippet(s *search.Snippet) *model.SearchSnippet {
	if s == nil {
		return nil
	}
	out := &model.SearchSnippet{Text: s.Text, Highlights: []*model.SearchHighlight{}}
	for _, h := range s.Highlights {
		out.Highlights = append(out.Highlights, &model.SearchHighlight{Start: h[0], Length: h[1]})
	}
	return out
}

// searchConnection is a page of search hits as a Relay connection; its
// cursors carry the search's key.
func searchConnection(p *search.Page, key string) *model.SearchResultConnection {
	// Empty, not nil, lists: an empty page is "edges": [], as entgql's
	// connections answer.
	conn := &model.SearchResultConnection{Nodes: []ent.Noder{}, Edges: []*model.SearchResultEdge{}, TotalCount: p.Total,
		PageInfo: &entgql.PageInfo[int]{HasNextPage: p.HasNext, HasPreviousPage: p.HasPrev}}
	conn.Nodes = append(conn.Nodes, p.Nodes...)
	for i, n := range p.Nodes {
		conn.Edges = append(conn.Edges, &model.SearchResultEdge{Node: n, Cursor: paging.NewCursor(p.Positions[i], searchTag, key), Snippet: snippet(p.Snippets[i])})
	}
	if len(conn.Edges) > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[len(conn.Edges)-1].Cursor
	}
	return conn
}
