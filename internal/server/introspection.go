package server

import (
	"context"

	"kokeilu/internal/fault"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// noIntrospection refuses, before execution and with a code, an operation
// that asks for __schema or __type when introspection is off (as
// graphql-js's NoSchemaIntrospectionCustomRule does); __typename stays.
// Without it gqlgen answers such fields with an uncoded error.
type noIntrospection struct{}

func (noIntrospection) ExtensionName() string                   { return "NoIntrospection" }
func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (noIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	seen := map[string]bool{}
	var find func(ast.SelectionSet) *ast.Field
	find = func(set ast.SelectionSet) *ast.Field {
		for _, s := range set {
			switch s := s.(type) {
			case *ast.Field:
				if s.Name == "__schema" || s.Name == "__type" {
					return s
				}
				if f := find(s.SelectionSet); f != nil {
					return f
				}
			case *ast.InlineFragment:
				if f := find(s.SelectionSet); f != nil {
					return f
				}
			case *ast.FragmentSpread:
				if seen[s.Name] {
					continue
				}
				seen[s.Name] = true
				if def := oc.Doc.Fragments.ForName(s.Name); def != nil {
					if f := find(def.SelectionSet); f != nil {
						return f
					}
				}
			}
		}
		return nil
	}
	f := find(oc.Operation.SelectionSet)
	if f == nil {
		return nil
	}
	err := gqlerror.ErrorPosf(f.Position, "introspection is turned off on this server; %s cannot be queried", f.Name)
	err.Extensions = map[string]any{"code": fault.Forbidden}
	return err
}
