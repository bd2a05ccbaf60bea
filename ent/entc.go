//go:build ignore

// entc generates the ent client and the GraphQL schema graph/ent.graphqls.
// Run through go generate from the repository root (generate.go).
package main

import (
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"log"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	gql "github.com/vektah/gqlparser/v2/ast"
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
		entgql.WithSchemaHook(addConnectionNodes, describeOrders, describeTypes),
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
func addConnectionNodes(_ *gen.Graph, s *gql.Schema) error {
	for name, def := range s.Types {
		node, ok := strings.CutSuffix(name, "Connection")
		if !ok || def.Kind != gql.Object || s.Types[node] == nil {
			continue
		}
		def.Fields = append(def.Fields, &gql.FieldDefinition{
			Name:        "nodes",
			Description: "The nodes of the edges, for clients that need no cursors.",
			Type:        gql.NonNullListType(gql.NamedType(node, nil), nil),
		})
	}
	return nil
}

// describeOrders documents on every <T>OrderField enum the one order that
// both databases follow (internal/paging), and which values sort by
// collation keys (internal/sortkey).
func describeOrders(g *gen.Graph, s *gql.Schema) error {
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
		if !ok || def.Kind != gql.Enum {
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

// describeTypes gives every ent type in the GraphQL schema the Go doc comment
// of its schema in ent/schema (one text for readers of the code and of the
// docs explorer), and every root list field a description of its type and
// of how it pages.
func describeTypes(g *gen.Graph, s *gql.Schema) error {
	docs, err := schemaDocs("./ent/schema")
	if err != nil {
		return err
	}
	for _, n := range g.Nodes {
		def := s.Types[n.Name]
		if def == nil || def.Description != "" {
			continue
		}
		text, ok := docs[n.Name]
		if !ok {
			return fmt.Errorf("ent/schema: type %s has no doc comment; it becomes the GraphQL description", n.Name)
		}
		def.Description = text
	}
	// entgql leaves connection fields undescribed; their edge's comment says it.
	camel := gen.Funcs["camel"].(func(string) string) // entgql's field names
	for _, n := range g.Nodes {
		def := s.Types[n.Name]
		if def == nil {
			continue
		}
		if f := def.Fields.ForName("id"); f != nil && f.Description == "" {
			f.Description = "The global ID (Relay): unique across all types; node(id:) finds the object by it."
		}
		for _, e := range n.Edges {
			if f := def.Fields.ForName(camel(e.Name)); f != nil && f.Description == "" {
				f.Description = e.Comment()
			}
		}
	}
	query := s.Types["Query"]
	if query == nil {
		return fmt.Errorf("entgql produced no Query type")
	}
	query.Description = "Everything Kokeilu lets you read. Anyone may read the reference data, pilots, " +
		"networks and public workspaces; members-only contents need a bearer token of a member. " +
		"Errors carry extensions.code (BAD_USER_INPUT, NOT_FOUND, FORBIDDEN, …)."
	for _, f := range query.Fields {
		node, ok := strings.CutSuffix(f.Type.Name(), "Connection")
		if !ok || f.Description != "" || s.Types[node] == nil {
			continue
		}
		f.Description = fmt.Sprintf("Every %s the viewer may see, as a Relay connection. "+
			"Filter with `where` (%sWhereInput), order with `orderBy` (%sOrderField; ties by ID), "+
			"page with `first`/`after` or `last`/`before`: 20 per page unless asked, at most 100. "+
			"Bad filters, orders and cursors are BAD_USER_INPUT.\n\n%s",
			node, node, node, s.Types[node].Description)
	}
	return nil
}

// schemaDocs reads the doc comments of the types declared in dir.
func schemaDocs(dir string) (map[string]string, error) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	docs := map[string]string{}
	for _, p := range pkgs {
		files := make([]*ast.File, 0, len(p.Files))
		for _, f := range p.Files {
			files = append(files, f)
		}
		dp, err := doc.NewFromFiles(fset, files, "kokeilu/ent/schema")
		if err != nil {
			return nil, err
		}
		for _, t := range dp.Types {
			docs[t.Name] = strings.TrimSpace(strings.Join(strings.Fields(t.Doc), " "))
		}
	}
	return docs, nil
}
