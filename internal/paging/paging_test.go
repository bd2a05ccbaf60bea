package paging

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestDefaultSizeLeavesArgsAlone: a connection asked without first or
// last gets the default page size in its field context's arguments, in a
// copy: the map it had is shared by the rows of a list (graph's
// perSelection) and by root fields resolving at once, so it stays as it
// was.
func TestDefaultSizeLeavesArgsAlone(t *testing.T) {
	def := &ast.FieldDefinition{Name: "pilots", Type: ast.NonNullNamedType("PilotConnection", nil), Arguments: ast.ArgumentDefinitionList{
		{Name: "first", Type: ast.NamedType("Int", nil)},
		{Name: "last", Type: ast.NamedType("Int", nil)},
	}}
	total := &ast.Field{Name: "totalCount", Alias: "totalCount", Definition: &ast.FieldDefinition{Name: "totalCount", Type: ast.NonNullNamedType("Int", nil)}}
	field := &ast.Field{Name: "pilots", Alias: "pilots", Definition: def, SelectionSet: ast.SelectionSet{total}}
	for _, shared := range []map[string]any{
		{"first": (*int)(nil), "last": (*int)(nil)},
		{},
	} {
		before := len(shared)
		fc := &graphql.FieldContext{Field: graphql.CollectedField{Field: field, Selections: field.SelectionSet}, Args: shared}
		ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{Variables: map[string]any{}, Doc: &ast.QueryDocument{}})
		ctx = graphql.WithFieldContext(ctx, fc)
		var seen map[string]any
		if _, err := (Rules{}).InterceptField(ctx, func(ctx context.Context) (any, error) {
			seen = graphql.GetFieldContext(ctx).Args
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		if first, _ := seen["first"].(*int); first == nil || *first != DefaultSize {
			t.Fatalf("the resolver got first %v, want %d", seen["first"], DefaultSize)
		}
		if first, _ := shared["first"].(*int); len(shared) != before || first != nil {
			t.Fatalf("the shared arguments were written: %v", shared)
		}
	}
}
