package paging

import (
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/vektah/gqlparser/v2/ast"

	"kokeilu/internal/fault"
	"kokeilu/internal/input"
)

// Cursors say what made them. A cursor holds its row's ID (for search, the
// hit's position) and a value list that starts with a tag: the node type of
// the connection and its orderBy as the client gave it, e.g.
// "Pilot:TITLE,-STARTS_ON" (a minus for DESC). The rest of the list is the
// reader's (the row's values in that order; search's query). A cursor of
// another type, ordering or direction would silently page from a position
// that means nothing in this list, so the rules (checkCursor) refuse it as
// BAD_USER_INPUT before anything runs. The tag guards against mistakes, not
// forgery: it is plain, and the same on every instance and in every request.

// Term is one orderBy term: the order field's GraphQL name and direction.
type Term struct {
	Field string
	Desc  bool
}

// Tag is the tag of the cursors of a connection of node type typ ordered by
// terms (none: the default order by ID).
func Tag(typ string, terms ...Term) string {
	var b strings.Builder
	b.WriteString(typ)
	b.WriteByte(':')
	for i, t := range terms {
		if i > 0 {
			b.WriteByte(',')
		}
		if t.Desc {
			b.WriteByte('-')
		}
		b.WriteString(t.Field)
	}
	return b.String()
}

// NewCursor is a cursor of the row id (or position) with tag and values.
func NewCursor(id int, tag string, values ...any) entgql.Cursor[int] {
	return entgql.Cursor[int]{ID: id, Value: append([]any{tag}, values...)}
}

// Values returns the values a cursor carries after its tag, checking that
// it is a cursor this API made (a positive ID, a tag) and that its tag is
// tag: anything else is BAD_USER_INPUT on the argument arg (after, before).
func Values(c *entgql.Cursor[int], arg, tag string) ([]any, error) {
	got, values, err := open(c, arg)
	if err != nil {
		return nil, err
	}
	if got != tag {
		return nil, otherList(arg)
	}
	return values, nil
}

// IDOf is the ID of a cursor of any connection of node type typ, in any
// order (noticePosted takes any Notice cursor).
func IDOf(c *entgql.Cursor[int], arg, typ string) (int, error) {
	tag, _, err := open(c, arg)
	if err != nil {
		return 0, err
	}
	if t, _, _ := strings.Cut(tag, ":"); t != typ {
		return 0, otherList(arg)
	}
	return c.ID, nil
}

func open(c *entgql.Cursor[int], arg string) (string, []any, error) {
	values, _ := c.Value.([]any)
	if len(values) == 0 || c.ID <= 0 {
		return "", nil, notOurs(arg)
	}
	tag, ok := values[0].(string)
	if !ok {
		return "", nil, notOurs(arg)
	}
	return tag, values[1:], nil
}

func otherList(arg string) error {
	return fault.BadInput(arg, "%s: this cursor belongs to another list or orderBy; start again without after and before", arg)
}

func notOurs(arg string) error {
	return fault.BadInput(arg, "%s is not a cursor this API made; start again without after and before", arg)
}

// NotThisOrder refuses a cursor whose tag fits but whose values do not (a
// forged cursor): their number, or a kind or NULL the order cannot hold.
func NotThisOrder(arg string) error {
	return fault.BadInput(arg, "%s holds values this orderBy cannot have; start again without after and before", arg)
}

// connectionTag is the tag that cursors passed to the connection field f
// with arguments args must carry: its node type and its orderBy. Search
// (no orderBy) binds its cursors to its query in the resolver too.
func connectionTag(f *ast.Field, args map[string]any) string {
	typ := strings.TrimSuffix(f.Definition.Type.Name(), "Connection")
	var terms []Term
	for _, o := range input.List(args["orderBy"]) {
		m, _ := o.(map[string]any)
		field, _ := m["field"].(string)
		dir, _ := m["direction"].(string)
		terms = append(terms, Term{Field: field, Desc: dir == string(entgql.OrderDirectionDesc)})
	}
	return Tag(typ, terms...)
}
