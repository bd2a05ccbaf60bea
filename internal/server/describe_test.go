package server_test

import (
	"os"
	"sort"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// TestSchemaIsDescribed reads the schema as GraphiQL's docs explorer does
// (introspection over HTTP) and lists every type and every field of an
// object or interface that has no description: what a reader of the docs
// would find blank.
func TestSchemaIsDescribed(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	q, err := os.ReadFile("../../testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	type named struct{ Name, Description string }
	var got struct {
		Schema struct {
			Types []struct {
				Kind, Name, Description string
				Fields                  []named
				InputFields             []named
				EnumValues              []named
			}
		} `json:"__schema"`
	}
	a.query(&got, string(q), nil)
	var blank []string
	for _, ty := range got.Schema.Types {
		if strings.HasPrefix(ty.Name, "__") || builtinScalar[ty.Name] {
			continue
		}
		if ty.Description == "" {
			blank = append(blank, ty.Kind+" "+ty.Name)
		}
		if ty.Kind == "OBJECT" || ty.Kind == "INTERFACE" {
			for _, f := range ty.Fields {
				if f.Description == "" {
					blank = append(blank, "field "+ty.Name+"."+f.Name)
				}
			}
		}
	}
	sort.Strings(blank)
	if len(blank) > 0 {
		t.Errorf("%d parts of the schema have no description:\n%s", len(blank), strings.Join(blank, "\n"))
	}
}

var builtinScalar = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}
