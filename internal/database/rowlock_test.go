package database

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"kokeilu/ent"
)

// TestRowTables: every entity type is in lockRow's table list or left out
// on purpose, so a new type's updates are not left unlocked by oversight.
func TestRowTables(t *testing.T) {
	c := reflect.TypeOf(ent.Client{})
	n := 0
	for i := range c.NumField() {
		f := c.Field(i)
		if !f.IsExported() || f.Type.Kind() != reflect.Pointer || !strings.HasSuffix(f.Type.Elem().Name(), "Client") {
			continue
		}
		n++
		_, locked := rowTables[f.Name]
		if left := slices.Contains(unlockedTypes, f.Name); locked == left {
			t.Errorf("type %s: in rowTables %v, in unlockedTypes %v; want exactly one", f.Name, locked, left)
		}
	}
	if n != len(rowTables)+len(unlockedTypes) || n < 20 {
		t.Errorf("%d entity types, %d locked and %d left out", n, len(rowTables), len(unlockedTypes))
	}
}
