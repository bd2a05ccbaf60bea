package server_test

import (
	"strconv"
	"strings"
	"testing"

	"kokeilu/ent/workspace"
	"kokeilu/internal/testdb"
)

// TestUpdateSetAndClearRefused: an update that both sets a field and clears
// it is BAD_USER_INPUT naming the field, on both databases (PostgreSQL
// refused the two assignments to one column: INTERNAL, found by
// TestMutationTxPropertyOneConnection); each half alone works.
func TestUpdateSetAndClearRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		var made struct {
			CreatePilot          struct{ ID string }
			CreateOperatingModel struct{ ID string }
		}
		a.query(&made, `mutation { createPilot(input: {title: "Kokeilu"}) { id } createOperatingModel(input: {name: "Malli"}) { id } }`, nil, p.header("member")...)
		for _, c := range []struct{ update, field string }{
			{`updatePilot(id: $id, input: {sourceURL: "https://example.fi", clearSourceURL: true}) { id }`, "sourceURL"},
			{`updatePilot(id: $id, input: {leadMunicipalityID: $muni, clearLeadMunicipality: true}) { id }`, "leadMunicipalityID"},
			{`updateOperatingModel(id: $model, input: {sourceURL: "https://example.fi", clearSourceURL: true}) { id }`, "sourceURL"},
		} {
			update := strings.NewReplacer("$id", strconv.Quote(made.CreatePilot.ID), "$model", strconv.Quote(made.CreateOperatingModel.ID),
				"$muni", strconv.Quote(w.Municipality)).Replace(c.update)
			res := a.post(`mutation { `+update+` }`, nil, p.header("member")...)
			if len(res.Errors) != 1 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != c.field {
				t.Errorf("%s: %+v", c.update, res.Errors)
			}
		}
		a.query(&struct{}{}, `mutation($id: ID!, $muni: ID!) { a: updatePilot(id: $id, input: {sourceURL: "https://example.fi", leadMunicipalityID: $muni}) { id }
			b: updatePilot(id: $id, input: {clearSourceURL: true, clearLeadMunicipality: true}) { id } }`,
			map[string]any{"id": made.CreatePilot.ID, "muni": w.Municipality}, p.header("member")...)
	})
}
