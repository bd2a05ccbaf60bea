//go:build ignore

// entc generates the ent client and the GraphQL schema graph/ent.graphqls.
// Run through go generate from the repository root (generate.go).
package main

import (
	"log"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("./gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("./graph/ent.graphqls"),
		entgql.WithWhereInputs(true),
		// entgql's own templates, except three that Kokeilu keeps copies of
		// in ent/template (changes marked "Kokeilu"): pagination (one order
		// with NULLs last on both databases, NULL-aware cursors),
		// collection (nested pages under a list read back in order) and
		// where inputs (empty lists and `or` match nothing).
		entgql.WithTemplates(
			kokeiluTemplate("gql_collection", "collection.tmpl"),
			entgql.EnumTemplate,
			entgql.NodeTemplate,
			kokeiluTemplate("gql_pagination", "pagination.tmpl"),
			entgql.TransactionTemplate,
			entgql.EdgeTemplate,
			entgql.MutationInputTemplate,
			kokeiluTemplate("gql_where_input", "where_input.tmpl"),
		),
		entgql.WithSchemaHook(addConnectionNodes, describeOrders),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureGlobalID,
			gen.FeatureVersionedMigration,
			gen.FeatureUpsert,
			gen.FeatureLock,
			gen.FeatureExecQuery,
		},
		Templates: []*gen.Template{gen.MustParse(gen.NewTemplate("connection_nodes").Funcs(entgql.TemplateFuncs).ParseFiles("./ent/template/connection_nodes.tmpl"))},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// kokeiluTemplate parses one of the entgql templates kept in ent/template.
func kokeiluTemplate(name, file string) *gen.Template {
	return gen.MustParse(gen.NewTemplate(name).Funcs(entgql.TemplateFuncs).ParseFiles("./ent/template/" + file))
}

// addConnectionNodes gives every <T>Connection the `nodes: [T]!` shortcut
// that GitHub's API and Relay clients expect beside edges{node}.
func addConnectionNodes(_ *gen.Graph, s *ast.Schema) error {
	for name, def := range s.Types {
		node, ok := strings.CutSuffix(name, "Connection")
		if !ok || def.Kind != ast.Object || s.Types[node] == nil {
			continue
		}
		def.Fields = append(def.Fields, &ast.FieldDefinition{
			Name:        "nodes",
			Description: "The nodes of the edges, for clients that need no cursors.",
			Type:        ast.NonNullListType(ast.NamedType(node, nil), nil),
		})
	}
	return nil
}

// describeOrders documents on every <T>OrderField enum the one order that
// both databases follow (internal/paging), and which values sort by
// collation keys (internal/sortkey).
func describeOrders(g *gen.Graph, s *ast.Schema) error {
	collated := map[string][]string{} // node → its collated order values
	for _, n := range g.Nodes {
		for _, f := range n.Fields {
			source, ok := strings.CutSuffix(f.Name, "_sortkey")
			if !ok {
				continue
			}
			var ant entgql.Annotation
			if err := ant.Decode(f.Annotations[ant.Name()]); err != nil {
				return err
			}
			lang := "Finnish"
			switch {
			case strings.HasSuffix(source, "_sv"):
				lang = "Swedish"
			case strings.HasSuffix(source, "_en"):
				lang = "English"
			}
			collated[n.Name] = append(collated[n.Name], ant.OrderField+": "+lang)
		}
	}
	for name, def := range s.Types {
		node, ok := strings.CutSuffix(name, "OrderField")
		if !ok || def.Kind != ast.Enum {
			continue
		}
		def.Description = "Properties by which " + node + " connections can be ordered. " +
			"Rows without a value (null) come after all others in either direction; " +
			"optional text and numbers that read as \"\" or 0 sort as that value. " +
			"Ties are broken by ID, ascending."
		if c := collated[node]; len(c) > 0 {
			def.Description += " Names and titles sort by their language's Unicode collation (CLDR), " +
				"the same on every database (" + strings.Join(c, "; ") + "): in Finnish and Swedish Å, Ä, Ö " +
				"come after Z in that order; case and accents only break ties between otherwise equal " +
				"texts; NFC and NFD forms of a text sort as one. Other text sorts by code point."
		}
	}
	return nil
}
