package analytics

// Kept counts. pilotStats reads counts that every write keeps current in
// its own transaction, so a call costs what its buckets cost, not what the
// pilots cost.
//
// What is kept: for each family (a set of dimensions, listed in
// families), the distinct pilots per combination of values, one
// stat_buckets row per combination that has a pilot. A pilot adds 1 to
// every combination of its distinct values in the family's dimensions, so
// a pilot with three municipalities in one region adds 1 to that region
// once, and a pilot in three regions adds 1 to each region: the rows are
// keyed by exactly the dimensions a grouping shows, never summed across
// an area or a theme, which is what keeps distinct counts exact. Rows are
// summed only across STATUS, a value every pilot has exactly once (a
// status filter reads the family with STATUS and adds the wanted
// statuses up). The total is the STATUS family added up.
//
// Families with MUNICIPALITY are the municipality rows: per participating
// municipality (and the family's other values) the pilots that have both.
// They answer MUNICIPALITY groupings (the municipality is the bucket; its
// region, county, subregion and county kind follow from it), and they
// keep the other families' municipalities and population (derived): a
// bucket's municipalities are those whose row of the bucket's other
// values is not zero, in the bucket's area. So when a municipality row
// leaves 0 or reaches it (the upsert reads its new count back), the
// buckets it derives gain or lose that municipality and its population,
// once: a municipality counts once per bucket however many pilots it
// has there. The areas and population they were counted with are
// recorded per municipality (stat_municipalities); a change of either
// moves the municipality in every bucket it is in (SyncMunicipalities),
// under a lock on its record that writers of its rows share.
//
// Why these families (storage grows with the combinations that have
// pilots, bounded by the classifications, not with the pilots): every
// dimension alone and every pair but of two areas (with MUNICIPALITY, the
// other area follows from the municipality), and, with STATUS, every area
// × THEME (REGION × THEME × STATUS, or REGION × THEME under a status
// filter). ACTIVE_YEAR counts are made for one year (a pilot without an
// end is active until this year): Backfill moves the open-ended pilots
// when the year changes, and until then ACTIVE_YEAR is computed from the
// rows. On the generated data that was 163,000 rows at 20,000 pilots
// before ACTIVE_YEAR; the largest are MUNICIPALITY × NETWORK (every
// municipality–network pair with a pilot: the answer of that grouping
// itself, 57,000) and MUNICIPALITY × THEME × STATUS (37,000). Keeping
// every triple was 2.7 million rows at 20,000 pilots.
//
// stat_pilots holds what each pilot last added (facts), so keeping the
// counts is: read the pilot's rows now, take its old facts away, add the
// new (sync). Only the difference is written: rows of the combinations
// the pilot leaves (−1) and enters (+1), in one plain upsert; a pilot
// whose facts did not change writes nothing. Sync makes the counts right
// for the pilots it is given whatever they held before, which is what a
// rebuild and the start-up backfill use too. Writers lock the pilots they sync first, so two
// transactions changing one pilot take turns.
//
// Served from the kept counts (fromBuckets), with `where` empty or only
// status/statusIn: a grouping whose dimensions (with STATUS added under a
// status filter) are a family, or MUNICIPALITY with other areas and a
// family's other dimensions. Without a filter, that is one family's rows
// as they are, a bucket a row (readKept), municipalities and population
// included where they are kept. Under a status filter the statuses' rows
// are added up, and the buckets' municipalities are the union of the
// municipality rows of the wanted statuses (a municipality in two
// statuses counts once). Everything else runs the exact statement over the
// rows: two areas but MUNICIPALITY and another (REGION × WELLBEING_COUNTY),
// three dimensions but area × THEME × STATUS, the municipalities of two
// non-area dimensions (THEME × NETWORK…: as many rows as participations),
// ACTIVE_YEAR in a year its counts were not made for, and any other filter.

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/network"
	"kokeilu/ent/pilot"
	"kokeilu/ent/region"
	"kokeilu/ent/statbucket"
	"kokeilu/ent/statpilot"
	"kokeilu/ent/theme"
	"kokeilu/ent/wellbeingcounty"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// kept are the dimensions with kept counts, in their canonical order.
var kept = []Dimension{Region, WellbeingCounty, Subregion, CountyKind, Municipality, Theme, Status, Network, StartYear, ActiveYear}

// geographic dimensions are areas: a municipality has one value in each.
func geographic(d Dimension) bool {
	return d == Region || d == WellbeingCounty || d == Subregion || d == CountyKind || d == Municipality
}

// facts are a pilot's distinct values per kept dimension: ids for regions,
// counties, municipalities, themes and networks (codes may be renamed),
// the subregion code, the county kind, the status and the start year.
type facts map[Dimension][]string

// encode is d=v,v;d=v… in kept order; decode reads it back.
func (f facts) encode() string {
	var parts []string
	for _, d := range kept {
		parts = append(parts, string(d)+"="+strings.Join(f[d], ","))
	}
	return strings.Join(parts, ";")
}

func decode(s string) facts {
	f := facts{}
	for _, part := range strings.Split(s, ";") {
		d, v, _ := strings.Cut(part, "=")
		if v != "" {
			f[Dimension(d)] = strings.Split(v, ",")
		}
	}
	return f
}

// families are the kept groupings, each in canonical order (see the top
// of the file for why these).
var families = func() [][]Dimension {
	var out [][]Dimension
	for i, a := range kept {
		out = append(out, []Dimension{a})
		for _, b := range kept[i+1:] {
			if geographic(a) && geographic(b) {
				// Two areas are combined per municipality, which a
				// pilot's values per dimension do not tell (and with
				// MUNICIPALITY, the other area follows from it).
				continue
			}
			out = append(out, []Dimension{a, b})
			if geographic(a) && b == Theme {
				out = append(out, []Dimension{a, Theme, Status})
			}
		}
	}
	return out
}()

// family is the name of a kept family: its dimensions, comma-separated.
func family(ds []Dimension) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = string(d)
	}
	return strings.Join(s, ",")
}

// isFamily tells whether name is a kept family.
var isFamily = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range families {
		m[family(f)] = true
	}
	return m
}()

// layout names the families; a database whose kept counts were made for
// other families is recounted at start (Backfill).
var layout = func() string {
	var names []string
	for _, f := range families {
		names = append(names, family(f))
	}
	// The families' municipalities and population are kept too (derived).
	return strings.Join(names, ";") + ";municipalities"
}()

// A derivation is a family whose buckets' municipalities and population
// a family with MUNICIPALITY keeps: a municipality row (m, values) that
// is not zero puts m in the bucket of the same values (the family of the
// other dimensions), and in the bucket of m's area with those values (the
// family of area and other dimensions), for each area that has one.
type derivation struct {
	family string
	area   Dimension // "" for the bucket of the other dimensions alone
}

// derived are the derivations of each family with MUNICIPALITY.
var derived = func() map[string][]derivation {
	out := map[string][]derivation{}
	for _, g := range families {
		if g[0] != Municipality { // MUNICIPALITY comes first in all of them
			continue
		}
		rest := g[1:]
		if len(rest) > 0 && isFamily[family(rest)] {
			out[family(g)] = append(out[family(g)], derivation{family: family(rest)})
		}
		for _, a := range []Dimension{Region, WellbeingCounty, Subregion, CountyKind} {
			if f := family(append([]Dimension{a}, rest...)); isFamily[f] {
				out[family(g)] = append(out[family(g)], derivation{family: f, area: a})
			}
		}
	}
	return out
}()

// keepsAreas tells whether a family's rows hold their buckets'
// municipalities and population (some family derives them).
var keepsAreas = func() map[string]bool {
	m := map[string]bool{}
	for _, ds := range derived {
		for _, d := range ds {
			m[d.family] = true
		}
	}
	return m
}()

// product calls fn with every combination of values of dims in f.
func product(f facts, dims []Dimension, fn func(key []string)) {
	key := make([]string, len(dims))
	var rec func(i int)
	rec = func(i int) {
		if i == len(dims) {
			fn(key)
			return
		}
		for _, v := range f[dims[i]] {
			key[i] = v
			rec(i + 1)
		}
	}
	rec(0)
}

// add adds sign × the pilot's counts to delta, keyed family + "\x00" + key.
func (f facts) add(delta map[string]int, sign int) {
	if len(f) == 0 {
		return
	}
	for _, g := range families {
		name := family(g) + "\x00"
		product(f, g, func(key []string) { delta[name+strings.Join(key, "|")] += sign })
	}
}

// Hook keeps the counts current: after every write that can change a
// pilot's values (the pilot itself, its participants, themes and
// networks from either end, a municipality's area), it syncs the pilots
// concerned in the same transaction. Bulk loads (revision.Deferred) mark
// the counts Incomplete and are synced by whoever loads them (Backfill).
func Hook(deferred func(context.Context) bool) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if deferred(ctx) {
				return next.Mutate(ctx, m)
			}
			before, munis, watched, err := affectedBefore(ctx, m)
			if err != nil {
				return nil, err
			}
			if !watched {
				return next.Mutate(ctx, m)
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			ids, err := affectedAfter(ctx, m, v, before)
			if err != nil {
				return nil, err
			}
			type clienter interface{ Client() *ent.Client }
			c := m.(clienter).Client()
			if err := Sync(ctx, c, ids); err != nil {
				return nil, err
			}
			return v, SyncMunicipalities(ctx, c, munis)
		})
	}
}

// affectedBefore is the pilots a mutation may change that can only be
// found before it runs (those of rows it deletes or whose edges it
// clears), the municipalities whose areas or population it may change,
// and whether the mutation concerns the counts at all.
func affectedBefore(ctx context.Context, m ent.Mutation) (pilots, munis []int, watched bool, err error) {
	ctx = auth.System(ctx)
	switch m := m.(type) {
	case *ent.PilotMutation:
		if m.Op().Is(ent.OpCreate) {
			return nil, nil, true, nil
		}
		if m.Op().Is(ent.OpUpdate|ent.OpUpdateOne) && !movesPilot(m) {
			return nil, nil, false, nil
		}
		ids, err := m.IDs(ctx)
		return ids, nil, true, err
	case *ent.NetworkMutation:
		if !m.Op().Is(ent.OpDelete|ent.OpDeleteOne) && !m.PilotsCleared() {
			return nil, nil, len(m.PilotsIDs())+len(m.RemovedPilotsIDs()) > 0, nil
		}
		ids, err := m.IDs(ctx)
		if err != nil {
			return nil, nil, true, err
		}
		p, err := m.Client().Pilot.Query().Where(pilot.HasNetworksWith(network.IDIn(ids...))).IDs(ctx)
		return p, nil, true, err
	case *ent.ThemeMutation:
		if !m.Op().Is(ent.OpDelete|ent.OpDeleteOne) && !m.PilotsCleared() {
			return nil, nil, len(m.PilotsIDs())+len(m.RemovedPilotsIDs()) > 0, nil
		}
		ids, err := m.IDs(ctx)
		if err != nil {
			return nil, nil, true, err
		}
		p, err := m.Client().Pilot.Query().Where(pilot.HasThemesWith(theme.IDIn(ids...))).IDs(ctx)
		return p, nil, true, err
	case *ent.MunicipalityMutation:
		// A change of its areas (or its removal) moves a municipality's
		// pilots between buckets; a change of its areas or population
		// moves it in the buckets' municipalities and population.
		_, sub := m.SubregionCode()
		moved := sub || m.SubregionCodeCleared() || len(m.RegionIDs()) > 0 || m.RegionCleared() ||
			len(m.WellbeingCountyIDs()) > 0 || m.WellbeingCountyCleared()
		_, population := m.Population()
		population = population || m.PopulationCleared()
		if m.Op().Is(ent.OpCreate) || !moved && !population && !m.Op().Is(ent.OpDelete|ent.OpDeleteOne) {
			return nil, nil, len(m.PilotsIDs())+len(m.RemovedPilotsIDs()) > 0, nil
		}
		ids, err := m.IDs(ctx)
		if err != nil || !moved && !m.Op().Is(ent.OpDelete|ent.OpDeleteOne) {
			return nil, ids, true, err
		}
		p, err := pilotsOf(ctx, m.Client(), ids)
		return p, ids, true, err
	case *ent.RegionMutation:
		changed := append(m.MunicipalitiesIDs(), m.RemovedMunicipalitiesIDs()...)
		if m.Op().Is(ent.OpDelete|ent.OpDeleteOne) || m.MunicipalitiesCleared() {
			ids, err := m.IDs(ctx)
			if err != nil {
				return nil, nil, true, err
			}
			more, err := m.Client().Region.Query().Where(region.IDIn(ids...)).QueryMunicipalities().IDs(ctx)
			if err != nil {
				return nil, nil, true, err
			}
			changed = append(changed, more...)
		}
		p, err := pilotsOf(ctx, m.Client(), changed)
		return p, changed, len(changed) > 0, err
	case *ent.WellbeingCountyMutation:
		changed := append(m.MunicipalitiesIDs(), m.RemovedMunicipalitiesIDs()...)
		_, kind := m.Kind() // moves its municipalities' pilots between WELLBEING_COUNTY_KIND buckets
		if m.Op().Is(ent.OpDelete|ent.OpDeleteOne) || m.MunicipalitiesCleared() || kind && !m.Op().Is(ent.OpCreate) {
			ids, err := m.IDs(ctx)
			if err != nil {
				return nil, nil, true, err
			}
			more, err := m.Client().WellbeingCounty.Query().Where(wellbeingcounty.IDIn(ids...)).QueryMunicipalities().IDs(ctx)
			if err != nil {
				return nil, nil, true, err
			}
			changed = append(changed, more...)
		}
		p, err := pilotsOf(ctx, m.Client(), changed)
		return p, changed, len(changed) > 0, err
	}
	return nil, nil, false, nil
}

// movesPilot tells whether an update of pilots changes any of their
// values in the kept dimensions (a new title moves no pilot).
func movesPilot(m *ent.PilotMutation) bool {
	fields := append(m.Fields(), m.ClearedFields()...)
	edges := append(append(m.AddedEdges(), m.RemovedEdges()...), m.ClearedEdges()...)
	return slices.ContainsFunc(fields, func(f string) bool { return slices.Contains(factFields, f) }) ||
		slices.ContainsFunc(edges, func(e string) bool {
			// A new lead joins the participants (policy.LeadTakesPart,
			// which runs inside this hook).
			return e == pilot.EdgeMunicipalities || e == pilot.EdgeLeadMunicipality || e == pilot.EdgeThemes || e == pilot.EdgeNetworks
		})
}

// affectedAfter adds to before the pilots a mutation changed that are
// known once it ran: a created pilot, edges added or removed.
func affectedAfter(ctx context.Context, m ent.Mutation, v ent.Value, before []int) ([]int, error) {
	ids := slices.Clone(before)
	switch m := m.(type) {
	case *ent.PilotMutation:
		if id, ok := m.ID(); ok {
			ids = append(ids, id)
		} else if p, ok := v.(*ent.Pilot); ok {
			ids = append(ids, p.ID)
		}
	case *ent.NetworkMutation:
		ids = append(append(ids, m.PilotsIDs()...), m.RemovedPilotsIDs()...)
	case *ent.ThemeMutation:
		ids = append(append(ids, m.PilotsIDs()...), m.RemovedPilotsIDs()...)
	case *ent.MunicipalityMutation:
		ids = append(append(ids, m.PilotsIDs()...), m.RemovedPilotsIDs()...)
	}
	return ids, nil
}

// pilotsOf is the pilots in which any of the municipalities take part.
func pilotsOf(ctx context.Context, c *ent.Client, municipalities []int) ([]int, error) {
	if len(municipalities) == 0 {
		return nil, nil
	}
	var ids []int
	rows, err := c.QueryContext(ctx, "SELECT DISTINCT "+pilot.MunicipalitiesPrimaryKey[0]+" FROM "+pilot.MunicipalitiesTable+
		" WHERE "+pilot.MunicipalitiesPrimaryKey[1]+" IN ("+intList(municipalities)+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func intList(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ",")
}

// syncChunk is how many pilots one round of Sync reads at a time.
const syncChunk = 500

// Sync makes the kept counts right for the pilots ids as their rows are
// now: each pilot's old facts are taken away and its current ones added
// (a pilot that no longer exists adds nothing). It runs in c's
// transaction, or in one of its own when c has none, and locks the pilots
// first so concurrent writers of one pilot take turns.
func Sync(ctx context.Context, c *ent.Client, ids []int) error {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return nil
	}
	ctx = auth.System(ctx)
	return inOwnTx(ctx, c, func(c *ent.Client) error {
		// One delta for all the chunks: many pilots share buckets, so a
		// bulk sync writes each bucket once.
		delta := map[string]int{}
		var postgres bool
		for chunk := range slices.Chunk(ids, syncChunk) {
			if err := syncChunkOf(ctx, c, &postgres, chunk, delta); err != nil {
				return err
			}
		}
		return applyDelta(ctx, c, postgres, delta, nil)
	})
}

// notePostgres is a predicate that matches everything and notes whether
// the query runs on PostgreSQL, read off its builder (the client does not
// tell its dialect otherwise): the statements here bind their values, and
// the placeholders differ.
func notePostgres(postgres *bool) func(*sql.Selector) {
	return func(s *sql.Selector) { *postgres = s.Dialect() == dialect.Postgres }
}

// isPostgres tells c's dialect, with a query of its own.
func isPostgres(ctx context.Context, c *ent.Client) (bool, error) {
	var postgres bool
	_, err := c.StatMunicipality.Query().Where(notePostgres(&postgres), func(s *sql.Selector) { s.Where(sql.False()) }).Exist(ctx)
	return postgres, err
}

// params collects a statement's bound values and writes their
// placeholders.
type params struct {
	postgres bool
	values   []any
}

func (p *params) add(v any) string {
	p.values = append(p.values, v)
	if p.postgres {
		return "$" + strconv.Itoa(len(p.values))
	}
	return "?"
}

// inOwnTx runs fn in c's transaction, or in one of its own when c has none.
func inOwnTx(ctx context.Context, c *ent.Client, fn func(*ent.Client) error) (err error) {
	if inTx(c) {
		return fn(c)
	}
	tx, err := c.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			return
		}
		err = tx.Commit()
	}()
	return fn(tx.Client())
}

// inTx tells whether c is a transaction's client.
func inTx(c *ent.Client) bool {
	_, err := c.Pilot.Create().Mutation().Tx()
	return err == nil
}

func syncChunkOf(ctx context.Context, c *ent.Client, postgres *bool, ids []int, delta map[string]int) error {
	// The lock: a no-op write of the pilots (in id order, as every syncer
	// takes them), held to the end of the transaction.
	if _, err := c.ExecContext(ctx, "UPDATE "+pilot.Table+" SET "+pilot.FieldStatus+" = "+pilot.FieldStatus+
		" WHERE id IN ("+intList(ids)+")"); err != nil {
		return fmt.Errorf("analytics: lock pilots: %w", err)
	}
	now, err := loadFacts(ctx, c, ids)
	if err != nil {
		return err
	}
	old, err := c.StatPilot.Query().Where(statpilot.PilotIDIn(ids...), notePostgres(postgres)).All(ctx)
	if err != nil {
		return err
	}
	was := make(map[int]string, len(old))
	for _, o := range old {
		was[o.PilotID] = o.Facts
	}
	var gone []int
	var changed []string // (pilot_id, facts) rows of the upsert
	p := &params{postgres: *postgres}
	for _, id := range ids {
		f, ok := now[id]
		if !ok {
			if prev, had := was[id]; had {
				decode(prev).add(delta, -1)
				gone = append(gone, id)
			}
			continue
		}
		enc := f.encode()
		if prev, had := was[id]; had && prev == enc {
			continue // nothing counted moved (a new title, a lead already taking part)
		} else if had {
			decode(prev).add(delta, -1)
		}
		f.add(delta, 1)
		changed = append(changed, "("+p.add(id)+", "+p.add(enc)+")")
	}
	if len(gone) > 0 {
		if _, err := c.StatPilot.Delete().Where(statpilot.PilotIDIn(gone...)).Exec(ctx); err != nil {
			return err
		}
	}
	if len(changed) > 0 {
		// Plain SQL: ent's bulk upsert reads the ids back, which nothing here needs.
		_, err := c.ExecContext(ctx, "INSERT INTO "+statpilot.Table+" ("+statpilot.FieldPilotID+", "+statpilot.FieldFacts+") VALUES "+
			strings.Join(changed, ", ")+" ON CONFLICT ("+statpilot.FieldPilotID+") DO UPDATE SET "+statpilot.FieldFacts+" = excluded."+statpilot.FieldFacts, p.values...)
		if err != nil {
			return fmt.Errorf("analytics: facts: %w", err)
		}
	}
	return nil
}

// batch is how many rows one upsert writes.
const batch = 1000

// applyDelta adds delta (pilots, by family + "\x00" + key) to the
// buckets, and moves keeps the derived municipalities of the municipality
// rows of moved (SyncMunicipalities). The municipality rows go first,
// reading their new counts back: a row that leaves 0 or reaches it is a
// municipality entering or leaving the buckets its family derives, which
// gain or lose it and its recorded population (a municipality counts once
// per bucket: only its row's passing through 0 moves it). Then the other
// rows, pilots and municipalities in one upsert. Each statement takes its
// rows in key order, and every writer writes municipality rows before the
// others, so concurrent writers lock rows in one order and cannot
// deadlock each other. Only rows that change are written; rows that reach
// 0 stay (reads skip them; a pilot often comes back to them).
func applyDelta(ctx context.Context, c *ent.Client, postgres bool, delta map[string]int, moves []areaMove) error {
	others := map[string]*change{}
	var muniRows []string
	for k, n := range delta {
		switch {
		case n == 0:
		case strings.HasPrefix(k, string(Municipality)):
			muniRows = append(muniRows, k)
		default:
			others[k] = &change{pilots: n}
		}
	}
	slices.Sort(muniRows)
	var entered []areaMove // of the municipality rows through 0
	for part := range slices.Chunk(muniRows, batch) {
		p := &params{postgres: postgres}
		rows := make([]string, len(part))
		for i, k := range part {
			dims, key, _ := strings.Cut(k, "\x00")
			rows[i] = "(" + p.add(dims) + ", " + p.add(key) + ", " + p.add(delta[k]) + ")"
		}
		rs, err := c.QueryContext(ctx, "INSERT INTO "+statbucket.Table+" ("+statbucket.FieldDims+", "+statbucket.FieldKey+", "+statbucket.FieldPilots+
			") VALUES "+strings.Join(rows, ", ")+" ON CONFLICT ("+statbucket.FieldDims+", "+statbucket.FieldKey+") DO UPDATE SET "+
			statbucket.FieldPilots+" = "+statbucket.Table+"."+statbucket.FieldPilots+" + excluded."+statbucket.FieldPilots+
			" RETURNING "+statbucket.FieldDims+", "+statbucket.FieldKey+", "+statbucket.FieldPilots, p.values...)
		if err != nil {
			return fmt.Errorf("analytics: municipality buckets: %w", err)
		}
		for rs.Next() {
			var dims, key string
			var now int
			if err := rs.Scan(&dims, &key, &now); err != nil {
				rs.Close()
				return err
			}
			switch was := now - delta[dims+"\x00"+key]; {
			case was == 0 && now != 0:
				entered = append(entered, areaMove{family: dims, key: key, sign: 1})
			case was != 0 && now == 0:
				entered = append(entered, areaMove{family: dims, key: key, sign: -1})
			}
		}
		if err := rs.Close(); err != nil {
			return err
		}
		if err := rs.Err(); err != nil {
			return err
		}
	}
	if len(entered) > 0 {
		var ids []int
		for _, m := range entered {
			ids = append(ids, m.municipality())
		}
		// Shared: a municipality whose areas or population change
		// (SyncMunicipalities) waits for this transaction, and this one
		// for it, so the rows it moves are the ones counted.
		recorded, err := recordedAreas(ctx, c, postgres, ids, "FOR SHARE")
		if err != nil {
			return err
		}
		for i := range entered {
			entered[i].as = recorded[entered[i].municipality()]
		}
		moves = append(moves, entered...)
	}
	for _, m := range moves {
		_, rest, _ := strings.Cut(m.key, "|")
		for _, d := range derived[m.family] {
			key := rest
			if d.area != "" {
				v := m.as.in(d.area, 0)
				if v == "" {
					continue // a municipality in no such area
				}
				key = v
				if rest != "" {
					key += "|" + rest
				}
			}
			k := d.family + "\x00" + key
			ch := others[k]
			if ch == nil {
				ch = &change{}
				others[k] = ch
			}
			ch.municipalities += m.sign
			ch.population += m.sign * m.as.population
		}
	}
	keys := make([]string, 0, len(others))
	for k, ch := range others {
		if *ch != (change{}) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for part := range slices.Chunk(keys, batch) {
		p := &params{postgres: postgres}
		rows := make([]string, len(part))
		for i, k := range part {
			dims, key, _ := strings.Cut(k, "\x00")
			ch := others[k]
			rows[i] = "(" + p.add(dims) + ", " + p.add(key) + ", " + p.add(ch.pilots) + ", " + p.add(ch.municipalities) + ", " + p.add(ch.population) + ")"
		}
		add := func(col string) string { return col + " = " + statbucket.Table + "." + col + " + excluded." + col }
		_, err := c.ExecContext(ctx, "INSERT INTO "+statbucket.Table+" ("+statbucket.FieldDims+", "+statbucket.FieldKey+", "+statbucket.FieldPilots+", "+
			statbucket.FieldMunicipalities+", "+statbucket.FieldPopulation+") VALUES "+strings.Join(rows, ", ")+
			" ON CONFLICT ("+statbucket.FieldDims+", "+statbucket.FieldKey+") DO UPDATE SET "+
			add(statbucket.FieldPilots)+", "+add(statbucket.FieldMunicipalities)+", "+add(statbucket.FieldPopulation), p.values...)
		if err != nil {
			return fmt.Errorf("analytics: buckets: %w", err)
		}
	}
	return nil
}

// change is what a write adds to one bucket row.
type change struct{ pilots, municipalities, population int }

// An areaMove is a municipality row (of a family with MUNICIPALITY)
// entering (+1) or leaving (−1) the rows it derives, with the
// municipality's areas and population as.
type areaMove struct {
	family, key string
	sign        int
	as          *area
}

func (m areaMove) municipality() int {
	id, _, _ := strings.Cut(m.key, "|")
	n, _ := strconv.Atoi(id)
	return n
}

// recordedAreas is the municipalities ids as the kept counts count them
// (stat_municipalities), recording first the ones not recorded yet as
// they are now; lock ("FOR SHARE", "FOR UPDATE") is taken on their rows
// on PostgreSQL (SQLite has one writer at a time). A municipality that
// neither is nor was recorded is in no area, with no population.
func recordedAreas(ctx context.Context, c *ent.Client, postgres bool, ids []int, lock string) (map[int]*area, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	out := make(map[int]*area, len(ids))
	read := func(ids []int) error {
		q := "SELECT municipality_id, areas, population FROM stat_municipalities WHERE municipality_id IN (" + intList(ids) + ") ORDER BY municipality_id"
		if postgres {
			q += " " + lock
		}
		rs, err := c.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var id int
			var areas string
			a := &area{}
			if err := rs.Scan(&id, &areas, &a.population); err != nil {
				return err
			}
			a.decode(areas)
			out[id] = a
		}
		return rs.Err()
	}
	for part := range slices.Chunk(ids, batch) {
		if err := read(part); err != nil {
			return nil, err
		}
		missing := slices.DeleteFunc(slices.Clone(part), func(id int) bool { return out[id] != nil })
		if len(missing) == 0 {
			continue
		}
		// (WHERE before ON CONFLICT: SQLite's parser needs it.)
		if _, err := c.ExecContext(ctx, "INSERT INTO stat_municipalities (municipality_id, areas, population) SELECT m.id, "+
			liveAreas+", COALESCE(m.population, 0) FROM municipalities m"+countyOf+" WHERE m.id IN ("+intList(missing)+
			") ON CONFLICT (municipality_id) DO NOTHING"); err != nil {
			return nil, fmt.Errorf("analytics: record municipalities: %w", err)
		}
		if err := read(missing); err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		if out[id] == nil {
			out[id] = &area{}
		}
	}
	return out, nil
}

// liveAreas is a municipality's areas as encode writes them, from its row
// m and its county's w (joined by countyOf).
const (
	liveAreas = "COALESCE(CAST(m.region_municipalities AS TEXT), '') || '|' || COALESCE(CAST(m.wellbeing_county_municipalities AS TEXT), '') || '|' || " +
		"COALESCE(m.subregion_code, '') || '|' || COALESCE(w.kind, '')"
	countyOf = " LEFT JOIN wellbeing_counties w ON w.id = m.wellbeing_county_municipalities"
)

// SyncMovedMunicipalities syncs the municipalities whose areas or
// population differ from what they were counted with, and the pilots of
// those whose areas differ, for writes the hooks do not see as moves: the
// reference data's upsert (an OpCreate to them, run at every start) and
// any change made beside ent. It runs in c's transaction when c has one.
func SyncMovedMunicipalities(ctx context.Context, c *ent.Client) error {
	ctx = auth.System(ctx)
	if counted, err := c.StatPilot.Query().Exist(ctx); err != nil || !counted {
		return err // no pilot counted, no municipality to move
	}
	rows, err := c.QueryContext(ctx, "SELECT s.municipality_id, s.areas, "+liveAreas+" FROM stat_municipalities s JOIN municipalities m ON m.id = s.municipality_id"+
		countyOf+" WHERE s.areas <> "+liveAreas+" OR s.population <> COALESCE(m.population, 0) ORDER BY s.municipality_id")
	if err != nil {
		return err
	}
	var changed, moved []int
	for rows.Next() {
		var id int
		var was, is string
		if err := rows.Scan(&id, &was, &is); err != nil {
			rows.Close()
			return err
		}
		changed = append(changed, id)
		if was != is {
			moved = append(moved, id)
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	pilots, err := pilotsOf(ctx, c, moved)
	if err != nil {
		return err
	}
	slices.Sort(pilots)
	for batch := range slices.Chunk(pilots, backfillBatch) {
		if err := Sync(ctx, c, batch); err != nil {
			return err
		}
	}
	return SyncMunicipalities(ctx, c, changed)
}

// encode is the areas as stat_municipalities records them; decode reads
// them back.
func (a *area) encode() string { return a.region + "|" + a.county + "|" + a.subregion + "|" + a.kind }

func (a *area) decode(s string) {
	parts := strings.SplitN(s, "|", 4)
	for len(parts) < 4 {
		parts = append(parts, "")
	}
	a.region, a.county, a.subregion, a.kind = parts[0], parts[1], parts[2], parts[3]
}

// SyncMunicipalities makes the kept municipalities and population right
// for the municipalities ids as they are now: one whose areas or
// population differ from what was counted leaves every bucket it is in
// with the old ones and enters them with the new. It runs in c's
// transaction (or one of its own) and locks the municipalities' records,
// so pilots counted concurrently take turns with it.
func SyncMunicipalities(ctx context.Context, c *ent.Client, ids []int) error {
	if len(ids) == 0 {
		return nil
	}
	ctx = auth.System(ctx)
	return inOwnTx(ctx, c, func(c *ent.Client) error {
		postgres, err := isPostgres(ctx, c)
		if err != nil {
			return err
		}
		recorded, err := recordedAreas(ctx, c, postgres, ids, "FOR UPDATE")
		if err != nil {
			return err
		}
		now, _, err := loadRefs(ctx, c, nil, true)
		if err != nil {
			return err
		}
		var moves []areaMove
		p := &params{postgres: postgres}
		for id, was := range recorded {
			is := now[id]
			if is == nil {
				continue // removed: its rows leave with its pilots, as recorded
			}
			if was.encode() == is.encode() && was.population == is.population {
				continue
			}
			rows, err := c.QueryContext(ctx, "SELECT "+statbucket.FieldDims+", "+statbucket.FieldKey+" FROM "+statbucket.Table+" WHERE "+
				statbucket.FieldDims+" LIKE 'MUNICIPALITY%' AND ("+statbucket.FieldKey+" = "+p.add(strconv.Itoa(id))+" OR "+
				statbucket.FieldKey+" LIKE "+p.add(strconv.Itoa(id)+"|%")+") AND "+statbucket.FieldPilots+" <> 0", p.values...)
			p.values = nil
			if err != nil {
				return err
			}
			for rows.Next() {
				var dims, key string
				if err := rows.Scan(&dims, &key); err != nil {
					rows.Close()
					return err
				}
				moves = append(moves, areaMove{family: dims, key: key, sign: -1, as: was},
					areaMove{family: dims, key: key, sign: 1, as: is})
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return err
			}
			if _, err := c.ExecContext(ctx, "UPDATE stat_municipalities SET areas = "+p.add(is.encode())+", population = "+p.add(is.population)+
				" WHERE municipality_id = "+p.add(id), p.values...); err != nil {
				return err
			}
			p.values = nil
		}
		return applyDelta(ctx, c, postgres, nil, moves)
	})
}

// area is a municipality as the counts see it.
type area struct {
	region, county, subregion string // ids; subregion code; "" for none
	kind                      string // the county's kind
	code, fi, sv, en          string
	subregionFi, subregionSv  string
	population                int
}

func (a *area) in(d Dimension, id int) string {
	switch d {
	case Region:
		return a.region
	case WellbeingCounty:
		return a.county
	case Subregion:
		return a.subregion
	case CountyKind:
		return a.kind
	}
	return strconv.Itoa(id)
}

// loadRefs reads, in one statement, the codes and names of the values of
// dims and, with munis, every municipality's areas (the labels of
// MUNICIPALITY and SUBREGION come from them too). Without munis and any
// dimension with a table of names, it reads nothing.
func loadRefs(ctx context.Context, c *ent.Client, dims []Dimension, munis bool) (map[int]*area, labels, error) {
	var parts []string
	if munis {
		parts = append(parts, `SELECT '', id, code, COALESCE(name_fi, ''), COALESCE(name_sv, ''), COALESCE(name_en, ''),
		COALESCE(region_municipalities, 0), COALESCE(wellbeing_county_municipalities, 0), COALESCE(subregion_code, ''),
		COALESCE(subregion_name_fi, ''), COALESCE(subregion_name_sv, ''), COALESCE(population, 0),
		COALESCE((SELECT kind FROM wellbeing_counties w WHERE w.id = wellbeing_county_municipalities), '') FROM municipalities`)
	}
	for _, d := range dims {
		named := map[Dimension]string{
			Region:          "code, COALESCE(name_fi, ''), COALESCE(name_sv, ''), COALESCE(name_en, '') FROM regions",
			WellbeingCounty: "code, COALESCE(name_fi, ''), COALESCE(name_sv, ''), COALESCE(name_en, '') FROM wellbeing_counties",
			Theme:           theme.FieldSlug + ", COALESCE(name_fi, ''), COALESCE(name_sv, ''), COALESCE(name_en, '') FROM themes",
			Network:         network.FieldSlug + ", name, '', '' FROM networks",
		}[d]
		if named != "" {
			parts = append(parts, "SELECT '"+string(d)+"', id, "+strings.Replace(named, " FROM ", ", 0, 0, '', '', '', 0, '' FROM ", 1))
		}
	}
	areas := map[int]*area{}
	l := labels{Municipality: {}, Subregion: {}}
	if len(parts) == 0 {
		return areas, l, nil
	}
	rows, err := c.QueryContext(ctx, strings.Join(parts, " UNION ALL "))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var id, region, county int
		a := &area{}
		if err := rows.Scan(&kind, &id, &a.code, &a.fi, &a.sv, &a.en, &region, &county, &a.subregion, &a.subregionFi, &a.subregionSv, &a.population, &a.kind); err != nil {
			return nil, nil, err
		}
		if kind != "" {
			d := Dimension(kind)
			if l[d] == nil {
				l[d] = map[string]*Key{}
			}
			l[d][strconv.Itoa(id)] = named(&Key{Dimension: d, Code: a.code, NameFi: a.fi, NameSv: a.sv, NameEn: a.en})
			continue
		}
		if region != 0 {
			a.region = strconv.Itoa(region)
		}
		if county != 0 {
			a.county = strconv.Itoa(county)
		}
		areas[id] = a
		l[Municipality][strconv.Itoa(id)] = named(&Key{Dimension: Municipality, Code: a.code, NameFi: a.fi, NameSv: a.sv, NameEn: a.en})
		if a.subregion == "" {
			continue
		}
		// A subregion is named as the statement names it: the least name
		// of its municipalities.
		sr := l[Subregion][a.subregion]
		if sr == nil {
			sr = &Key{Dimension: Subregion, Code: a.subregion}
			l[Subregion][a.subregion] = sr
		}
		if a.subregionFi != "" && (sr.NameFi == "" || a.subregionFi < sr.NameFi) {
			sr.NameFi = a.subregionFi
		}
		if a.subregionSv != "" && (sr.NameSv == "" || a.subregionSv < sr.NameSv) {
			sr.NameSv = a.subregionSv
		}
	}
	for _, k := range l[Subregion] {
		named(k)
	}
	return areas, l, rows.Err()
}

// named gives a key without names its code as its Finnish name.
func named(k *Key) *Key {
	if k.NameFi == "" && k.NameSv == "" && k.NameEn == "" {
		k.NameFi = k.Code
	}
	return k
}

// factFields are the pilot's own fields its facts are made of (loadFacts):
// a change of any moves the pilot (movesPilot). ACTIVE_YEAR reads the end
// too, which movesPilot once missed, so a new end left the counts as they
// were.
var factFields = []string{pilot.FieldStatus, pilot.FieldStartsOn, pilot.FieldEndsOn}

// loadFacts reads the facts of the pilots ids that exist. Their
// municipalities' areas are joined in (not read whole and kept: a
// municipality can move between areas in this transaction or in another
// server's).
func loadFacts(ctx context.Context, c *ent.Client, ids []int) (map[int]facts, error) {
	ps, err := c.Pilot.Query().Where(pilot.IDIn(ids...)).Select(factFields...).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int]facts, len(ps))
	now := time.Now().Year()
	for _, p := range ps {
		f := facts{Status: {string(p.Status)}}
		if p.StartsOn != nil {
			start := p.StartsOn.Year()
			f[StartYear] = []string{strconv.Itoa(start)}
			// Active from its start to its end; without an end, to this
			// year (or its start, if later): the counts are made for
			// this year (activeYearRow).
			end := max(now, start)
			if p.EndsOn != nil {
				end = p.EndsOn.Year()
			}
			for y := max(start, scalar.MinYear); y <= min(end, scalar.MaxYear); y++ {
				f[ActiveYear] = append(f[ActiveYear], strconv.Itoa(y))
			}
		}
		out[p.ID] = f
	}
	// each calls fn with the pilot's facts after scanning a row (the
	// pilot's id, then dest) of q.
	each := func(q string, fn func(f facts), dest ...any) error {
		rows, err := c.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		var p int
		for rows.Next() {
			if err := rows.Scan(append([]any{&p}, dest...)...); err != nil {
				return err
			}
			if f, ok := out[p]; ok {
				fn(f)
			}
		}
		return rows.Err()
	}
	pairs := func(table, pilotCol, otherCol string, fn func(f facts, other int)) error {
		var o int
		return each("SELECT "+pilotCol+", "+otherCol+" FROM "+table+" WHERE "+pilotCol+" IN ("+intList(ids)+")",
			func(f facts) { fn(f, o) }, &o)
	}
	addTo := func(f facts, d Dimension, v string) {
		if v != "" && !slices.Contains(f[d], v) {
			f[d] = append(f[d], v)
		}
	}
	var m, region, county int
	var a area
	if err := each("SELECT pm."+pilot.MunicipalitiesPrimaryKey[0]+", m.id, COALESCE(m.region_municipalities, 0), COALESCE(m.wellbeing_county_municipalities, 0), "+
		"COALESCE(m.subregion_code, ''), COALESCE(w.kind, '') FROM "+pilot.MunicipalitiesTable+" pm JOIN municipalities m ON m.id = pm."+pilot.MunicipalitiesPrimaryKey[1]+
		" LEFT JOIN wellbeing_counties w ON w.id = m.wellbeing_county_municipalities WHERE pm."+pilot.MunicipalitiesPrimaryKey[0]+" IN ("+intList(ids)+")",
		func(f facts) {
			a.region, a.county = "", ""
			if region != 0 {
				a.region = strconv.Itoa(region)
			}
			if county != 0 {
				a.county = strconv.Itoa(county)
			}
			for _, d := range []Dimension{Region, WellbeingCounty, Subregion, CountyKind, Municipality} {
				addTo(f, d, a.in(d, m))
			}
		}, &m, &region, &county, &a.subregion, &a.kind); err != nil {
		return nil, err
	}
	if err := pairs(pilot.ThemesTable, pilot.ThemesPrimaryKey[0], pilot.ThemesPrimaryKey[1], func(f facts, t int) {
		addTo(f, Theme, strconv.Itoa(t))
	}); err != nil {
		return nil, err
	}
	if err := pairs(pilot.NetworksTable, pilot.NetworksPrimaryKey[1], pilot.NetworksPrimaryKey[0], func(f facts, n int) {
		addTo(f, Network, strconv.Itoa(n))
	}); err != nil {
		return nil, err
	}
	for _, f := range out { // a canonical order, so equal facts encode alike
		for d := range f {
			slices.Sort(f[d])
		}
	}
	return out, nil
}

// Rebuild recomputes every kept count from the rows: the buckets are
// emptied and every pilot synced afresh. For a bulk load, or to repair.
func Rebuild(ctx context.Context, c *ent.Client) error {
	ctx = auth.System(ctx)
	if err := reset(ctx, c); err != nil {
		return err
	}
	return Backfill(ctx, c)
}

// layoutRow is the stat_buckets row that names the families the counts
// were made for (its key is a digest of layout; pilots 0, so no read
// takes it for a count).
const layoutRow = "layout"

func layoutKey() string {
	sum := sha256.Sum256([]byte(layout))
	return hex.EncodeToString(sum[:8])
}

// countingRow is a stat_buckets row there while the counts miss pilots:
// one per bulk load (Incomplete, its key the load's), from its start
// until it is Done, and one from a reset (its key resetKey) until a
// Backfill has synced every pilot. While any is there the reads count
// the rows instead (Total, fromBuckets), so a load stopped half-way,
// another load, or another instance recounting shows no wrong total. A
// load's row holds when its lease ends (pilots, Unix seconds; a reset's
// is 0): a Backfill clears its own reset's row and rows whose lease has
// ended, never a running load's.
const countingRow = "counting"

// resetKey is the key of reset's countingRow.
const resetKey = "reset"

// loadLease is how long a bulk load's mark holds without Renew: a load
// that stopped is taken as gone after it, and the next Backfill clears
// its mark.
const loadLease = 10 * time.Minute

// errCounting is readKept's answer while countingRow is there.
var errCounting = errors.New("analytics: the kept counts are being made")

// A Load is a bulk load's mark on the kept counts (Incomplete).
type Load struct {
	c   *ent.Client
	key string
}

// Incomplete marks the kept counts as missing pilots until the load is
// Done: a bulk load (revision.Deferred), whose rows the hook does not
// count, calls it before its first row, and Renew at least every
// loadLease while it writes.
func Incomplete(ctx context.Context, c *ent.Client) (*Load, error) {
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	l := &Load{c: c, key: "load-" + hex.EncodeToString(id[:])}
	return l, mark(auth.System(ctx), c, l.key, time.Now().Add(loadLease).Unix())
}

// Renew extends the load's lease.
func (l *Load) Renew(ctx context.Context) error {
	_, err := l.c.StatBucket.Update().Where(statbucket.Dims(countingRow), statbucket.Key(l.key)).
		SetPilots(int(time.Now().Add(loadLease).Unix())).Save(auth.System(ctx))
	return err
}

// Done counts the load's pilots (Backfill) and takes its mark away.
func (l *Load) Done(ctx context.Context) error {
	if err := Backfill(ctx, l.c); err != nil {
		return err
	}
	_, err := l.c.StatBucket.Delete().Where(statbucket.Dims(countingRow), statbucket.Key(l.key)).Exec(auth.System(ctx))
	return err
}

// mark adds a countingRow with key, its lease ending at until.
func mark(ctx context.Context, c *ent.Client, key string, until int64) error {
	// ent's DoNothing reports a row already there as sql.ErrNoRows.
	_, err := c.ExecContext(ctx, "INSERT INTO "+statbucket.Table+" ("+statbucket.FieldDims+", "+statbucket.FieldKey+", "+
		statbucket.FieldPilots+", "+statbucket.FieldMunicipalities+", "+statbucket.FieldPopulation+") VALUES ('"+countingRow+"', '"+key+"', "+
		strconv.FormatInt(until, 10)+", 0, 0) ON CONFLICT DO NOTHING")
	return err
}

// activeYearRow is the stat_buckets row that names the year the
// ACTIVE_YEAR counts were made in (its key; pilots 0): a pilot without an
// end is active until this year, so the counts of open-ended pilots move
// when the year changes. Until Backfill has moved them, ACTIVE_YEAR is
// computed from the rows.
const activeYearRow = "active-year"

// countedYear tells whether the ACTIVE_YEAR counts are this year's.
func countedYear(ctx context.Context, c *ent.Client) (bool, error) {
	marks, err := c.StatBucket.Query().Where(statbucket.Dims(activeYearRow)).All(ctx)
	return len(marks) == 1 && marks[0].Key == strconv.Itoa(time.Now().Year()), err
}

// markYear records that the ACTIVE_YEAR counts are this year's.
func markYear(ctx context.Context, c *ent.Client) error {
	if _, err := c.StatBucket.Delete().Where(statbucket.Dims(activeYearRow)).Exec(ctx); err != nil {
		return err
	}
	return c.StatBucket.Create().SetDims(activeYearRow).SetKey(strconv.Itoa(time.Now().Year())).SetPilots(0).Exec(ctx)
}

// reset empties the kept counts and marks them as made for this layout.
func reset(ctx context.Context, c *ent.Client) error {
	return inOwnTx(ctx, c, func(c *ent.Client) error {
		// Every row but the marks of loads still running.
		if _, err := c.StatBucket.Delete().Where(statbucket.Or(statbucket.DimsNEQ(countingRow), statbucket.Key(resetKey))).Exec(ctx); err != nil {
			return err
		}
		if _, err := c.StatPilot.Delete().Exec(ctx); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, "DELETE FROM stat_municipalities"); err != nil {
			return err
		}
		if err := markYear(ctx, c); err != nil {
			return err
		}
		if err := mark(ctx, c, resetKey, 0); err != nil {
			return err
		}
		return c.StatBucket.Create().SetDims(layoutRow).SetKey(layoutKey()).SetPilots(0).Exec(ctx)
	})
}

// backfillBatch is how many pilots one transaction of Backfill syncs: a
// big database is counted in many short transactions, not one that holds
// the write lock (SQLite) or every bucket row (PostgreSQL) for minutes.
// Each batch leaves its pilots' counts right and their facts recorded, so
// a start that stops half-way goes on from there the next time.
const backfillBatch = 2000

// Backfill syncs the pilots that have no facts yet and the facts whose
// pilot is gone: after a bulk load, or on a database from before the kept
// counts. Counts made for other families (an older layout) are recounted
// from nothing. Nothing to do when the counts are current.
func Backfill(ctx context.Context, c *ent.Client) error {
	ctx = auth.System(ctx)
	marks, err := c.StatBucket.Query().Where(statbucket.Dims(layoutRow)).All(ctx)
	if err != nil {
		return err
	}
	if len(marks) != 1 || marks[0].Key != layoutKey() {
		if err := reset(ctx, c); err != nil {
			return err
		}
	}
	if err := SyncMovedMunicipalities(ctx, c); err != nil {
		return err
	}
	thisYear, err := countedYear(ctx, c)
	if err != nil {
		return err
	}
	have, err := c.StatPilot.Query().Select(statpilot.FieldPilotID).Ints(ctx)
	if err != nil {
		return err
	}
	ids, err := c.Pilot.Query().IDs(ctx)
	if err != nil {
		return err
	}
	if !thisYear {
		// The open-ended pilots move to this year's ACTIVE_YEAR buckets.
		open, err := c.Pilot.Query().Where(pilot.EndsOnIsNil(), pilot.StartsOnNotNil()).IDs(ctx)
		if err != nil {
			return err
		}
		moved := make(map[int]bool, len(open))
		for _, id := range open {
			moved[id] = true
		}
		have = slices.DeleteFunc(have, func(id int) bool { return moved[id] })
	}
	known := make(map[int]bool, len(have))
	for _, id := range have {
		known[id] = true
	}
	var todo []int
	for _, id := range ids {
		if !known[id] {
			todo = append(todo, id)
		}
		delete(known, id)
	}
	for id := range known { // facts of deleted pilots
		todo = append(todo, id)
	}
	slices.Sort(todo)
	for batch := range slices.Chunk(todo, backfillBatch) {
		if err := Sync(ctx, c, batch); err != nil {
			return err
		}
	}
	if !thisYear {
		if err := markYear(ctx, c); err != nil {
			return err
		}
	}
	// Every pilot is counted: a reset is over, and so is a load whose
	// lease ended (it stopped; its rows are counted now). A load still
	// running keeps its mark.
	_, err = c.StatBucket.Delete().Where(statbucket.Dims(countingRow),
		statbucket.Or(statbucket.Key(resetKey), statbucket.PilotsLT(int(time.Now().Unix())))).Exec(ctx)
	return err
}

// Total is the number of pilots that match where, read from the kept
// counts when where is empty or only filters the status (the STATUS rows
// added up, as pilotStats' total): a few rows, where a COUNT reads every
// pilot. ok false when where says more; the caller counts the rows.
// It suits ent's With…Count paging option (the root pilots' totalCount).
func Total(c *ent.Client, where *ent.PilotWhereInput) func(context.Context) (n int, ok bool, err error) {
	return func(ctx context.Context) (int, bool, error) {
		statuses, filtered, ok := statusOnly(where)
		if !ok {
			return 0, false, nil
		}
		// A statement of its own, not an ent query: a third of the
		// allocations, and the names are safe literals (readKept). The
		// marker comes in the same statement, so in the same state.
		rs, err := c.QueryContext(auth.System(ctx), "SELECT "+statbucket.FieldDims+", "+statbucket.FieldKey+", "+statbucket.FieldPilots+
			" FROM "+statbucket.Table+" WHERE "+statbucket.FieldDims+" IN ('"+string(Status)+"', '"+countingRow+"')")
		if err != nil {
			return 0, true, err
		}
		defer rs.Close()
		n := 0
		for rs.Next() {
			var dims, status string
			var pilots int
			if err := rs.Scan(&dims, &status, &pilots); err != nil {
				return 0, true, err
			}
			if dims == countingRow {
				return 0, false, rs.Close()
			}
			if !filtered || slices.Contains(statuses, status) {
				n += pilots
			}
		}
		return n, true, rs.Err()
	}
}

// statusOnly returns the statuses a where input keeps when status and
// statusIn are all it says (nil: no status filter), and ok false when it
// says anything else.
func statusOnly(w *ent.PilotWhereInput) (statuses []string, filtered, ok bool) {
	if w == nil {
		return nil, false, true
	}
	v := reflect.ValueOf(*w)
	for i := 0; i < v.NumField(); i++ {
		switch v.Type().Field(i).Name {
		case "Status", "StatusIn":
			continue
		}
		if !v.Field(i).IsZero() {
			return nil, false, false
		}
	}
	if w.Status != nil {
		statuses, filtered = append(statuses, string(*w.Status)), true
	}
	if w.StatusIn != nil {
		in := make([]string, len(w.StatusIn))
		for i, s := range w.StatusIn {
			in[i] = string(s)
		}
		if filtered {
			in = slices.DeleteFunc(in, func(s string) bool { return s != statuses[0] })
		}
		statuses, filtered = in, true
	}
	return statuses, filtered, true
}

// familiesOf is where a grouping's counts are kept (all in canonical
// order, the hidden status included): the pilots in the family of all,
// where the areas that follow from a municipality are left out; the
// municipalities in the family of all's other dimensions with
// MUNICIPALITY (only needed withAreas). ok false when one is not kept.
func familiesOf(all []Dimension, withAreas bool) (pilotDims, muniDims []Dimension, ok bool) {
	pilotDims, muniDims = all, []Dimension{Municipality}
	if slices.Contains(all, Municipality) {
		pilotDims = slices.DeleteFunc(slices.Clone(all), func(d Dimension) bool { return geographic(d) && d != Municipality })
	}
	for _, d := range all {
		if !geographic(d) {
			muniDims = append(muniDims, d)
		}
	}
	return pilotDims, muniDims, isFamily[family(pilotDims)] && (!withAreas || isFamily[family(muniDims)])
}

// fromBuckets answers Count from the kept counts, or ok false when the
// grouping or filter is not one they serve. withAreas tells whether the
// buckets' municipalities and population are wanted: they come from
// municipality rows, which not every grouping has.
func fromBuckets(ctx context.Context, c *ent.Client, where *ent.PilotWhereInput, dims []Dimension, withAreas bool) (*Stats, bool, error) {
	statuses, filtered, ok := statusOnly(where)
	if !ok {
		return nil, false, nil
	}
	// all is the grouping with the hidden status, in canonical order.
	all := slices.Clone(dims)
	if filtered && !slices.Contains(all, Status) {
		all = append(all, Status)
	}
	for _, d := range all {
		if !slices.Contains(kept, d) {
			return nil, false, nil
		}
	}
	slices.SortFunc(all, func(a, b Dimension) int { return cmp.Compare(slices.Index(kept, a), slices.Index(kept, b)) })
	pilotDims, muniDims, ok := familiesOf(all, withAreas)
	if !ok {
		return nil, false, nil
	}
	pFamily, mFamily := family(pilotDims), family(muniDims)
	if !withAreas {
		mFamily = pFamily
	}
	ctx = auth.System(ctx)
	if slices.Contains(all, ActiveYear) {
		if ok, err := countedYear(ctx, c); err != nil || !ok {
			return nil, err == nil, err
		}
	}
	// The municipalities' areas are read only when a bucket needs them:
	// for its municipalities and population, or for a dimension whose
	// values follow from a municipality or are named from them. The map
	// of 19 regions' counts spent half its time reading them.
	munis := withAreas || slices.ContainsFunc(dims, func(d Dimension) bool {
		return geographic(d) && d != Region && d != WellbeingCounty
	})
	areas, labels, err := loadRefs(ctx, c, dims, munis)
	if err != nil {
		return nil, true, err
	}
	if !filtered {
		s, err := readKept(ctx, c, dims, pilotDims, withAreas, areas, labels)
		if errors.Is(err, errCounting) {
			return nil, false, nil
		}
		return s, true, err
	}
	// Under a status filter, the rows of the statuses are added up, and
	// the municipalities of the buckets are the union of their
	// municipality rows (a municipality in two statuses counts once).
	// One statement for the pilot rows, the municipality rows and the
	// statuses' rows (the total). The names are dimension names and
	// commas, safe as literals.
	rs, err := c.QueryContext(ctx, "SELECT "+statbucket.FieldDims+", "+statbucket.FieldKey+", "+statbucket.FieldPilots+
		" FROM "+statbucket.Table+" WHERE "+statbucket.FieldDims+" IN ('"+pFamily+"', '"+mFamily+"', '"+string(Status)+"') AND "+
		statbucket.FieldPilots+" <> 0 OR "+statbucket.FieldDims+" = '"+countingRow+"'")
	if err != nil {
		return nil, true, err
	}
	defer rs.Close()
	type acc struct {
		pilots int
		munis  map[int]bool
	}
	buckets := map[string]*acc{}
	statusAt := slices.Index(all, Status)
	// bucketOf is the bucket in all of a row of the family fd: the row's
	// values, and the areas of its municipality; ok false when the row is
	// filtered out or its municipality is in no area of a dimension.
	bucketOf := func(fd []Dimension, key []string) (string, int, bool) {
		m := 0
		if i := slices.Index(fd, Municipality); i >= 0 {
			m, _ = strconv.Atoi(key[i])
		}
		full := make([]string, len(all))
		for j, d := range all {
			if i := slices.Index(fd, d); i >= 0 {
				full[j] = key[i]
			} else if a := areas[m]; a != nil {
				full[j] = a.in(d, m)
			}
			if full[j] == "" {
				return "", 0, false
			}
		}
		if filtered && !slices.Contains(statuses, full[statusAt]) {
			return "", 0, false
		}
		return strings.Join(full, "|"), m, true
	}
	get := func(key string) *acc {
		b := buckets[key]
		if b == nil {
			b = &acc{munis: map[int]bool{}}
			buckets[key] = b
		}
		return b
	}
	total := 0
	for rs.Next() {
		var fam, key string
		var n int
		if err := rs.Scan(&fam, &key, &n); err != nil {
			return nil, true, err
		}
		if fam == countingRow {
			return nil, false, nil
		}
		values := strings.Split(key, "|")
		if fam == string(Status) && (!filtered || slices.Contains(statuses, key)) {
			total += n
		}
		if fam == pFamily {
			if k, _, ok := bucketOf(pilotDims, values); ok {
				get(k).pilots += n
			}
		}
		if withAreas && fam == mFamily {
			if k, m, ok := bucketOf(muniDims, values); ok {
				get(k).munis[m] = true
			}
		}
	}
	if err := rs.Err(); err != nil {
		return nil, true, err
	}
	// Project onto dims (adding up over the hidden status) and label.
	type out struct {
		codes  []string
		bucket *Bucket
		munis  map[int]bool
	}
	merged := map[string]*out{}
	for k, b := range buckets {
		if b.pilots == 0 {
			continue
		}
		key := strings.Split(k, "|")
		var ids []string
		for _, d := range dims {
			ids = append(ids, key[slices.Index(all, d)])
		}
		id := strings.Join(ids, "|")
		o := merged[id]
		if o == nil {
			o = &out{bucket: &Bucket{}, munis: map[int]bool{}}
			for i, d := range dims {
				l := labels.of(d, ids[i])
				o.codes = append(o.codes, l.Code)
				o.bucket.Keys = append(o.bucket.Keys, l)
			}
			merged[id] = o
		}
		o.bucket.Pilots += b.pilots
		for m := range b.munis {
			o.munis[m] = true
		}
	}
	list := make([]*out, 0, len(merged))
	for _, o := range merged {
		o.bucket.Municipalities = len(o.munis)
		for m := range o.munis {
			if a := areas[m]; a != nil { // nil: deleted beside ent since it was counted
				o.bucket.Population += a.population
			}
		}
		list = append(list, o)
	}
	slices.SortFunc(list, func(a, b *out) int { return slices.Compare(a.codes, b.codes) })
	s := &Stats{Total: total, Buckets: make([]*Bucket, len(list))}
	for i, o := range list {
		s.Buckets[i] = o.bucket
	}
	return s, true, nil
}

// readKept answers a grouping without a filter from the rows of one
// family, fd (with the STATUS rows for the total): one range of the
// (dims, key) index, a bucket a row, its municipalities and population
// kept on the row when asked (for a family with MUNICIPALITY: the
// municipality itself), and the areas that follow from a municipality
// added from it.
//
// The rows come back as one value: the database joins them into a string
// (string_agg, in both SQLite and PostgreSQL), which is parsed here. Read
// a row at a time, each column of each row crossed from C to Go on SQLite
// (a cgo call per column and a copy per string) and through
// database/sql's conversions on both: most of the cost of a grouping of
// 57,000 buckets (MUNICIPALITY × NETWORK).
func readKept(ctx context.Context, c *ent.Client, dims, fd []Dimension, withAreas bool, areas map[int]*area, labels labels) (*Stats, error) {
	f := family(fd)
	muni := slices.Index(fd, Municipality)
	// The municipalities and population on the rows: only when asked and
	// kept there (a family with MUNICIPALITY has one, its own).
	onRows := withAreas && muni < 0 && keepsAreas[f]
	// A row is pilots:[municipalities:population:]length:key, the key's
	// length in bytes first, so no character of a key can be mistaken
	// for a separator; rows are separated by commas. (|| turns numbers
	// into text on both databases.)
	row := statbucket.FieldPilots + " || ':' || "
	if onRows {
		row += statbucket.FieldMunicipalities + " || ':' || " + statbucket.FieldPopulation + " || ':' || "
	}
	row += "octet_length(" + statbucket.FieldKey + ") || ':' || " + statbucket.FieldKey
	// The family is dimension names and commas, safe as a literal (as in
	// the filtered read), so the read needs no statement of its own to
	// learn the placeholders' dialect.
	of := func(fam string) string {
		return " FROM " + statbucket.Table + " WHERE " + statbucket.FieldDims + " = '" + fam + "' AND " + statbucket.FieldPilots + " <> 0"
	}
	rs, err := c.QueryContext(ctx, "SELECT (SELECT CAST(COALESCE(SUM("+statbucket.FieldPilots+"), 0) AS BIGINT)"+of(string(Status))+
		"), (SELECT COALESCE(string_agg("+row+", ','), '')"+of(f)+"), (SELECT CAST(COUNT(*) AS BIGINT) FROM "+statbucket.Table+
		" WHERE "+statbucket.FieldDims+" = '"+countingRow+"')")
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	s := &Stats{}
	var rows string
	var counting int
	if !rs.Next() {
		if err := rs.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("analytics: no kept counts of %s", f)
	}
	if err := rs.Scan(&s.Total, &rows, &counting); err != nil {
		return nil, err
	}
	if counting > 0 {
		return nil, errCounting
	}
	if err := rs.Close(); err != nil {
		return nil, err
	}
	n := 0
	if rows != "" {
		n = strings.Count(rows, ",") + 1 // at least the rows (a key may hold a comma)
	}
	// from[j] is where dims[j] is in a row's key; -1: it follows from the
	// municipality at muni. byValue[j] is dims[j]'s keys by id.
	from := make([]int, len(dims))
	byValue := make([]map[string]*Key, len(dims))
	for j, d := range dims {
		from[j] = slices.Index(fd, d)
		byValue[j] = labels[d]
	}
	buckets := make([]Bucket, 0, n)
	keys := make([]*Key, 0, n*len(dims))
	values := make([]string, len(fd))
	// The rows come in key order: a row's first values are mostly the
	// row before's, whose municipality and keys are taken again without
	// a lookup (lastValue[j] is the value lastKey[j] was found for).
	muniValue, m, a := "", 0, (*area)(nil)
	lastValue, lastKey := make([]string, len(dims)), make([]*Key, len(dims))
	bad := func() error { return fmt.Errorf("analytics: kept counts of %s: unreadable row at %.40q", f, rows) }
rows:
	for rows != "" {
		var b Bucket
		var size int
		var ok bool
		if b.Pilots, rows, ok = number(rows); !ok {
			return nil, bad()
		}
		if onRows {
			if b.Municipalities, rows, ok = number(rows); !ok {
				return nil, bad()
			}
			if b.Population, rows, ok = number(rows); !ok {
				return nil, bad()
			}
		}
		if size, rows, ok = number(rows); !ok || size < 0 || size > len(rows) || size < len(rows) && rows[size] != ',' {
			return nil, bad()
		}
		key := rows[:size]
		rows = rows[min(size+1, len(rows)):]
		splitInto(values, key)
		if muni >= 0 {
			if values[muni] != muniValue {
				muniValue = values[muni]
				m, _ = strconv.Atoi(muniValue)
				a = areas[m]
			}
			if withAreas {
				b.Municipalities = 1
				if a != nil {
					b.Population = a.population
				}
			}
		}
		start := len(keys)
		for j, d := range dims {
			v := ""
			if from[j] >= 0 {
				v = values[from[j]]
			} else if a != nil {
				v = a.in(d, m)
			}
			if v == "" {
				keys = keys[:start]
				continue rows // a municipality in no such area
			}
			k := lastKey[j]
			if v != lastValue[j] || k == nil {
				if k = byValue[j][v]; k == nil {
					// Statuses and years: made once, not holding on to rows.
					k = labels.of(d, strings.Clone(v))
					byValue[j] = labels[d]
				}
				lastValue[j], lastKey[j] = v, k
			}
			keys = append(keys, k)
		}
		b.Keys = keys[start:len(keys):len(keys)]
		buckets = append(buckets, b)
	}
	s.Buckets = make([]*Bucket, len(buckets))
	for i := range buckets {
		s.Buckets[i] = &buckets[i]
	}
	sortByCodes(s.Buckets, dims, labels)
	return s, nil
}

// number reads a decimal integer followed by a colon off the front of s.
func number(s string) (n int, rest string, ok bool) {
	i, neg := 0, false
	if s != "" && s[0] == '-' {
		i, neg = 1, true
	}
	digits := i
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if i == digits || i == len(s) || s[i] != ':' || i-digits > 18 {
		return 0, s, false
	}
	if neg {
		n = -n
	}
	return n, s[i+1:], true
}

// sortByCodes sorts buckets by their keys' codes, dimension by dimension.
// Each key's place among its dimension's values by code is found once
// (hundreds of values), and the buckets (tens of thousands) are then
// placed by those numbers, a counting sort per dimension from the last
// (each pass keeps the order of the one before among equal places): no
// string comparison per pair of buckets.
func sortByCodes(buckets []*Bucket, dims []Dimension, labels labels) {
	places := make([]int, len(dims))
	for j, d := range dims {
		ks := make([]*Key, 0, len(labels[d]))
		for _, k := range labels[d] {
			ks = append(ks, k)
		}
		slices.SortFunc(ks, func(a, b *Key) int { return strings.Compare(a.Code, b.Code) })
		rank := 0
		for i, k := range ks {
			if i > 0 && ks[i-1].Code != k.Code {
				rank++
			}
			k.rank = rank // equal codes, equal places
		}
		places[j] = rank + 1
	}
	from, to := buckets, make([]*Bucket, len(buckets))
	for j := len(dims) - 1; j >= 0; j-- {
		starts := make([]int, places[j]+1)
		for _, b := range from {
			starts[b.Keys[j].rank+1]++
		}
		for r := 1; r < len(starts); r++ {
			starts[r] += starts[r-1]
		}
		for _, b := range from {
			r := b.Keys[j].rank
			to[starts[r]] = b
			starts[r]++
		}
		from, to = to, from
	}
	if len(dims)%2 == 1 {
		copy(buckets, from)
	}
}

// splitInto splits a key into values, which has room for each of them.
func splitInto(values []string, key string) {
	for i := range values {
		v, rest, _ := strings.Cut(key, "|")
		values[i], key = v, rest
	}
}

// labels are the codes and names of the kept dimensions' values by id.
type labels map[Dimension]map[string]*Key

// of is the key of d's value id, one for all the buckets that have it.
func (l labels) of(d Dimension, id string) *Key {
	if k, ok := l[d][id]; ok {
		return k
	}
	if l[d] == nil {
		l[d] = map[string]*Key{}
	}
	// Statuses and years are their own names.
	k := &Key{Dimension: d, Code: id, NameFi: id}
	l[d][id] = k
	return k
}
