package graph

import (
	"bytes"
	"context"
	"testing"

	_ "kokeilu/ent/runtime"
	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/lang"
	"kokeilu/internal/seed"
	"kokeilu/internal/testdb"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
)

// TestWrittenWholeAgreesWithGqlgen: the buckets @writtenWhole writes are
// byte for byte what gqlgen writes field by field (the directive passing
// the list through), for selections with aliases, fragments, __typename,
// repeated fields, @skip/@include, names in a language given or preferred,
// from the kept counts and from the rows; and the writer did write them.
func TestWrittenWholeAgreesWithGqlgen(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		ctx := auth.System(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		size := dataset.Size{Pilots: 120, Networks: 6, Organizations: 8, Themes: 5}
		if err := dataset.Generate(ctx, db.Client, size, 3); err != nil {
			t.Fatal(err)
		}
		written := 0
		whole := executor.New(NewExecutableSchema(Config{
			Resolvers: &Resolver{client: db.Client},
			Directives: DirectiveRoot{WrittenWhole: func(ctx context.Context, obj any, next graphql.Resolver) (any, error) {
				v, err := writtenWhole(ctx, obj, next)
				if _, ok := v.(*bucketWriter); ok {
					written++
				}
				return v, err
			}},
		}))
		byField := executor.New(NewExecutableSchema(Config{
			Resolvers: &Resolver{client: db.Client},
			Directives: DirectiveRoot{WrittenWhole: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
				return next(ctx)
			}},
		}))
		run := func(e *executor.Executor, query string, vars map[string]any) []byte {
			ctx := graphql.StartOperationTrace(lang.WithPreferred(ctx, lang.SV))
			oc, errs := e.CreateOperationContext(ctx, &graphql.RawParams{Query: query, Variables: vars})
			if errs != nil {
				t.Fatalf("%s: %v", query, errs)
			}
			ctx = graphql.WithOperationContext(ctx, oc)
			handler, ctx := e.DispatchOperation(ctx, oc)
			res := handler(ctx)
			if len(res.Errors) > 0 {
				t.Fatalf("%s: %v", query, res.Errors)
			}
			return res.Data
		}
		for _, c := range []struct {
			query string
			vars  map[string]any
		}{
			{query: `{ pilotStats(groupBy: [MUNICIPALITY, THEME]) { total buckets { keys { dimension code name } pilots municipalities population } } }`},
			{query: `{ pilotStats(groupBy: [REGION, THEME, STATUS]) { buckets { __typename p: pilots keys { __typename c: code n: name(lang: EN) code } pilots } } }`},
			{query: `query($l: Language, $s: Boolean!) { s: pilotStats(groupBy: [NETWORK], where: {status: ACTIVE}) {
				buckets { ...B keys { name(lang: $l) } municipalities @skip(if: $s) population @include(if: $s) } } }
				fragment B on PilotStatsBucket { keys { code dimension } ... on PilotStatsBucket { pilots } }`,
				vars: map[string]any{"l": "SV", "s": true}},
			{query: `query($l: Language) { pilotStats(groupBy: [SUBREGION, STATUS]) { buckets { a: keys { code } b: keys { name(lang: $l) x: name } } } }`,
				vars: map[string]any{"l": nil}},
			// From the rows: a filter the kept counts do not serve.
			{query: `{ pilotStats(groupBy: [THEME, NETWORK], where: {hasThemes: true}) { buckets { keys { code name } pilots municipalities population } } }`},
			{query: `{ pilotStats(groupBy: [ACTIVE_YEAR]) { buckets { keys { code name dimension } pilots } } }`},
		} {
			before := written
			want, got := run(byField, c.query, c.vars), run(whole, c.query, c.vars)
			if written != before+1 {
				t.Errorf("%s: written by gqlgen, not by the writer", c.query)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s:\nwritten whole %.600s\nby field      %.600s", c.query, got, want)
			}
			if !bytes.Contains(want, []byte(`"pilots":`)) && !bytes.Contains(want, []byte(`"code":`)) {
				t.Errorf("%s: no buckets: %.300s", c.query, want)
			}
		}
	})
}
