package search

import (
	"context"
	"fmt"
	"slices"

	"kokeilu/ent"
	"kokeilu/ent/post"
	"kokeilu/internal/auth"
)

// kindOfType maps ent's type names to what they index: a post changes its
// discussion's document (the opening post is the discussion's body).
var kindOfType = map[string]Kind{
	ent.TypePilot: Pilot, ent.TypeNetwork: Network, ent.TypeOrganization: Organization,
	ent.TypeWorkspace: Workspace, ent.TypeDiscussion: Discussion, ent.TypeNotice: Notice,
	ent.TypePost: Discussion, ent.TypeMunicipality: Municipality, ent.TypeRegion: Region,
	ent.TypeWellbeingCounty: WellbeingCounty, ent.TypeTheme: Theme,
}

// textFields are the fields documents are made of: an update that changes
// none of them (a discussion's counters, a pilot's dates) leaves the index
// alone.
var textFields = map[string]bool{"title": true, "name": true, "summary": true, "description": true, "body": true,
	"name_fi": true, "name_sv": true, "name_en": true}

func changesText(m ent.Mutation) bool {
	for _, f := range append(m.Fields(), m.ClearedFields()...) {
		if textFields[f] {
			return true
		}
	}
	// Moving a discussion or notice to another workspace changes who reads it.
	return slices.Contains(m.AddedEdges(), "workspace") || slices.Contains(m.ClearedEdges(), "workspace")
}

type skipKey struct{}

// WithoutIndexing returns ctx in which writes do not update the index: bulk
// loaders use it and call Rebuild once at the end.
func WithoutIndexing(ctx context.Context) context.Context {
	return context.WithValue(ctx, skipKey{}, true)
}

// hook is the global ent hook that keeps documents current: after a write
// succeeds, it re-reads the written rows with the writer's client (inside
// the writer's transaction, so the index commits or rolls back with the
// data) and replaces their documents.
func (ix *Index) hook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		kind, ok := kindOfType[m.Type()]
		if !ok || ctx.Value(skipKey{}) != nil || (m.Op().Is(ent.OpUpdate|ent.OpUpdateOne) && !changesText(m)) {
			return next.Mutate(ctx, m)
		}
		c := m.(interface{ Client() *ent.Client }).Client()
		sys := auth.System(ctx)
		var before []int // rows of bulk updates and deletes, known only before
		if !m.Op().Is(ent.OpCreate) {
			ids, err := m.(interface {
				IDs(context.Context) ([]int, error)
			}).IDs(sys)
			if err != nil {
				return nil, err
			}
			before = ids
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		ids := before
		if m.Op().Is(ent.OpCreate) {
			id, ok := m.(interface{ ID() (int, bool) }).ID()
			if !ok {
				return v, fmt.Errorf("search: created %s has no id", m.Type())
			}
			ids = []int{id}
		}
		if err := ix.changed(sys, c, m, kind, ids); err != nil {
			return nil, fmt.Errorf("search index: %w", err)
		}
		return v, nil
	})
}

// changed updates the documents after rows ids of m's type were written.
func (ix *Index) changed(ctx context.Context, c *ent.Client, m ent.Mutation, kind Kind, ids []int) error {
	if len(ids) == 0 {
		return nil
	}
	deleted := m.Op().Is(ent.OpDelete | ent.OpDeleteOne)
	switch m.Type() {
	case ent.TypePost:
		// Only a discussion's opening post is in its document: replies,
		// the common write, leave the index alone.
		first, err := idsOf(ctx, c, `SELECT p.`+post.DiscussionColumn+` FROM `+post.Table+` p WHERE p.id IN (`+intList(ids)+
			`) AND NOT EXISTS (SELECT 1 FROM `+post.Table+` q WHERE q.`+post.DiscussionColumn+` = p.`+post.DiscussionColumn+` AND q.id < p.id)`)
		if err != nil {
			return err
		}
		ids, deleted = first, false
		if len(ids) == 0 {
			return nil
		}
	case ent.TypeWorkspace:
		if deleted { // contents go with their workspace
			contents, err := idsOf(ctx, c, `SELECT id FROM search_documents WHERE workspace_id IN (`+intList(ids)+`)`)
			if err != nil {
				return err
			}
			if err := ix.remove(ctx, c, contents); err != nil {
				return err
			}
		}
	}
	if deleted {
		return ix.remove(ctx, c, ids)
	}
	if doc, ok := fromCreate(m, kind, ids); ok { // no need to read back what was just written
		return ix.write(ctx, c, []document{doc})
	}
	s := sourceOf(kind)
	docs, err := ix.read(ctx, c, s, " WHERE "+idColumn(s)+" IN ("+intList(ids)+")")
	if err != nil {
		return err
	}
	found := map[int]bool{}
	for _, d := range docs {
		found[d.id] = true
	}
	var gone []int // rows deleted meanwhile leave no document
	for _, id := range ids {
		if !found[id] {
			gone = append(gone, id)
		}
	}
	if err := ix.remove(ctx, c, gone); err != nil {
		return err
	}
	return ix.write(ctx, c, docs)
}

func idsOf(ctx context.Context, c execQuerier, query string) ([]int, error) {
	rows, err := c.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// fromCreate builds the document of a row just created from the mutation's
// own values, as the source query would read them; false when it cannot
// (a post, which changes its discussion's document).
func fromCreate(m ent.Mutation, kind Kind, ids []int) (document, bool) {
	if !m.Op().Is(ent.OpCreate) || m.Type() == ent.TypePost || len(ids) != 1 {
		return document{}, false
	}
	text := func(name string) string {
		v, _ := m.Field(name)
		s, _ := v.(string)
		return s
	}
	d := document{id: ids[0], kind: kind, title: text("title") + text("name")}
	switch kind {
	case Municipality, Region, WellbeingCounty, Theme:
		d.title = text("name_fi") + " " + text("name_sv") + " " + text("name_en")
	case Pilot:
		d.body = text("summary") + " " + text("description")
	case Notice:
		d.body = text("body")
	case Discussion: // its opening post comes next
	default:
		d.body = text("description")
	}
	if w, ok := m.(interface{ WorkspaceID() (int, bool) }); ok && (kind == Notice || kind == Discussion) {
		id, ok := w.WorkspaceID()
		if !ok {
			return document{}, false
		}
		d.workspace.Int64, d.workspace.Valid = int64(id), true
	}
	d.body = clip(d.body, maxBody)
	return d, true
}
