package ent

// Written by hand: the GraphQL field name(lang:) of the types with names
// in three languages. gqlgen binds it to these methods, not to resolvers:
// a model's method reads nothing of the GraphQL execution (its field
// context), so the generated code calls it without making one per object
// (graph.readMethod). gqlgen binds a method's parameters to the field's
// arguments by name: lang.

import (
	"context"

	language "kokeilu/internal/lang"
)

// Name is the name in lang, or in the request's preferred language
// (Accept-Language) when lang is nil, falling back Finnish → Swedish →
// English (lang.Name).
func (m *Municipality) Name(ctx context.Context, lang *language.Language) string {
	return language.Name(ctx, lang, m.NameFi, m.NameSv, m.NameEn)
}

// NameAt is Name as a pointer into m, for graph.readMethod.
func (m *Municipality) NameAt(ctx context.Context, lang *language.Language) *string {
	return language.NameAt(ctx, lang, &m.NameFi, &m.NameSv, &m.NameEn)
}

// Name is the name in lang, as Municipality.Name.
func (r *Region) Name(ctx context.Context, lang *language.Language) string {
	return language.Name(ctx, lang, r.NameFi, r.NameSv, r.NameEn)
}

// NameAt is Name as a pointer into r, for graph.readMethod.
func (r *Region) NameAt(ctx context.Context, lang *language.Language) *string {
	return language.NameAt(ctx, lang, &r.NameFi, &r.NameSv, &r.NameEn)
}

// Name is the name in lang, as Municipality.Name.
func (c *WellbeingCounty) Name(ctx context.Context, lang *language.Language) string {
	return language.Name(ctx, lang, c.NameFi, c.NameSv, c.NameEn)
}

// NameAt is Name as a pointer into c, for graph.readMethod.
func (c *WellbeingCounty) NameAt(ctx context.Context, lang *language.Language) *string {
	return language.NameAt(ctx, lang, &c.NameFi, &c.NameSv, &c.NameEn)
}

// Name is the name in lang, as Municipality.Name.
func (t *Theme) Name(ctx context.Context, lang *language.Language) string {
	return language.Name(ctx, lang, t.NameFi, t.NameSv, t.NameEn)
}

// NameAt is Name as a pointer into t, for graph.readMethod.
func (t *Theme) NameAt(ctx context.Context, lang *language.Language) *string {
	return language.NameAt(ctx, lang, &t.NameFi, &t.NameSv, &t.NameEn)
}
