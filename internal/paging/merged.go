package paging

import (
	"reflect"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// MergedApart tells whether field, collected from set by
// graphql.CollectFields, was merged from fields under its alias whose
// arguments differ. CollectFields keeps the first one's arguments and all
// their selections, so a nested page loaded for the merged field would
// answer the others with the first one's arguments; with the same
// arguments (colocated fragments, a connection's nodes beside its edges,
// paging.edgesFor) the merged field serves all of them. satisfies is what
// set was collected with: fragments on other types (under node and nodes)
// merged nothing into field, and with none given every fragment counts.
func MergedApart(oc *graphql.OperationContext, set ast.SelectionSet, field graphql.CollectedField, satisfies []string) bool {
	if len(field.Selections) == len(field.Field.SelectionSet) {
		return false // CollectFields added no other field's selections
	}
	first := field.Field.ArgumentMap(oc.Variables)
	apart := false
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, s := range set {
			if apart {
				return
			}
			switch s := s.(type) {
			case *ast.Field:
				if s.Alias == field.Alias && s != field.Field && !reflect.DeepEqual(first, s.ArgumentMap(oc.Variables)) {
					apart = true
				}
			case *ast.InlineFragment:
				if applies(s.TypeCondition, satisfies) {
					walk(s.SelectionSet)
				}
			case *ast.FragmentSpread:
				if d := oc.Doc.Fragments.ForName(s.Name); d != nil && !seen[s.Name] && applies(d.TypeCondition, satisfies) {
					seen[s.Name] = true
					walk(d.SelectionSet)
				}
			}
		}
	}
	walk(set)
	return apart
}

// applies tells whether graphql.CollectFields, given satisfies, collects a
// fragment on typ.
func applies(typ string, satisfies []string) bool {
	return typ == "" || len(satisfies) == 0 || slices.Contains(satisfies, typ)
}
