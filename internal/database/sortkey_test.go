package database_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"kokeilu/ent"
	"kokeilu/ent/pilot"
	_ "kokeilu/ent/runtime"
	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/sortkey"
	"kokeilu/internal/testdb"

	entsql "entgo.io/ent/dialect/sql"
)

// TestSortKeysBackfilled: rows whose sort keys are NULL (written before
// the column existed) get them when an instance starts, and then order by
// collation; rows written through ent get them from the hook at once.
func TestSortKeysBackfilled(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := auth.System(context.Background())
		dsn := testdb.DSN(t, b)
		db, err := database.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		titles := []string{"Öljy", "Äänekoski", "Zeta", "Åbo", "aalto"}
		for i, title := range titles {
			p, err := db.Client.Pilot.Create().SetSlug("p" + string(rune('a'+i))).SetTitle(title).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p.TitleSortkey, sortkey.Of("title", title)) {
				t.Fatalf("%q: hook wrote key %x", title, p.TitleSortkey)
			}
		}
		d := entsql.Dialect(db.Dialect)
		query, args := d.Update(pilot.Table).SetNull(pilot.FieldTitleSortkey).Query()
		if err := db.Driver.Exec(ctx, query, args, nil); err != nil {
			t.Fatal(err)
		}
		db.Close()

		db, err = database.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ps, err := db.Client.Pilot.Query().Order(ent.Asc(pilot.FieldTitleSortkey)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			if !bytes.Equal(p.TitleSortkey, sortkey.Of("title", p.Title)) {
				t.Errorf("%q: backfilled key %x", p.Title, p.TitleSortkey)
			}
			got = append(got, p.Title)
		}
		if want := []string{"aalto", "Zeta", "Åbo", "Äänekoski", "Öljy"}; !slices.Equal(got, want) {
			t.Errorf("order after backfill %q, want %q", got, want)
		}
	})
}
