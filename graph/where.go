package graph

import (
	"context"
	"fmt"
	"strings"

	"kokeilu/ent"
	"kokeilu/internal/policy"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// WhereScope is the gqlgen extension that gives every where argument the
// read rules of the rows its has…With predicates walk into
// (policy.ScopeWhere). Where inputs reach predicates two ways, and both are
// covered here:
//   - as a field's argument, handed to its resolver (root lists, nested
//     connections resolved one by one, pilotStats);
//   - read again from the query by entgql's eager loading of nested
//     connections (ent/gql_collection.go), which unmarshals them through the
//     request's input unmarshalers: the resolver sees those replaced by ones
//     that scope what they return.
type WhereScope struct{}

var (
	_ graphql.HandlerExtension     = WhereScope{}
	_ graphql.OperationInterceptor = WhereScope{}
	_ graphql.FieldInterceptor     = WhereScope{}
)

type filtersKey struct{}

// InterceptOperation notes whether the document gives any field a where
// input at all; most do not, and their fields are left alone.
func (WhereScope) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Doc != nil && hasWhere(oc.Doc) {
		ctx = context.WithValue(ctx, filtersKey{}, true)
	}
	return next(ctx)
}

// takesWhere tells whether a field is given a where input argument.
func takesWhere(f *ast.Field) bool {
	if f.Definition == nil {
		return false
	}
	for _, arg := range f.Arguments {
		if def := f.Definition.Arguments.ForName(arg.Name); def != nil && strings.HasSuffix(def.Type.Name(), "WhereInput") {
			return true
		}
	}
	return false
}

func hasWhere(doc *ast.QueryDocument) bool {
	var walk func(ast.SelectionSet) bool
	walk = func(set ast.SelectionSet) bool {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if takesWhere(s) || walk(s.SelectionSet) {
					return true
				}
			case *ast.InlineFragment:
				if walk(s.SelectionSet) {
					return true
				}
			}
		}
		return false
	}
	for _, op := range doc.Operations {
		if walk(op.SelectionSet) {
			return true
		}
	}
	for _, f := range doc.Fragments {
		if walk(f.SelectionSet) {
			return true
		}
	}
	return false
}

func (WhereScope) ExtensionName() string { return "WhereScope" }

// Validate refuses a schema with a where input this file does not scope, so
// a new entity type cannot slip past.
func (WhereScope) Validate(es graphql.ExecutableSchema) error {
	for name, def := range es.Schema().Types {
		if def.Kind == ast.InputObject && strings.HasSuffix(name, "WhereInput") && scopedUnmarshalers[name] == nil {
			return fmt.Errorf("WhereScope: add %s to scopedUnmarshalers in graph/where.go", name)
		}
	}
	return nil
}

func (WhereScope) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || ctx.Value(filtersKey{}) == nil {
		return next(ctx)
	}
	for _, arg := range fc.Args {
		policy.ScopeWhere(ctx, arg)
	}
	if len(fc.Field.Selections) > 0 {
		outer := ctx
		ctx = graphql.WithLazyInputUnmarshalerIndex(ctx, func() *graphql.InputUnmarshalerIndex {
			var list []graphql.InputUnmarshaler
			for _, u := range scopedUnmarshalers {
				list = append(list, u(outer))
			}
			return graphql.NewInputUnmarshalerIndex(list...)
		})
	}
	return next(ctx)
}

// scoped wraps the request's unmarshaler of a where input (reached through
// outer, the context that holds the generated index) with ScopeWhere.
func scoped[W any](name string, unmarshal func(context.Context, any) (W, error)) func(context.Context) graphql.InputUnmarshaler {
	return func(outer context.Context) graphql.InputUnmarshaler {
		return graphql.NewInputUnmarshaler(name, func(ctx context.Context, raw any) (W, error) {
			w, err := unmarshal(outer, raw)
			if err == nil {
				policy.ScopeWhere(ctx, &w)
			}
			return w, err
		})
	}
}

// scopedUnmarshalers are all where inputs of the schema (Validate checks).
// Only entgql's eager loading unmarshals inputs through the context, and
// only where inputs, so the index the resolver sees holds these alone.
var scopedUnmarshalers = map[string]func(context.Context) graphql.InputUnmarshaler{
	"AdoptionWhereInput":             scoped[ent.AdoptionWhereInput]("AdoptionWhereInput", UnmarshalAdoptionWhereInput),
	"DiscussionWhereInput":           scoped[ent.DiscussionWhereInput]("DiscussionWhereInput", UnmarshalDiscussionWhereInput),
	"LinkWhereInput":                 scoped[ent.LinkWhereInput]("LinkWhereInput", UnmarshalLinkWhereInput),
	"MaterialWhereInput":             scoped[ent.MaterialWhereInput]("MaterialWhereInput", UnmarshalMaterialWhereInput),
	"MembershipWhereInput":           scoped[ent.MembershipWhereInput]("MembershipWhereInput", UnmarshalMembershipWhereInput),
	"MunicipalityWhereInput":         scoped[ent.MunicipalityWhereInput]("MunicipalityWhereInput", UnmarshalMunicipalityWhereInput),
	"NetworkWhereInput":              scoped[ent.NetworkWhereInput]("NetworkWhereInput", UnmarshalNetworkWhereInput),
	"NoticeWhereInput":               scoped[ent.NoticeWhereInput]("NoticeWhereInput", UnmarshalNoticeWhereInput),
	"OperatingModelWhereInput":       scoped[ent.OperatingModelWhereInput]("OperatingModelWhereInput", UnmarshalOperatingModelWhereInput),
	"OrganizationWhereInput":         scoped[ent.OrganizationWhereInput]("OrganizationWhereInput", UnmarshalOrganizationWhereInput),
	"PilotWhereInput":                scoped[ent.PilotWhereInput]("PilotWhereInput", UnmarshalPilotWhereInput),
	"PostWhereInput":                 scoped[ent.PostWhereInput]("PostWhereInput", UnmarshalPostWhereInput),
	"RegionWhereInput":               scoped[ent.RegionWhereInput]("RegionWhereInput", UnmarshalRegionWhereInput),
	"SurveyResponseWhereInput":       scoped[ent.SurveyResponseWhereInput]("SurveyResponseWhereInput", UnmarshalSurveyResponseWhereInput),
	"SurveyWhereInput":               scoped[ent.SurveyWhereInput]("SurveyWhereInput", UnmarshalSurveyWhereInput),
	"ThemeWhereInput":                scoped[ent.ThemeWhereInput]("ThemeWhereInput", UnmarshalThemeWhereInput),
	"UserWhereInput":                 scoped[ent.UserWhereInput]("UserWhereInput", UnmarshalUserWhereInput),
	"WellbeingCountyWhereInput":      scoped[ent.WellbeingCountyWhereInput]("WellbeingCountyWhereInput", UnmarshalWellbeingCountyWhereInput),
	"WorkshopRegistrationWhereInput": scoped[ent.WorkshopRegistrationWhereInput]("WorkshopRegistrationWhereInput", UnmarshalWorkshopRegistrationWhereInput),
	"WorkshopWhereInput":             scoped[ent.WorkshopWhereInput]("WorkshopWhereInput", UnmarshalWorkshopWhereInput),
	"WorkspaceWhereInput":            scoped[ent.WorkspaceWhereInput]("WorkspaceWhereInput", UnmarshalWorkspaceWhereInput),
}
