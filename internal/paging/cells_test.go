package paging_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	_ "kokeilu/ent/runtime"
	"kokeilu/internal/database"
	"kokeilu/internal/seed"
	"kokeilu/internal/sortkey"
	"kokeilu/internal/testdb"
)

// TestReusedCellsKeepEveryRow: with one row of cells per statement
// (ReuseCells), every entity ent loads holds its own row's values, NULLs
// and byte keys among them, as the database has them: read again with
// hand-written SQL. The rows mix NULL and non-NULL in the same column
// (subregions' Swedish names, coordinates, end dates), where a cell left
// over from the row before would show.
func TestReusedCellsKeepEveryRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := demoData(t, b)
		ctx := context.Background()
		// Every other row NULL in columns that allow it.
		if _, err := db.SQL.ExecContext(ctx, "UPDATE municipalities SET latitude = NULL, subregion_name_sv = NULL WHERE id % 2 = 0"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.ExecContext(ctx, "UPDATE pilots SET ends_on = NULL, participants_complete = NULL WHERE id % 2 = 0"); err != nil {
			t.Fatal(err)
		}
		str := func(s sql.NullString) string { return fmt.Sprintf("%v:%s", s.Valid, s.String) }
		flt := func(f sql.NullFloat64) string { return fmt.Sprintf("%v:%v", f.Valid, f.Float64) }
		key := func(k sortkey.Key) string { return fmt.Sprintf("%x", []byte(k)) }

		rows, err := db.SQL.QueryContext(ctx, "SELECT id, name_sv, subregion_name_sv, latitude, population, name_sv_sortkey FROM municipalities")
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{}
		nulls := 0
		for rows.Next() {
			var id, population int
			var sv, en sql.NullString
			var lat sql.NullFloat64
			var k sortkey.Key
			if err := rows.Scan(&id, &sv, &en, &lat, &population, &k); err != nil {
				t.Fatal(err)
			}
			if !en.Valid || !lat.Valid {
				nulls++
			}
			want[id] = fmt.Sprint(str(sv), str(en), flt(lat), population, key(k))
		}
		rows.Close()
		ms := db.Client.Municipality.Query().AllX(ctx)
		if len(ms) != len(want) || nulls == 0 || nulls == len(ms) {
			t.Fatalf("%d municipalities loaded, %d read, %d with a NULL: not a mix", len(ms), len(want), nulls)
		}
		for _, m := range ms {
			lat := sql.NullFloat64{}
			if m.Latitude != nil {
				lat = sql.NullFloat64{Float64: *m.Latitude, Valid: true}
			}
			got := fmt.Sprint(str(sql.NullString{String: m.NameSv, Valid: m.NameSv != ""}), str(sql.NullString{String: m.SubregionNameSv, Valid: m.SubregionNameSv != ""}), flt(lat), m.Population, key(m.NameSvSortkey))
			if got != want[m.ID] {
				t.Errorf("municipality %d: ent %s, SQL %s", m.ID, got, want[m.ID])
			}
		}

		rows, err = db.SQL.QueryContext(ctx, "SELECT id, title, ends_on, participants_complete, title_sortkey FROM pilots")
		if err != nil {
			t.Fatal(err)
		}
		wantPilot := map[int]string{}
		for rows.Next() {
			var id int
			var title string
			var ends sql.NullTime
			var complete sql.NullBool
			var k sortkey.Key
			if err := rows.Scan(&id, &title, &ends, &complete, &k); err != nil {
				t.Fatal(err)
			}
			wantPilot[id] = fmt.Sprint(title, ends.Valid, ends.Time.Format(time.DateOnly), complete.Valid, complete.Bool, key(k))
		}
		rows.Close()
		for _, p := range db.Client.Pilot.Query().AllX(ctx) {
			var ends sql.NullTime
			if p.EndsOn != nil {
				ends = sql.NullTime{Time: *p.EndsOn, Valid: true}
			}
			var complete sql.NullBool
			if p.ParticipantsComplete != nil {
				complete = sql.NullBool{Bool: *p.ParticipantsComplete, Valid: true}
			}
			if got := fmt.Sprint(p.Title, ends.Valid, ends.Time.Format(time.DateOnly), complete.Valid, complete.Bool, key(p.TitleSortkey)); got != wantPilot[p.ID] {
				t.Errorf("pilot %d: ent %s, SQL %s", p.ID, got, wantPilot[p.ID])
			}
		}
	})
}

// demoData opens a database on b with the reference and demo data.
func demoData(t *testing.T, b testdb.Backend) *database.DB {
	db := testdb.Open(t, b)
	ctx := context.Background()
	if err := seed.Reference(ctx, db.Client); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, db.Client, time.Now()); err != nil {
		t.Fatal(err)
	}
	return db
}
