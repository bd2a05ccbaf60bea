package server_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"

	"pgregory.net/rapid"
)

// leadModel is the reference of LeadTakesPart: a pilot's participants and
// lead (0: none) as the end state of each mutation defines them.
type leadModel struct {
	parts map[int]bool
	lead  int
}

// leadUpdate is one generated updatePilot input over municipality IDs.
type leadUpdate struct {
	clear       bool
	add, remove []int
	lead        int // set this lead (0: leave it)
	clearLead   bool
	reverse     bool // write the input's fields in reverse order
}

// apply returns the end state of u over m and whether the API must accept
// it: clearing and removing come first, adding (and a new lead) last, and
// an unchanged lead must still take part at the end.
func (m leadModel) apply(u leadUpdate) (leadModel, bool) {
	next := leadModel{parts: map[int]bool{}, lead: m.lead}
	if !u.clear {
		maps.Copy(next.parts, m.parts)
	}
	for _, id := range u.remove {
		delete(next.parts, id)
	}
	for _, id := range u.add {
		next.parts[id] = true
	}
	switch {
	case u.lead != 0:
		next.lead = u.lead
		next.parts[u.lead] = true
	case u.clearLead:
		next.lead = 0
	}
	if next.lead != 0 && !next.parts[next.lead] {
		return m, false
	}
	return next, true
}

func (u leadUpdate) gql(enc func(int) string) string {
	list := func(ids []int) string {
		var s []string
		for _, id := range ids {
			s = append(s, fmt.Sprintf("%q", enc(id)))
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	var parts []string
	if u.clear {
		parts = append(parts, "clearMunicipalities: true")
	}
	parts = append(parts, "removeMunicipalityIDs: "+list(u.remove), "addMunicipalityIDs: "+list(u.add))
	if u.lead != 0 {
		parts = append(parts, fmt.Sprintf("leadMunicipalityID: %q", enc(u.lead)))
	}
	if u.clearLead {
		parts = append(parts, "clearLeadMunicipality: true")
	}
	if u.reverse {
		slices.Reverse(parts)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// TestLeadRuleJudgesTheEndState: random sequences of createPilot and
// updatePilot with random clear/add/remove/lead changes, in random field
// order, are accepted exactly when the reference end state keeps the lead
// among the participants (setting a lead adds it); the stored pilot then
// equals the reference, a refusal changes nothing and names the lead, and
// after every step every pilot's lead takes part, read from the database.
func TestLeadRuleJudgesTheEndState(t *testing.T) {
	rapidChecks(t)
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		token, _ := a.register("lead-rule@example.org", "Lead")
		h := bearer(token)
		sys := auth.System(context.Background())
		munis := a.db.Client.Municipality.Query().Where(municipality.CodeIn("091", "049", "853", "837", "564")).AllX(sys)
		var ids []int
		code := map[int]string{}
		for _, m := range munis {
			ids = append(ids, m.ID)
			code[m.ID] = m.Code
		}
		idList := rapid.SliceOfNDistinct(rapid.SampledFrom(ids), 0, 3, rapid.ID[int])
		stored := func(id string) leadModel {
			var got struct {
				Node struct {
					LeadMunicipality *struct{ ID string }
					Municipalities   struct{ Nodes []struct{ ID string } }
				}
			}
			a.query(&got, `query($id: ID!) { node(id: $id) { ... on Pilot { leadMunicipality { id } municipalities(first: 100) { nodes { id } } } } }`,
				map[string]any{"id": id})
			m := leadModel{parts: map[int]bool{}}
			if l := got.Node.LeadMunicipality; l != nil {
				m.lead, _ = scalar.DecodeID(l.ID)
			}
			for _, n := range got.Node.Municipalities.Nodes {
				id, _ := scalar.DecodeID(n.ID)
				m.parts[id] = true
			}
			return m
		}
		invariant := func(rt *rapid.T) {
			for _, p := range a.db.Client.Pilot.Query().WithLeadMunicipality().WithMunicipalities().AllX(sys) {
				if p.Edges.LeadMunicipality == nil {
					continue
				}
				if !slices.ContainsFunc(p.Edges.Municipalities, func(m *ent.Municipality) bool { return m.ID == p.Edges.LeadMunicipality.ID }) {
					rt.Fatalf("pilot %d: lead %s does not take part", p.ID, p.Edges.LeadMunicipality.Code)
				}
			}
		}
		rapid.Check(t, func(rt *rapid.T) {
			model := leadModel{parts: map[int]bool{}}
			for _, id := range idList.Draw(rt, "municipalityIDs") {
				model.parts[id] = true
			}
			vars := map[string]any{"m": encodeAll(slices.Collect(maps.Keys(model.parts)))}
			decl := "$m: [ID!]"
			lead := ""
			if rapid.Bool().Draw(rt, "withLead") {
				model.lead = rapid.SampledFrom(ids).Draw(rt, "lead")
				model.parts[model.lead] = true
				vars["lead"] = scalar.EncodeID(model.lead)
				decl += ", $lead: ID"
				lead = ", leadMunicipalityID: $lead"
			}
			var created struct{ CreatePilot struct{ ID string } }
			a.query(&created, `mutation(`+decl+`) { createPilot(input: {title: "Lead rule", municipalityIDs: $m`+lead+`}) { id } }`, vars, h...)
			pilot := created.CreatePilot.ID
			if got := stored(pilot); !equalLead(got, model) {
				rt.Fatalf("created: stored %v, want %v", got, model)
			}
			invariant(rt)
			for step := range rapid.IntRange(1, 6).Draw(rt, "steps") {
				u := leadUpdate{
					clear:   rapid.Bool().Draw(rt, "clear"),
					add:     idList.Draw(rt, "add"),
					remove:  idList.Draw(rt, "remove"),
					reverse: rapid.Bool().Draw(rt, "reverse"),
				}
				switch rapid.IntRange(0, 2).Draw(rt, "leadChange") {
				case 1:
					u.lead = rapid.SampledFrom(ids).Draw(rt, "newLead")
				case 2:
					u.clearLead = true
				}
				want, ok := model.apply(u)
				input := u.gql(scalar.EncodeID)
				res := a.post(`mutation($id: ID!) { updatePilot(id: $id, input: `+input+`) { id } }`, map[string]any{"id": pilot}, h...)
				switch {
				case ok && len(res.Errors) > 0:
					rt.Fatalf("step %d %s: refused, want accepted: %+v", step, input, res.Errors)
				case !ok && len(res.Errors) == 0:
					rt.Fatalf("step %d %s: accepted, want refused", step, input)
				case !ok:
					e := res.Errors[0]
					if e.code() != "BAD_USER_INPUT" || !strings.Contains(e.Message, code[model.lead]) || strings.Contains(e.Message, "ent:") {
						rt.Fatalf("step %d %s: %+v", step, input, res.Errors)
					}
				}
				if got := stored(pilot); !equalLead(got, want) {
					rt.Fatalf("step %d %s: stored %v, want %v", step, input, got, want)
				}
				invariant(rt)
				model = want
			}
		})
	})
}

func equalLead(a, b leadModel) bool { return a.lead == b.lead && maps.Equal(a.parts, b.parts) }

func encodeAll(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = scalar.EncodeID(id)
	}
	return out
}
