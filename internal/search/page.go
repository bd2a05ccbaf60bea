package search

import (
	"context"
	"log/slog"

	"kokeilu/ent"
	"kokeilu/ent/discussion"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/notice"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
	"kokeilu/ent/region"
	"kokeilu/ent/theme"
	"kokeilu/ent/wellbeingcounty"
	"kokeilu/ent/workspace"
	"kokeilu/internal/fault"
)

// Page is one page of a search, as a Relay connection shows it.
type Page struct {
	Nodes     []ent.Noder
	Positions []int      // 1-based rank of each node: its cursor
	Snippets  []*Snippet // where each node matched; nil when no single word did
	Total     int
	HasNext   bool
	HasPrev   bool
}

// Find runs a search with Relay paging arguments (cursors are rank
// positions) and loads the hits through c with ctx, so the privacy
// policies have the last word on every row. Snippets are found only when
// withSnippets.
func (ix *Index) Find(ctx context.Context, c *ent.Client, query string, kinds []Kind, withSnippets bool, after *int, first *int, before *int, last *int) (*Page, error) {
	terms := Terms(query)
	if len(terms) == 0 {
		return nil, fault.BadInput("query", "query needs at least one letter or digit")
	}
	var start, end int
	window := func(total int) (int, int) {
		start, end = 0, total
		if after != nil {
			start = min(max(*after, 0), total)
		}
		if before != nil {
			end = max(min(*before-1, total), start)
		}
		if first != nil {
			end = min(end, start+*first)
		}
		if last != nil {
			start = max(start, end-*last)
		}
		return start, end - start
	}
	hits, total, err := ix.Search(ctx, c, Query{Terms: terms, Kinds: kinds, Window: window})
	if err != nil {
		return nil, err
	}
	var snippets map[int]Snippet
	if withSnippets {
		if snippets, err = ix.snippets(ctx, c, terms, hits); err != nil {
			return nil, err
		}
	}
	p := &Page{Total: total, HasPrev: start > 0, HasNext: end < total}
	nodes, err := load(ctx, c, hits)
	if err != nil {
		return nil, err
	}
	for i, h := range hits {
		n, ok := nodes[h.ID]
		if !ok {
			// The index and the policies disagree (a row changed since
			// the count): show only what the viewer may read.
			slog.WarnContext(ctx, "search hit not readable", "id", h.ID, "kind", h.Kind)
			p.Total--
			continue
		}
		p.Nodes = append(p.Nodes, n)
		p.Positions = append(p.Positions, start+i+1)
		var sn *Snippet
		if s, ok := snippets[h.ID]; ok {
			sn = &s
		}
		p.Snippets = append(p.Snippets, sn)
	}
	return p, nil
}

// load reads the hits' rows, one query per kind, with the viewer's ctx.
func load(ctx context.Context, c *ent.Client, hits []Hit) (map[int]ent.Noder, error) {
	byKind := map[Kind][]int{}
	for _, h := range hits {
		byKind[h.Kind] = append(byKind[h.Kind], h.ID)
	}
	out := make(map[int]ent.Noder, len(hits))
	add := func(n ent.Noder, id int) { out[id] = n }
	for kind, ids := range byKind {
		var err error
		switch kind {
		case Pilot:
			err = each(c.Pilot.Query().Where(pilot.IDIn(ids...)).All(ctx))(func(v *ent.Pilot) { add(v, v.ID) })
		case Network:
			err = each(c.Network.Query().Where(network.IDIn(ids...)).All(ctx))(func(v *ent.Network) { add(v, v.ID) })
		case Organization:
			err = each(c.Organization.Query().Where(organization.IDIn(ids...)).All(ctx))(func(v *ent.Organization) { add(v, v.ID) })
		case Workspace:
			err = each(c.Workspace.Query().Where(workspace.IDIn(ids...)).All(ctx))(func(v *ent.Workspace) { add(v, v.ID) })
		case Discussion:
			err = each(c.Discussion.Query().Where(discussion.IDIn(ids...)).All(ctx))(func(v *ent.Discussion) { add(v, v.ID) })
		case Notice:
			err = each(c.Notice.Query().Where(notice.IDIn(ids...)).All(ctx))(func(v *ent.Notice) { add(v, v.ID) })
		case Municipality:
			err = each(c.Municipality.Query().Where(municipality.IDIn(ids...)).All(ctx))(func(v *ent.Municipality) { add(v, v.ID) })
		case Region:
			err = each(c.Region.Query().Where(region.IDIn(ids...)).All(ctx))(func(v *ent.Region) { add(v, v.ID) })
		case WellbeingCounty:
			err = each(c.WellbeingCounty.Query().Where(wellbeingcounty.IDIn(ids...)).All(ctx))(func(v *ent.WellbeingCounty) { add(v, v.ID) })
		case Theme:
			err = each(c.Theme.Query().Where(theme.IDIn(ids...)).All(ctx))(func(v *ent.Theme) { add(v, v.ID) })
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// each calls fn for every row of a query's result, or returns its error.
func each[T any](rows []T, err error) func(fn func(T)) error {
	return func(fn func(T)) error {
		if err != nil {
			return err
		}
		for _, r := range rows {
			fn(r)
		}
		return nil
	}
}
