package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// perSelection keeps, for one operation, what gqlgen's executor would
// otherwise recompute for every object a selection is applied to: the
// rows of a list share their fields' AST, and within an operation the
// variables are fixed. seqlists gives each executionContext one (made per
// operation by Exec, newPerSelection) and routes the generated code through it.
type perSelection struct {
	mu     sync.Mutex // root fields resolve concurrently
	args   map[*ast.Field]map[string]any
	fields map[collectKey][]graphql.CollectedField
	// directLeaves: the operation is marked by DirectLeaves (readLeaf).
	directLeaves bool
}

// collectKey names a selection set applied to a type: the address of its
// first selection and its length (as gqlgen's own cache does) and the
// generated xImplementors list, a package variable.
type collectKey struct {
	sel       *ast.Selection
	n         int
	satisfies *string
}

// collectFields is graphql.CollectFields, whose own per-operation cache
// builds its key for every object (a hash of the type names, the
// selection set boxed for reflect); this one is keyed by addresses alone.
// The collected fields are gqlgen's, shared as gqlgen shares them.
func (s *perSelection) collectFields(oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	if len(sel) == 0 || len(satisfies) == 0 {
		return graphql.CollectFields(oc, sel, satisfies)
	}
	k := collectKey{&sel[0], len(sel), &satisfies[0]}
	s.mu.Lock()
	fields, ok := s.fields[k]
	s.mu.Unlock()
	if ok {
		return fields
	}
	fields = graphql.CollectFields(oc, sel, satisfies)
	s.mu.Lock()
	if s.fields == nil {
		s.fields = map[collectKey][]graphql.CollectedField{}
	}
	s.fields[k] = fields
	s.mu.Unlock()
	return fields
}

// parsed is the arguments of field once fieldArgs has parsed and kept
// them, or false.
func (s *perSelection) parsed(field graphql.CollectedField) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	args, ok := s.args[field.Field]
	return args, ok
}

// fieldArgs is gqlgen's field_X_args(ctx, field.ArgumentMap(ec.Variables))
// parsed once per field of the document: a list of 1,000 keys asking
// name(lang: SV) parses lang once, not 1,000 times. Only arguments of
// scalar and enum types are shared, values nothing writes to: input
// objects are parsed per object as before, since WhereScope adds the read
// rules to a where input in place (policy.ScopeWhere), once per object.
// Every object gets the map itself: nothing writes to it (the paging rules
// give a connection its default page size in a copy). An
// error is not kept: the next object parses again and reports it at its
// own path, as gqlgen does.
//
// The field context fc is put into *ctx (gqlgen's field context function
// does so before it parses) only when the arguments are parsed: an error
// or a panic in parsing is reported at the field's path, and kept
// arguments need no context, which saved one per object.
func (s *perSelection) fieldArgs(ctx *context.Context, fc *graphql.FieldContext, oc *graphql.OperationContext, field graphql.CollectedField,
	parse func(context.Context, map[string]any) (map[string]any, error),
) (map[string]any, error) {
	s.mu.Lock()
	args, ok := s.args[field.Field]
	s.mu.Unlock()
	if ok {
		return args, nil
	}
	*ctx = graphql.WithFieldContext(*ctx, fc)
	args, err := parse(*ctx, field.ArgumentMap(oc.Variables))
	if err != nil || !leafArgs(field.Field) {
		return args, err
	}
	s.mu.Lock()
	if s.args == nil {
		s.args = map[*ast.Field]map[string]any{}
	}
	s.args[field.Field] = args
	s.mu.Unlock()
	return args, nil
}

// leafArgs tells whether all the arguments a field is given, in the
// document or by a default value, are of scalar or enum types (or lists of
// them).
func leafArgs(f *ast.Field) bool {
	if f.Definition == nil {
		return false
	}
	for _, def := range f.Definition.Arguments {
		if f.Arguments.ForName(def.Name) == nil && def.DefaultValue == nil {
			continue
		}
		t := parsedSchema.Types[def.Type.Name()]
		if t == nil || t.Kind != ast.Scalar && t.Kind != ast.Enum {
			return false
		}
	}
	return true
}
