package server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"kokeilu/ent/workspace"
	"kokeilu/internal/testdb"
)

// rowRace is one pair of updates of one row that are each valid alone but
// not together, and the promise that must hold after both.
type rowRace struct {
	name string
	// setup makes a fresh row and returns the variables of both updates.
	setup func() map[string]any
	// first and second are the updates, sent at the same moment.
	first, second string
	// bothMayPass: applied in one of the two orders both are valid.
	bothMayPass bool
	// broken reads the row back and tells what promise it breaks, if any.
	broken func(vars map[string]any) string
}

// TestConcurrentUpdatesOfOneRow sends two updates of one row at the same
// moment, each passing the checks alone but together breaking a promise of
// the API: a pilot's start moved past its end while its end moves before
// the start; a workshop's start moved past its end while its end moves
// before the start; a pilot's lead changed to a municipality while another
// update takes that municipality out of its participants; a material made
// a LINK while its address is emptied. The checks read the stored row: at
// PostgreSQL's READ COMMITTED both updates read it before either commits,
// so both passed (the pilot's dates in 29 runs of 30). Now every time one
// update is refused with BAD_USER_INPUT (or, for the lead, both pass when
// the order makes that valid) and the promise holds.
func TestConcurrentUpdatesOfOneRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		member := p.header("member")
		admin := p.header("admin")

		var munis struct {
			Municipalities struct{ Nodes []struct{ ID string } }
		}
		a.query(&munis, `{ municipalities(first: 2, orderBy: [{field: CODE}]) { nodes { id } } }`, nil)
		lead, other := munis.Municipalities.Nodes[0].ID, munis.Municipalities.Nodes[1].ID

		node := func(id, fields string, v any, header []string) {
			a.query(v, `query($id: ID!) { node(id: $id) { ... on `+fields+` } }`, map[string]any{"id": id}, header...)
		}
		create := func(query string, vars map[string]any, header []string) string {
			var got map[string]struct{ ID string }
			a.query(&got, query, vars, header...)
			for _, v := range got {
				return v.ID
			}
			t.Fatal("nothing created")
			return ""
		}
		races := []rowRace{{
			name: "pilot dates",
			setup: func() map[string]any {
				return map[string]any{"id": create(`mutation { createPilot(input: {title: "Päiväkilpa", startsOn: "2020-01-01"}) { id } }`, nil, member)}
			},
			first:  `mutation($id: ID!) { updatePilot(id: $id, input: {startsOn: "2030-01-01"}) { id } }`,
			second: `mutation($id: ID!) { updatePilot(id: $id, input: {endsOn: "2025-01-01"}) { id } }`,
			broken: func(vars map[string]any) string {
				var got struct {
					Node struct{ StartsOn, EndsOn *string }
				}
				node(vars["id"].(string), `Pilot { startsOn endsOn }`, &got, member)
				if s, e := got.Node.StartsOn, got.Node.EndsOn; s != nil && e != nil && *e < *s {
					return fmt.Sprintf("pilot ends on %s before it starts on %s", *e, *s)
				}
				return ""
			},
		}, {
			name: "workshop times",
			setup: func() map[string]any {
				return map[string]any{"id": create(`mutation($ws: ID!) { createWorkshop(input: {workspaceId: $ws, title: "Ajat",
					startsAt: "2030-01-01T10:00:00Z", endsAt: "2030-01-01T12:00:00Z", capacity: 5}) { id } }`, map[string]any{"ws": w.Workspace}, admin)}
			},
			first:  `mutation($id: ID!) { updateWorkshop(id: $id, input: {startsAt: "2030-01-01T11:30:00Z"}) { id } }`,
			second: `mutation($id: ID!) { updateWorkshop(id: $id, input: {endsAt: "2030-01-01T11:00:00Z"}) { id } }`,
			broken: func(vars map[string]any) string {
				var got struct {
					Node struct{ StartsAt, EndsAt string }
				}
				node(vars["id"].(string), `Workshop { startsAt endsAt }`, &got, admin)
				if got.Node.EndsAt < got.Node.StartsAt {
					return fmt.Sprintf("workshop ends at %s before it starts at %s", got.Node.EndsAt, got.Node.StartsAt)
				}
				return ""
			},
		}, {
			name: "pilot lead",
			setup: func() map[string]any {
				id := create(`mutation($m: [ID!], $l: ID) { createPilot(input: {title: "Johtokilpa", leadMunicipalityID: $l, municipalityIDs: $m}) { id } }`,
					map[string]any{"m": []string{lead, other}, "l": lead}, member)
				return map[string]any{"id": id, "x": other}
			},
			first:       `mutation($id: ID!, $x: ID) { updatePilot(id: $id, input: {leadMunicipalityID: $x}) { id } }`,
			second:      `mutation($id: ID!, $x: ID!) { updatePilot(id: $id, input: {removeMunicipalityIDs: [$x]}) { id } }`,
			bothMayPass: true, // the removal first, then the lead (which takes part again)
			broken: func(vars map[string]any) string {
				var got struct {
					Node struct {
						LeadMunicipality *struct{ ID string }
						Municipalities   struct{ Nodes []struct{ ID string } }
					}
				}
				node(vars["id"].(string), `Pilot { leadMunicipality { id } municipalities(first: 10) { nodes { id } } }`, &got, member)
				l := got.Node.LeadMunicipality
				if l != nil && !slices.ContainsFunc(got.Node.Municipalities.Nodes, func(n struct{ ID string }) bool { return n.ID == l.ID }) {
					return fmt.Sprintf("pilot led by %s, which is not among its municipalities %v", l.ID, got.Node.Municipalities.Nodes)
				}
				return ""
			},
		}, {
			name: "material address",
			setup: func() map[string]any {
				return map[string]any{"id": create(`mutation($ws: ID!) { addMaterial(input: {workspaceId: $ws, title: "Opas",
					kind: DOCUMENT, url: "https://example.org/opas"}) { id } }`, map[string]any{"ws": w.Workspace}, admin)}
			},
			first:  `mutation($id: ID!) { updateMaterial(id: $id, input: {kind: LINK}) { id } }`,
			second: `mutation($id: ID!) { updateMaterial(id: $id, input: {url: ""}) { id } }`,
			broken: func(vars map[string]any) string {
				var got struct {
					Node struct {
						Kind string
						URL  *string `json:"url"`
					}
				}
				node(vars["id"].(string), `Material { kind url }`, &got, admin)
				if got.Node.Kind == "LINK" && (got.Node.URL == nil || *got.Node.URL == "") {
					return "a LINK without an address"
				}
				return ""
			},
		}}
		const runs = 25
		for _, race := range races {
			t.Run(race.name, func(t *testing.T) {
				header := member
				if race.name == "workshop times" || race.name == "material address" {
					header = admin
				}
				for run := range runs {
					vars := race.setup()
					var res [2]response
					var wg sync.WaitGroup
					for i, q := range []string{race.first, race.second} {
						wg.Add(1)
						go func() {
							defer wg.Done()
							res[i] = a.post(q, vars, header...)
						}()
					}
					wg.Wait()
					var failed []string
					for _, r := range res {
						if len(r.Errors) > 0 {
							failed = append(failed, r.Errors[0].code())
						}
					}
					switch {
					case len(failed) == 0 && !race.bothMayPass:
						t.Errorf("run %d: both updates passed", run)
					case len(failed) == 2, len(failed) == 1 && failed[0] != "BAD_USER_INPUT":
						b0, _ := json.Marshal(res[0].Errors)
						b1, _ := json.Marshal(res[1].Errors)
						t.Errorf("run %d: want at most one BAD_USER_INPUT, got %s and %s", run, b0, b1)
					}
					if why := race.broken(vars); why != "" {
						t.Errorf("run %d: %s", run, why)
					}
				}
			})
		}
	})
}
