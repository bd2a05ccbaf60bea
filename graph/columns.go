package graph

// ComputedColumns maps each field a resolver computes from columns
// ("Type.field") to the fields of the columns it reads, for paging.Rules:
// entgql then loads those columns of the rows instead of all of them (the
// sort keys and statistics of a municipality are most of its row). Keep it
// in step with the resolvers: each name(lang:) reads the three names.
var ComputedColumns = map[string][]string{
	"Municipality.name":    {"nameFi", "nameSv", "nameEn"},
	"Region.name":          {"nameFi", "nameSv", "nameEn"},
	"Theme.name":           {"nameFi", "nameSv", "nameEn"},
	"WellbeingCounty.name": {"nameFi", "nameSv", "nameEn"},
}
