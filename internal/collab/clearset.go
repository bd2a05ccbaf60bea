package collab

import (
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"kokeilu/internal/fault"
	kokeilutext "kokeilu/internal/text"
)

// updateInput checks and orders an entgql update input (a pointer to the
// struct) before it becomes a mutation, so that what an update does is its
// end state, whatever the order of its fields:
//
//   - setting a field and clearing it (sourceURL with clearSourceURL: true)
//     is refused: PostgreSQL refuses the two assignments to one column,
//     and no answer would be right anyway;
//   - an edge with many ends is cleared or removed from first and added to
//     last, so clearX + addXIDs is a replacement and an ID in both
//     removeXIDs and addXIDs ends up there. entgql's Mutate applies
//     removeXIDs after addXIDs (and drops such an ID from the additions),
//     so the ID is taken out of removeXIDs here.
func updateInput(in any) error {
	trimText(in)
	v := reflect.ValueOf(in).Elem()
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if edge, ok := strings.CutPrefix(name, "Remove"); ok && strings.HasSuffix(edge, "IDs") {
			added := v.FieldByName("Add" + edge)
			removed := v.Field(i)
			if added.IsValid() && removed.Kind() == reflect.Slice && removed.Len() > 0 && added.Len() > 0 {
				add := added.Interface().([]int)
				removed.Set(reflect.ValueOf(slices.DeleteFunc(slices.Clone(removed.Interface().([]int)),
					func(id int) bool { return slices.Contains(add, id) })))
			}
			continue
		}
		cleared, ok := strings.CutPrefix(name, "Clear")
		if !ok || v.Field(i).Kind() != reflect.Bool || !v.Field(i).Bool() {
			continue
		}
		// The field itself, or the ID of a unique edge (its foreign key).
		for _, set := range []string{cleared, cleared + "ID"} {
			if f := v.FieldByName(set); f.IsValid() && f.Kind() == reflect.Pointer && !f.IsNil() {
				r, size := utf8.DecodeRuneInString(set)
				field := string(unicode.ToLower(r)) + set[size:]
				return fault.BadInput(field, "%s and clear%s exclude each other", field, cleared)
			}
		}
	}
	return nil
}

// trimText trims every text field of an entgql input (a pointer to the
// struct) as text.Trim does all human text; the ent schema's validators
// then refuse what is blank (text.Required) or too long, naming the field.
func trimText(in any) {
	v := reflect.ValueOf(in).Elem()
	for i := range v.NumField() {
		switch f := v.Field(i); {
		case f.Kind() == reflect.String:
			f.SetString(kokeilutext.Trim(f.String()))
		case f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.String:
			f.Elem().SetString(kokeilutext.Trim(f.Elem().String()))
		}
	}
}
