package analytics_test

import (
	"context"
	"testing"

	"kokeilu/ent"
	"kokeilu/ent/pilot"
	_ "kokeilu/ent/runtime"
	"kokeilu/internal/analytics"
	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/revision"
	"kokeilu/internal/search"
	"kokeilu/internal/seed"
	"kokeilu/internal/testdb"
)

// BenchmarkPilotWrites measures what keeping the counts adds to a write:
// a pilot created (5 participants, 2 themes, a network) and a pilot
// updated (its status, and a participant added), each in its own
// transaction, through the server's client (analytics.Hook syncs the
// pilot) and through a client on the same database without the hook, in
// one run, on 2,000 generated pilots (counted first).
//
//	go test ./internal/analytics -run '^$' -bench PilotWrites
func BenchmarkPilotWrites(b *testing.B) {
	for _, backend := range testdb.Backends() {
		db := testdb.Open(b, backend)
		ctx := search.WithoutIndexing(auth.System(context.Background()))
		if err := seed.Reference(ctx, db.Client); err != nil {
			b.Fatal(err)
		}
		if err := dataset.Generate(ctx, db.Client, dataset.Size{Pilots: 2000, Networks: 50, Organizations: 20, Themes: 30}, 1); err != nil {
			b.Fatal(err)
		}
		// Counted, as a bulk load leaves them: an update then takes the
		// pilot's old facts away, as in use.
		if err := analytics.Rebuild(ctx, db.Client); err != nil {
			b.Fatal(err)
		}
		munis := db.Client.Municipality.Query().IDsX(ctx)
		themes := db.Client.Theme.Query().IDsX(ctx)
		networks := db.Client.Network.Query().IDsX(ctx)
		pilots := db.Client.Pilot.Query().IDsX(ctx)
		unkept := ent.NewClient(ent.Driver(db.Driver))
		unkept.Use(revision.Hook())
		statuses := []pilot.Status{pilot.StatusPLANNED, pilot.StatusACTIVE, pilot.StatusCOMPLETED, pilot.StatusCANCELLED}
		inTx := func(b *testing.B, c *ent.Client, fn func(c *ent.Client) error) {
			tx, err := c.Tx(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if err := fn(tx.Client()); err != nil {
				_ = tx.Rollback()
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		for _, c := range []struct {
			name   string
			client *ent.Client
		}{{"without-hook", unkept}, {"with-hook", db.Client}} {
			b.Run(string(backend)+"/create/"+c.name, func(b *testing.B) {
				for i := range b.N {
					k := i * 7
					inTx(b, c.client, func(tc *ent.Client) error {
						m := []int{munis[k%len(munis)], munis[(k+1)%len(munis)], munis[(k+2)%len(munis)], munis[(k+3)%len(munis)], munis[(k+4)%len(munis)]}
						return tc.Pilot.Create().SetTitle("Kirjoitettu").SetStatus(statuses[i%4]).
							SetLeadMunicipalityID(m[0]).AddMunicipalityIDs(m...).
							AddThemeIDs(themes[k%len(themes)], themes[(k+1)%len(themes)]).
							AddNetworkIDs(networks[k%len(networks)]).Exec(ctx)
					})
				}
			})
			b.Run(string(backend)+"/update/"+c.name, func(b *testing.B) {
				for i := range b.N {
					p := pilots[(i*13)%len(pilots)]
					inTx(b, c.client, func(tc *ent.Client) error {
						return tc.Pilot.UpdateOneID(p).SetStatus(statuses[i%4]).AddMunicipalityIDs(munis[(i*5)%len(munis)]).Exec(ctx)
					})
				}
			})
		}
	}
}
