package collab

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"kokeilu/ent"
	"kokeilu/ent/discussion"
)

// refCounters count, for each reference field of the entgql inputs (by the
// edge part of its Go name: LeadMunicipality of LeadMunicipalityID,
// Municipality of AddMunicipalityIDs), the rows of the right kind among
// some IDs. TestIDInputsOfEveryMutation sends a wrong-type ID to every ID
// field of every mutation, so a field missing here fails it.
var refCounters = map[string]func(*ent.Client) func(context.Context, ...int) (int, error){
	"Municipality":     countMunicipalities,
	"LeadMunicipality": countMunicipalities,
	"Organization":     countOrganizations,
	"Theme":            countThemes,
	"Network":          countNetworks,
	"Parent":           countNetworks, // only networks have a parent among entgql inputs
	"Child":            countNetworks,
	"Pilot":            countPilots,
	"DevelopedIn":      countPilots,
	"WellbeingCounty":  countWellbeingCounties,
	"Workspace":        countWorkspaces,
	"OperatingModel":   countOperatingModels,
	"PartOf":           countOperatingModels,
	"Part":             countOperatingModels,
	"Source":           countActors,
	"Target":           countActors,
}

// countActors counts the ends a link may have: municipalities,
// organisations, networks and pilots.
func countActors(c *ent.Client) func(context.Context, ...int) (int, error) {
	return func(ctx context.Context, ids ...int) (int, error) {
		total := 0
		for _, count := range []func(*ent.Client) func(context.Context, ...int) (int, error){countMunicipalities, countOrganizations, countNetworks, countPilots} {
			n, err := count(c)(ctx, ids...)
			if err != nil {
				return 0, err
			}
			total += n
		}
		return total, nil
	}
}

// inputRefs checks every reference field of an entgql input (a pointer to
// the struct): <Edge>ID, <Edge>IDs, add<Edge>IDs and remove<Edge>IDs. An ID
// that names nothing or a row of another kind is BAD_USER_INPUT naming the
// field as the client wrote it; a removal too, which ent would otherwise
// skip in silence.
func inputRefs(ctx context.Context, c *ent.Client, in any) error {
	v := reflect.ValueOf(in).Elem()
	var checks []refCheck
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		var ids []int
		var edge string
		switch f := v.Field(i); {
		case strings.HasSuffix(name, "IDs") && f.Kind() == reflect.Slice:
			ids, edge = f.Interface().([]int), strings.TrimSuffix(name, "IDs")
		case strings.HasSuffix(name, "ID") && f.Kind() == reflect.Int:
			ids, edge = []int{int(f.Int())}, strings.TrimSuffix(name, "ID")
		case strings.HasSuffix(name, "ID") && f.Kind() == reflect.Pointer && !f.IsNil():
			ids, edge = one(f.Interface().(*int)), strings.TrimSuffix(name, "ID")
		default:
			continue
		}
		if rest, ok := strings.CutPrefix(edge, "Add"); ok && strings.HasSuffix(name, "IDs") {
			edge = rest
		} else if rest, ok := strings.CutPrefix(edge, "Remove"); ok && strings.HasSuffix(name, "IDs") {
			edge = rest
		}
		counter := refCounters[edge]
		if counter == nil {
			return fmt.Errorf("collab: no refCounters entry for %s.%s", v.Type().Name(), name)
		}
		r, size := utf8.DecodeRuneInString(name)
		checks = append(checks, refCheck{string(unicode.ToLower(r)) + name[size:], ids, counter(c)})
	}
	return checkRefs(ctx, checks...)
}

// workspaceRef checks the workspaceId of a hand-written input: a workspace
// the viewer can see, else BAD_USER_INPUT on workspaceId (not NOT_FOUND:
// the ID is an input, like those of the entgql inputs).
func workspaceRef(ctx context.Context, c *ent.Client, id int) error {
	return refs(ctx, "workspaceId", []int{id}, countWorkspaces(c))
}

func countDiscussions(c *ent.Client) func(context.Context, ...int) (int, error) {
	return func(ctx context.Context, ids ...int) (int, error) {
		return c.Discussion.Query().Where(discussion.IDIn(ids...)).Count(ctx)
	}
}
