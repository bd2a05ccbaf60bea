package server_test

import (
	"fmt"
	"strings"
	"testing"

	"kokeilu/internal/testdb"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// deferred writes query with the contents of every selection set, the
// operation's included, in an inline fragment under @defer (with a label
// or a variable-free if: true), and tells how many it wrapped. A query
// that does not validate is left as it was.
func deferred(query string) (string, int) {
	doc, errs := gqlparser.LoadQuery(apiSchema(), query)
	if errs != nil {
		return query, 0
	}
	n := 0
	var wrap func(ast.SelectionSet) ast.SelectionSet
	wrap = func(s ast.SelectionSet) ast.SelectionSet {
		if len(s) == 0 {
			return s
		}
		for _, sel := range s {
			switch sel := sel.(type) {
			case *ast.Field:
				sel.SelectionSet = wrap(sel.SelectionSet)
			case *ast.InlineFragment:
				sel.SelectionSet = wrap(sel.SelectionSet)
			}
		}
		n++
		d := &ast.Directive{Name: "defer"}
		switch n % 3 {
		case 1:
			d.Arguments = ast.ArgumentList{{Name: "label", Value: &ast.Value{Kind: ast.StringValue, Raw: fmt.Sprintf("part%d", n)}}}
		case 2:
			d.Arguments = ast.ArgumentList{{Name: "if", Value: &ast.Value{Kind: ast.BooleanValue, Raw: "true"}}}
		}
		return ast.SelectionSet{&ast.InlineFragment{Directives: ast.DirectiveList{d}, SelectionSet: s}}
	}
	for _, op := range doc.Operations {
		op.SelectionSet = wrap(op.SelectionSet)
	}
	var b strings.Builder
	formatter.NewFormatter(&b).FormatQueryDocument(doc)
	return b.String(), n
}

// TestDeferIsAnsweredInline: no transport here sends later parts, so what
// @defer asks for comes in the one answer, as the incremental delivery
// working group lets a server do. gqlgen's executor answered the deferred
// resolver fields null (non-null ones too) with "hasNext": true and
// nothing after. Generated operations (opGen) answer byte for byte alike
// with every selection set deferred, errors (but for their locations),
// the cost and hasNext (none) included.
func TestDeferIsAnsweredInline(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		const example = `{ municipalities(first: 2) { nodes { code name region { code } pilots(first: 1) { totalCount } } } }`
		whole := comparableAnswer(t, a, "", example)
		in := comparableAnswer(t, a, "", `{ municipalities(first: 2) { nodes { code ... @defer { name region { code } pilots(first: 1) { totalCount } } } } }`)
		if whole != in || strings.Contains(in, `:null`) {
			t.Fatalf("deferred fields:\n%s\nwithout @defer:\n%s", in, whole)
		}
	})
	rewrittenAnswersAlike(t, "with every selection set deferred", deferred)
}
