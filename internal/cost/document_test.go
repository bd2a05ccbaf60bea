package cost

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"kokeilu/internal/fault"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func measure(t *testing.T, q string) Document {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatal(err)
	}
	return MeasureDocument(doc)
}

func TestMeasureDocument(t *testing.T) {
	for _, c := range []struct {
		name, query string
		want        Document
	}{
		{"fields, aliases, depth", `{ a: x { y z } w }`, Document{Fields: 4, Aliases: 1, Depth: 2}},
		{"a fragment counts where it is spread", `{ ...F ...F } fragment F on Q { x y }`, Document{Fields: 6, Depth: 1, Overlaps: 2}},
		{"inline fragments do not nest fields", `{ ... on Q @skip(if: true) { x { y } } }`, Document{Fields: 3, Depth: 2, Directives: 1}},
		{"every operation", `query A { x } query B @d { y @d } `, Document{Fields: 2, Depth: 1, Directives: 2}},
		{"unused fragments too", `{ x } fragment U on Q { a b c }`, Document{Fields: 4, Depth: 1}},
		{"cycles end", `{ ...A } fragment A on Q { x ...B } fragment B on Q { ...A }`, Document{Fields: 4, Depth: 1, Overlaps: 1}},
		{"overlaps: same-named fields' selections merged, weighted by arguments", `{ a { x } a { x x } b(p: 1, q: 2) b }`,
			Document{Fields: 7, Depth: 2, Overlaps: 1 + 3 + 3}},
		{"directives everywhere", `query($v: Int @d) @d { ...F @d } fragment F on Q @d { x @d @e }`, Document{Fields: 2, Depth: 1, Directives: 6}},
	} {
		if got := measure(t, c.query); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// TestFragmentBombIsBounded: ten fragments each spreading the next ten
// times would be 10^10 fields; the walk stops at maxSteps.
func TestFragmentBombIsBounded(t *testing.T) {
	var q strings.Builder
	q.WriteString("{ ...F0 }")
	for i := range 10 {
		fmt.Fprintf(&q, " fragment F%d on Q { %s}", i, strings.Repeat(fmt.Sprintf("...F%d ", i+1), 10))
	}
	q.WriteString(" fragment F10 on Q { x }")
	start := time.Now()
	d := measure(t, q.String())
	if d.Fields != maxSteps || time.Since(start) > time.Second {
		t.Errorf("%+v in %v", d, time.Since(start))
	}
	if err := Default.Check(d); err == nil || err.Extensions["measure"] != "fields" || err.Extensions["code"] != fault.CostLimitExceeded {
		t.Errorf("refusal: %v", err)
	}
	// A cycle through a field's selections ends too (validation refuses it).
	start = time.Now()
	if d := measure(t, `{ ...A } fragment A on Q { x { ...A } }`); d.Fields > 10 || time.Since(start) > time.Second {
		t.Errorf("cycle: %+v in %v", d, time.Since(start))
	}
}

// TestParametersBeforeValidation: the parameter mutator refuses over the
// token limit as a parse failure, over a document limit as
// COST_LIMIT_EXCEEDED, and after the deadline as TIMEOUT; a cached
// (validated) document is not parsed again.
func TestParametersBeforeValidation(t *testing.T) {
	e := Extension{Limits: Limits{Tokens: 100, Fields: 10, Depth: 5, Aliases: 2, Directives: 2}}
	code := func(ctx context.Context, q string) any {
		err := e.MutateOperationParameters(ctx, &graphql.RawParams{Query: q})
		if err == nil {
			return nil
		}
		return err.Extensions["code"]
	}
	ctx := context.Background()
	if got := code(ctx, "{ "+strings.Repeat("x ", 200)+"}"); got != fault.ParseFailed {
		t.Errorf("tokens: %v", got)
	}
	if got := code(ctx, "{ "+strings.Repeat("x ", 11)+"}"); got != fault.CostLimitExceeded {
		t.Errorf("fields: %v", got)
	}
	if got := code(ctx, "{ x @a @b @c }"); got != fault.CostLimitExceeded {
		t.Errorf("directives: %v", got)
	}
	if got := code(ctx, "{ x }"); got != nil {
		t.Errorf("within the limits: %v", got)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if got := code(done, "{ x }"); got != fault.Timeout {
		t.Errorf("after the deadline: %v", got)
	}
	e.Validated = graphql.MapCache[*ast.QueryDocument]{"{ x x x x x x x x x x x x }": &ast.QueryDocument{}}
	if got := code(ctx, "{ x x x x x x x x x x x x }"); got != nil {
		t.Errorf("cached: %v", got)
	}
}
