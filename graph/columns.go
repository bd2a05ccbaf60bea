package graph

import (
	"context"

	"kokeilu/internal/lang"
)

// ComputedColumns maps each field a resolver computes from columns
// ("Type.field") to the fields of the columns it reads for the field's
// arguments, for paging.Rules: entgql then loads those columns of the rows
// instead of all of them (the sort keys and statistics of a municipality
// are most of its row). Keep it in step with the resolvers: name(lang:)
// reads the wanted language's name and the Finnish one (lang.Reads).
var ComputedColumns = map[string]func(ctx context.Context, args map[string]any) []string{
	"Municipality.name":    nameColumns,
	"Region.name":          nameColumns,
	"Theme.name":           nameColumns,
	"WellbeingCounty.name": nameColumns,
}

// nameColumns are the name fields name(lang:) reads; all three when the
// argument is no Language (validation refuses it before this is asked).
func nameColumns(ctx context.Context, args map[string]any) []string {
	var want *lang.Language
	if v, ok := args["lang"]; ok && v != nil {
		want = new(lang.Language)
		if err := want.UnmarshalGQL(v); err != nil {
			return []string{"nameFi", "nameSv", "nameEn"}
		}
	}
	reads := lang.Reads(ctx, want)
	fields := make([]string, len(reads))
	for i, l := range reads {
		fields[i] = nameField[l]
	}
	return fields
}

var nameField = map[lang.Language]string{lang.FI: "nameFi", lang.SV: "nameSv", lang.EN: "nameEn"}
