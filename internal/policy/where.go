package policy

import (
	"context"
	"reflect"
	"strings"

	"kokeilu/ent"
	"kokeilu/internal/auth"
)

// Query policies filter the rows a query returns, but a where input's
// has…With predicates become sub-queries (EXISTS …) that no policy sees:
// operatingModels(where: {id: X, hasPartsWith: [{summaryHasPrefix: "b"}]})
// would answer from the summary of a part the viewer may not read. ScopeWhere
// closes that: every where input reached through an edge gets the read rule
// of the rows it describes, the same predicate function as their query
// policy, so hidden rows behave in filters as if they did not exist.

// readRules maps the where input of each row type with a row-level read rule
// to a function that adds that rule to it.
var readRules = map[reflect.Type]func(v *auth.Viewer, in any){}

func readRule[W interface{ AddPredicates(...P) }, P any](visible func(*auth.Viewer) P) {
	readRules[reflect.TypeFor[W]()] = func(v *auth.Viewer, in any) { in.(W).AddPredicates(visible(v)) }
}

func init() {
	readRule[*ent.OperatingModelWhereInput](OperatingModelVisible)
	readRule[*ent.AdoptionWhereInput](AdoptionVisible)
	readRule[*ent.MembershipWhereInput](MembershipVisible)
	readRule[*ent.DiscussionWhereInput](DiscussionVisible)
	readRule[*ent.PostWhereInput](PostVisible)
	readRule[*ent.NoticeWhereInput](NoticeVisible)
	readRule[*ent.MaterialWhereInput](MaterialVisible)
	readRule[*ent.SurveyWhereInput](SurveyVisible)
	readRule[*ent.SurveyResponseWhereInput](SurveyResponseVisible)
	readRule[*ent.WorkshopWhereInput](WorkshopVisible)
	readRule[*ent.WorkshopRegistrationWhereInput](WorkshopRegistrationVisible)
}

// HasReadRule tells whether the rows that the where input called name (as
// in the GraphQL schema) describes have a row-level read rule.
func HasReadRule(name string) bool {
	for t := range readRules {
		if t.Elem().Name() == name {
			return true
		}
	}
	return false
}

// ScopeWhere adds, to every where input that where (a pointer to an ent
// where input, or anything else, which is left alone) reaches through an
// edge, the read rule of the viewer of ctx for the rows it describes. The
// where input itself is left to its query's policy. An edge's yes/no form
// (hasParts: true) is rewritten to hasPartsWith, so that it counts visible
// rows only. Site administrators read everything and are left alone.
func ScopeWhere(ctx context.Context, where any) {
	v := auth.FromContext(ctx)
	if v != nil && v.Admin {
		return
	}
	rv := reflect.ValueOf(where)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || !isWhereInput(rv.Type()) {
		return
	}
	scope(v, rv, false)
}

func isWhereInput(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct &&
		t.Elem().PkgPath() == reflect.TypeFor[ent.Client]().PkgPath() && strings.HasSuffix(t.Elem().Name(), "WhereInput")
}

// scope walks one where input; throughEdge tells that it describes rows
// reached through an edge (and not the same rows, as not/and/or do).
func scope(v *auth.Viewer, in reflect.Value, throughEdge bool) {
	if in.IsNil() {
		return
	}
	if rule := readRules[in.Type()]; throughEdge && rule != nil {
		rule(v, in.Interface())
	}
	s := in.Elem()
	t := s.Type()
	for i := 0; i < t.NumField(); i++ {
		name := t.Field(i).Name
		f := s.Field(i)
		switch {
		case name == "Not":
			scope(v, f, false)
		case name == "And" || name == "Or":
			for j := 0; j < f.Len(); j++ {
				scope(v, f.Index(j), false)
			}
		case strings.HasPrefix(name, "Has") && strings.HasSuffix(name, "With"):
			if yesNo := s.FieldByName(strings.TrimSuffix(name, "With")); yesNo.IsValid() && !yesNo.IsNil() && readRules[f.Type().Elem()] != nil {
				if neg := rewriteYesNo(s, yesNo, name); neg.IsValid() {
					scope(v, neg, false) // appended to and, which was walked already
				}
			}
			if !f.IsNil() && f.Len() == 0 && readRules[f.Type().Elem()] != nil {
				// hasXWith: [] is hasXWith: [{}] (a related row exists):
				// the element gets the read rule.
				f.Set(reflect.Append(f, reflect.New(f.Type().Elem().Elem())))
			}
			for j := 0; j < f.Len(); j++ {
				scope(v, f.Index(j), true)
			}
		}
	}
}

// rewriteYesNo turns hasX: true into hasXWith: [{}] and hasX: false into
// and: [{not: {hasXWith: [{}]}}], returning that new and-element; the empty
// input is then walked into and gets the read rule.
func rewriteYesNo(s, yesNo reflect.Value, withName string) reflect.Value {
	with := s.FieldByName(withName)
	empty := reflect.New(with.Type().Elem().Elem()) // an empty where input of the edge's rows
	yes := yesNo.Elem().Bool()
	yesNo.Set(reflect.Zero(yesNo.Type()))
	if yes {
		with.Set(reflect.Append(with, empty))
		return reflect.Value{}
	}
	not := reflect.New(s.Type()) // the same rows: not {hasXWith: [{}]}
	not.Elem().FieldByName(withName).Set(reflect.Append(reflect.Zero(with.Type()), empty))
	neg := reflect.New(s.Type())
	neg.Elem().FieldByName("Not").Set(not)
	and := s.FieldByName("And")
	and.Set(reflect.Append(and, neg))
	return neg
}
