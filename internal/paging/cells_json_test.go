package paging_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"kokeilu/ent/survey"
	"kokeilu/internal/auth"
	"kokeilu/internal/questionnaire"
	"kokeilu/internal/sortkey"
	"kokeilu/internal/testdb"
)

// TestReusedCellsKeepJSONAndSortKeys: JSON columns of alternating shapes,
// NULL sort keys, NULL nillable times and NULL descriptions, and M2M eager
// loading, through ent with ReuseCells, against hand-written SQL.
func TestReusedCellsKeepJSONAndSortKeys(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := demoData(t, b)
		ctx := context.Background()
		ctx = auth.System(ctx)
		first := db.Client.Survey.Query().WithWorkspace().FirstX(ctx)
		shapes := [][]questionnaire.Question{
			{{Key: "a", Kind: questionnaire.SingleChoice, Text: "A", Choices: []string{"x", "y", "z"}, Required: true}},
			{},
			{{Key: "b", Kind: questionnaire.FreeText, Text: "B"}},
			nil,
			{{Key: "c", Kind: questionnaire.SingleChoice, Text: "C", Choices: []string{"only"}}, {Key: "d", Kind: questionnaire.Scale, Text: "D"}},
			{{Key: "e", Kind: questionnaire.FreeText, Text: "E"}},
		}
		for i, q := range shapes {
			c := db.Client.Survey.Create().SetWorkspace(first.Edges.Workspace).SetTitle(fmt.Sprintf("s%d", i)).
				SetQuestions(q).SetOpensAt(time.Now())
			if i%2 == 0 {
				c.SetDescription("d").SetClosesAt(time.Now().Add(time.Hour))
			}
			if err := c.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.SQL.ExecContext(ctx, "UPDATE surveys SET title_sortkey = NULL WHERE title = 's1'"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.ExecContext(ctx, "UPDATE surveys SET questions = 'null' WHERE title = 's3'"); err != nil {
			t.Fatal(err)
		}
		rows, err := db.SQL.QueryContext(ctx, "SELECT id, questions, description, closes_at, title_sortkey FROM surveys")
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{}
		for rows.Next() {
			var id int
			var raw []byte
			var desc sql.NullString
			var closes sql.NullTime
			var k sortkey.Key
			if err := rows.Scan(&id, &raw, &desc, &closes, &k); err != nil {
				t.Fatal(err)
			}
			var qs []questionnaire.Question
			if len(raw) > 0 {
				if err := json.Unmarshal(raw, &qs); err != nil {
					t.Fatal(err)
				}
			}
			want[id] = fmt.Sprintf("%#v %q %v %x", qs, desc.String, closes.Valid, []byte(k))
		}
		rows.Close()
		ss := db.Client.Survey.Query().Order(survey.ByID()).AllX(ctx)
		if len(ss) != len(want) || len(ss) < 6 {
			t.Fatalf("%d vs %d", len(ss), len(want))
		}
		for _, s := range ss {
			got := fmt.Sprintf("%#v %q %v %x", s.Questions, s.Description, s.ClosesAt != nil, []byte(s.TitleSortkey))
			if got != want[s.ID] {
				t.Errorf("survey %d:\n ent %s\n SQL %s", s.ID, got, want[s.ID])
			}
		}

		// M2M eager loading: pilots with their municipalities.
		rows, err = db.SQL.QueryContext(ctx, "SELECT pm.pilot_id, m.id, m.name_sv FROM pilot_municipalities pm JOIN municipalities m ON m.id = pm.municipality_id")
		if err != nil {
			t.Fatal(err)
		}
		wantM := map[int][]string{}
		for rows.Next() {
			var p, m int
			var name string
			if err := rows.Scan(&p, &m, &name); err != nil {
				t.Fatal(err)
			}
			wantM[p] = append(wantM[p], fmt.Sprint(m, name))
		}
		rows.Close()
		n := 0
		for _, p := range db.Client.Pilot.Query().WithMunicipalities().AllX(ctx) {
			var got []string
			for _, m := range p.Edges.Municipalities {
				got = append(got, fmt.Sprint(m.ID, m.NameSv))
			}
			sort.Strings(got)
			w := wantM[p.ID]
			sort.Strings(w)
			n += len(got)
			if fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("pilot %d: ent %v, SQL %v", p.ID, got, w)
			}
		}
		t.Logf("%d surveys, %d pilot municipalities compared", len(ss), n)
	})
}
