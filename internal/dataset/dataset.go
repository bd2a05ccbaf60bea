// Package dataset generates synthetic development data for `kokeilu
// generate`, benchmarks and tests (never committed): pilots over all
// municipalities with participants, themes, networks and partner
// organisations, from a fixed random seed so runs are comparable.
// Reference data must be loaded first.
package dataset

import (
	"context"
	"fmt"
	"kokeilu/internal/analytics"
	"kokeilu/internal/revision"
	"math/rand/v2"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
	"kokeilu/ent/theme"
)

// Size says how much to generate.
type Size struct {
	Pilots, Networks, Organizations, Themes int
}

// Default is the benchmark data set of issue 2: 20,000 pilots.
var Default = Size{Pilots: 20000, Networks: 200, Organizations: 500, Themes: 30}

const batch = 500

// Generate adds synthetic data of the given size to client.
func Generate(ctx context.Context, client *ent.Client, size Size, seed uint64) error {
	// One revision for the whole load, not one per row.
	defer revision.Bump(ctx, client)
	ctx = revision.Deferred(ctx)
	// The rows are counted at the end (Done); until then, and if the load
	// stops half-way until a Backfill after its lease, reads count the rows.
	load, err := analytics.Incomplete(ctx, client)
	if err != nil {
		return err
	}
	rnd := rand.New(rand.NewPCG(seed, 1))
	munis, err := client.Municipality.Query().Order(municipality.ByID()).All(ctx)
	if err != nil {
		return err
	}
	municipalities := make([]int, len(munis))
	names := make(map[int]string, len(munis))
	for i, m := range munis {
		municipalities[i], names[m.ID] = m.ID, m.NameFi
	}
	if len(municipalities) == 0 {
		return fmt.Errorf("load the reference data first")
	}
	pick := func(ids []int, n int) []int {
		out := make([]int, 0, n)
		seen := map[int]bool{}
		for len(out) < n && len(out) < len(ids) {
			id := ids[rnd.IntN(len(ids))]
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		return out
	}

	themes := make([]*ent.ThemeCreate, size.Themes)
	for i := range themes {
		themes[i] = client.Theme.Create().SetSlug(fmt.Sprintf("synthetic-theme-%d", i)).SetNameFi(fmt.Sprintf("Teema %d", i))
	}
	if err := client.Theme.CreateBulk(themes...).Exec(ctx); err != nil {
		return err
	}
	themeIDs, err := client.Theme.Query().Order(theme.ByID()).IDs(ctx)
	if err != nil {
		return err
	}
	orgs := make([]*ent.OrganizationCreate, size.Organizations)
	kinds := []organization.Kind{organization.KindMINISTRY, organization.KindAGENCY, organization.KindASSOCIATION, organization.KindUNIVERSITY, organization.KindCOMPANY, organization.KindNGO, organization.KindOTHER}
	for i := range orgs {
		orgs[i] = client.Organization.Create().SetName(fmt.Sprintf("Organisaatio %d", i)).
			SetSlug(fmt.Sprintf("synthetic-org-%d", i)).SetKind(kinds[rnd.IntN(len(kinds))]).
			SetMunicipalityID(municipalities[rnd.IntN(len(municipalities))])
	}
	if err := client.Organization.CreateBulk(orgs...).Exec(ctx); err != nil {
		return err
	}
	orgIDs, err := client.Organization.Query().Order(organization.ByID()).IDs(ctx)
	if err != nil {
		return err
	}
	netKinds := []network.Kind{network.KindPROGRAMME, network.KindTHEMATIC, network.KindREGIONAL, network.KindLEARNING, network.KindOTHER}
	for start := 0; start < size.Networks; start += batch { // batches keep edge inserts under SQLite's 32,766 parameters
		nets := make([]*ent.NetworkCreate, min(batch, size.Networks-start))
		for i := range nets {
			nets[i] = client.Network.Create().SetName(fmt.Sprintf("Verkosto %d: %s", start+i, pickOne(rnd, topics))).
				SetSlug(fmt.Sprintf("synthetic-network-%d", start+i)).SetKind(netKinds[rnd.IntN(len(netKinds))]).
				SetDescription(sentences(rnd, 2)).
				AddMunicipalityIDs(pick(municipalities, 2+rnd.IntN(20))...)
		}
		if err := client.Network.CreateBulk(nets...).Exec(ctx); err != nil {
			return err
		}
	}
	networkIDs, err := client.Network.Query().Order(network.ByID()).IDs(ctx)
	if err != nil {
		return err
	}

	statuses := []pilot.Status{pilot.StatusPLANNED, pilot.StatusACTIVE, pilot.StatusCOMPLETED, pilot.StatusCANCELLED}
	base := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < size.Pilots; start += batch {
		n := min(batch, size.Pilots-start)
		creates := make([]*ent.PilotCreate, n)
		for i := range creates {
			k := start + i
			startsOn := base.AddDate(0, 0, rnd.IntN(16*365))
			endsOn := startsOn.AddDate(0, 1+rnd.IntN(48), 0)
			participants := pick(municipalities, 1+rnd.IntN(15))
			creates[i] = client.Pilot.Create().
				SetSlug(fmt.Sprintf("synthetic-pilot-%d", k)).SetTitle(pilotTitle(rnd, names[participants[0]], k)).
				SetSummary(sentences(rnd, 2)).SetStatus(statuses[rnd.IntN(len(statuses))]).
				SetStartsOn(startsOn).SetEndsOn(endsOn).
				SetLeadMunicipalityID(participants[0]).AddMunicipalityIDs(participants...).
				AddThemeIDs(pick(themeIDs, 1+rnd.IntN(3))...).
				AddOrganizationIDs(pick(orgIDs, rnd.IntN(3))...).
				AddNetworkIDs(pick(networkIDs, rnd.IntN(3))...)
		}
		if err := client.Pilot.CreateBulk(creates...).Exec(ctx); err != nil {
			return err
		}
		if err := load.Renew(ctx); err != nil {
			return err
		}
	}
	// A bulk load keeps no counts row by row: the pilotStats buckets are
	// filled once, at the end.
	return load.Done(ctx)
}
