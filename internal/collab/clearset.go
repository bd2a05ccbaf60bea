package collab

import (
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"kokeilu/internal/fault"
)

// setOrClear refuses an entgql update input (a struct) that both sets a field
// and clears it (sourceURL with clearSourceURL: true): PostgreSQL refuses
// the two assignments to one column, and no answer would be right anyway.
// Edges with many ends may be cleared and added to at once (a replacement).
func setOrClear(in any) error {
	v := reflect.Indirect(reflect.ValueOf(in))
	for i := range v.NumField() {
		name, ok := strings.CutPrefix(v.Type().Field(i).Name, "Clear")
		if !ok || v.Field(i).Kind() != reflect.Bool || !v.Field(i).Bool() {
			continue
		}
		// The field itself, or the ID of a unique edge (its foreign key).
		for _, set := range []string{name, name + "ID"} {
			if f := v.FieldByName(set); f.IsValid() && f.Kind() == reflect.Pointer && !f.IsNil() {
				r, size := utf8.DecodeRuneInString(set)
				field := string(unicode.ToLower(r)) + set[size:]
				return fault.BadInput(field, "%s and clear%s exclude each other", field, name)
			}
		}
	}
	return nil
}
