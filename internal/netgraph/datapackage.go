package netgraph

import (
	"encoding/json"
	"io"
)

// The zip export's datapackage.json is a Frictionless Data Package
// (https://specs.frictionlessdata.io/data-package/): it types each CSV
// column, so pandas, R and frictionless read codes like "005" as strings,
// populations as integers and dates as dates.

type tableField struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
}

type foreignKey struct {
	Fields    []string `json:"fields"`
	Reference struct {
		Resource string   `json:"resource"`
		Fields   []string `json:"fields"`
	} `json:"reference"`
}

type tableSchema struct {
	Fields        []tableField `json:"fields"`
	PrimaryKey    []string     `json:"primaryKey"`
	ForeignKeys   []foreignKey `json:"foreignKeys,omitempty"`
	MissingValues []string     `json:"missingValues"`
}

type dataResource struct {
	Name      string      `json:"name"`
	Path      string      `json:"path"`
	Profile   string      `json:"profile"`
	Format    string      `json:"format"`
	MediaType string      `json:"mediatype"`
	Encoding  string      `json:"encoding"`
	Schema    tableSchema `json:"schema"`
}

func fields(specs []AttrSpec) []tableField {
	out := make([]tableField, len(specs))
	for i, s := range specs {
		out[i] = tableField{Name: s.Key, Type: string(s.Type), Description: s.Doc}
	}
	return out
}

// DataPackage describes nodes.csv and edges.csv: their columns in order
// with types and meanings, ids as primary keys, edge ends as foreign keys
// into nodes.
func DataPackage() any {
	id := tableField{Name: "id", Type: "string", Description: "global Node id (GraphQL node(id:))"}
	edgeID := tableField{Name: "id", Type: "string", Description: "stable edge id: the global id of its Link or Adoption, " +
		"else KIND:source:target; the same in every export and under every filter"}
	end := func(name string) tableField {
		return tableField{Name: name, Type: "string", Description: name + " node id; the graph is undirected, the stored direction is the edge kind's"}
	}
	ref := func(column string) foreignKey {
		k := foreignKey{Fields: []string{column}}
		k.Reference.Resource, k.Reference.Fields = "nodes", []string{"id"}
		return k
	}
	resource := func(name string, schema tableSchema) dataResource {
		return dataResource{Name: name, Path: name + ".csv", Profile: "tabular-data-resource", Format: "csv",
			MediaType: "text/csv", Encoding: "utf-8", Schema: schema}
	}
	return map[string]any{
		"profile": "tabular-data-package",
		"name":    "kokeilu-network",
		"title":   "Kokeilu network graph: municipalities, organisations, networks, pilots and operating models",
		"resources": []dataResource{
			resource("nodes", tableSchema{Fields: append([]tableField{id}, fields(NodeAttrs)...),
				PrimaryKey: []string{"id"}, MissingValues: []string{""}}),
			resource("edges", tableSchema{Fields: append([]tableField{edgeID, end("source"), end("target")}, fields(EdgeAttrs)...),
				PrimaryKey: []string{"id"}, ForeignKeys: []foreignKey{ref("source"), ref("target")}, MissingValues: []string{""}}),
		},
	}
}

// WriteDataPackage writes datapackage.json (g is not needed: the package
// describes the columns, which are the same for every graph).
func WriteDataPackage(w io.Writer, _ *Graph) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(DataPackage())
}
