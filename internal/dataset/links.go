package dataset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/link"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
)

// GenerateLinks adds n explicit links between random actors
// (municipalities, organisations, networks, pilots) of the data already
// there: kinds spread over the Link kinds, weights 1–5, valid from a day of
// 2010–2025 for 1–6 years, one in four open-ended. Issue 7's benchmark uses
// 100,000.
func GenerateLinks(ctx context.Context, client *ent.Client, n int, seed uint64) error {
	rnd := rand.New(rand.NewPCG(seed, 7))
	var actors []int
	for _, ids := range []func(context.Context) ([]int, error){
		client.Municipality.Query().Order(municipality.ByID()).IDs, client.Organization.Query().Order(organization.ByID()).IDs,
		client.Network.Query().Order(network.ByID()).IDs, client.Pilot.Query().Order(pilot.ByID()).IDs,
	} {
		got, err := ids(ctx)
		if err != nil {
			return err
		}
		actors = append(actors, got...)
	}
	if len(actors) < 2 {
		return fmt.Errorf("generate actors first")
	}
	kinds := []link.Kind{link.KindCOLLABORATION, link.KindFUNDING, link.KindKNOWLEDGE_SHARING, link.KindADOPTION, link.KindSUCCESSOR, link.KindOTHER}
	base := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < n; start += batch {
		creates := make([]*ent.LinkCreate, min(batch, n-start))
		for i := range creates {
			src := actors[rnd.IntN(len(actors))]
			dst := actors[rnd.IntN(len(actors))]
			for dst == src {
				dst = actors[rnd.IntN(len(actors))]
			}
			from := base.AddDate(0, 0, rnd.IntN(16*365))
			c := client.Link.Create().SetSourceID(src).SetTargetID(dst).
				SetKind(kinds[rnd.IntN(len(kinds))]).SetWeight(float64(1 + rnd.IntN(5))).SetValidFrom(from)
			if rnd.IntN(4) > 0 {
				c.SetValidTo(from.AddDate(1+rnd.IntN(6), 0, 0))
			}
			creates[i] = c
		}
		if err := client.Link.CreateBulk(creates...).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
