package server_test

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/ent/pilot"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
	"pgregory.net/rapid"
)

// Model-based tests of the connections: rapid generates small data sets
// (NULLs, ties, duplicates, empty strings, Finnish and Swedish text), where
// inputs (empty lists, not, nested and/or), orders, page sizes and
// directions; each case runs through the real HTTP handler on every
// backend and is compared with a reference computed in Go from the same
// rows (set, order, totalCount, hasNextPage/hasPreviousPage, and a full walk
// by cursors forwards and backwards), and the backends with each other.
//
// Bounded by default; KOKEILU_RAPID_CHECKS=N (or -rapid.checks=N) runs more.

var modelCases = map[string]*atomic.Int64{}

// rapidChecks sets rapid's number of checks for these properties unless the
// run chose one, and starts the count of generated cases afresh.
func rapidChecks(t *testing.T) {
	clear(modelCases) // each test reports its own cases
	n := os.Getenv("KOKEILU_RAPID_CHECKS")
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if set {
		return
	}
	if n == "" {
		n = "20"
		if testing.Short() {
			n = "5"
		}
	}
	if err := flag.Set("rapid.checks", n); err != nil {
		t.Fatal(err)
	}
}

// modelPilot and modelMunicipality are the rows as the reference sees them.
type modelPilot struct {
	id               int
	title, status    string
	startsOn, endsOn *time.Time
	municipalities   []int // indices into the data set's municipalities
	lead             int   // index of the lead municipality, -1: none
}

type modelMunicipality struct {
	id, population int  // population: NULL reads as 0
	popNull        bool // stored as NULL
	code, nameSv   string
	svNull         bool
	nameFi, nameEn string
	enNull         bool
}

type modelData struct {
	pilots []*modelPilot
	munis  []*modelMunicipality
}

var (
	// Names in NFC and NFD forms (the API stores NFC; older rows or
	// imports may hold NFD), ties, case pairs and Å, Ä, Ö around Z.
	titles   = []string{"Äänekoski", "Aalto", "aalto", "Öljy", "Åbo", "Ö", "Z", "a b", "Å", "Ääni", "Kokeilu", toNFD("Åbo"), toNFD("Äänekoski")}
	svNames  = []string{"", "Åbo", "Borgå", "Ekenäs", "Äs", "borgå", "Helsingfors", toNFD("Åbo"), toNFD("Äs")}
	fiNames  = []string{"Äänekoski", toNFD("Äänekoski"), "Aura", "aura", "Åland", "Öja", "Z"}
	enNames  = []string{"", "Aland", "Åland", "Oulu", toNFD("Åland")}
	statuses = []string{"PLANNED", "ACTIVE", "COMPLETED", "CANCELLED"}
	dates    = []string{"2015-01-01", "2016-06-30", "2020-01-01", "2024-12-31"}
)

func date(s string) *time.Time {
	d, _ := time.Parse(time.DateOnly, s)
	return &d
}

func genDate(t *rapid.T, label string) *time.Time {
	i := rapid.IntRange(-1, len(dates)-1).Draw(t, label)
	if i < 0 {
		return nil
	}
	return date(dates[i])
}

// genDataset draws up to 7 pilots over up to 5 of the given municipalities.
func genDataset(t *rapid.T, muniIDs []int, codes []string) *modelData {
	ds := &modelData{}
	n := rapid.IntRange(1, min(5, len(muniIDs))).Draw(t, "municipalities")
	for i := range n {
		m := &modelMunicipality{id: muniIDs[i], code: codes[i]}
		if rapid.Bool().Draw(t, "svNull") {
			m.svNull = true
		} else {
			m.nameSv = rapid.SampledFrom(svNames).Draw(t, "nameSv")
		}
		m.nameFi = rapid.SampledFrom(fiNames).Draw(t, "nameFi")
		if rapid.Bool().Draw(t, "enNull") {
			m.enNull = true
		} else {
			m.nameEn = rapid.SampledFrom(enNames).Draw(t, "nameEn")
		}
		if rapid.Bool().Draw(t, "popNull") {
			m.popNull = true
		} else {
			m.population = rapid.SampledFrom([]int{0, 5, 5, 120}).Draw(t, "population")
		}
		ds.munis = append(ds.munis, m)
	}
	for range rapid.IntRange(0, 7).Draw(t, "pilots") {
		p := &modelPilot{
			title:    rapid.SampledFrom(titles).Draw(t, "title"),
			status:   rapid.SampledFrom(statuses).Draw(t, "status"),
			startsOn: genDate(t, "startsOn"),
			endsOn:   genDate(t, "endsOn"),
		}
		if p.startsOn != nil && p.endsOn != nil && p.endsOn.Before(*p.startsOn) {
			p.startsOn, p.endsOn = p.endsOn, p.startsOn
		}
		p.lead = rapid.IntRange(-1, len(ds.munis)-1).Draw(t, "lead")
		for i := range ds.munis {
			// The lead always takes part (integrity.LeadTakesPart).
			if i == p.lead || rapid.Bool().Draw(t, "participates") {
				p.municipalities = append(p.municipalities, i)
			}
		}
		ds.pilots = append(ds.pilots, p)
	}
	return ds
}

// load replaces the pilots of a's database with ds's and sets the
// municipalities' values; ds's pilot IDs are those of the last load.
func load(t interface{ Fatal(...any) }, a *api, ds *modelData) []int {
	ctx := auth.System(context.Background())
	c := a.db.Client
	if _, err := c.Pilot.Delete().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range ds.munis {
		u := c.Municipality.UpdateOneID(m.id).SetNameFi(m.nameFi)
		if m.enNull {
			u.ClearNameEn()
		} else {
			u.SetNameEn(m.nameEn)
		}
		if m.svNull {
			u.ClearNameSv()
		} else {
			u.SetNameSv(m.nameSv)
		}
		if m.popNull {
			u.ClearPopulation()
		} else {
			u.SetPopulation(m.population)
		}
		if err := u.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ids := make([]int, len(ds.pilots))
	for i, p := range ds.pilots {
		cr := c.Pilot.Create().SetSlug("p" + strconv.Itoa(i)).SetTitle(p.title).
			SetStatus(pilot.Status(p.status)).SetNillableStartsOn(p.startsOn).SetNillableEndsOn(p.endsOn)
		for _, j := range p.municipalities {
			cr.AddMunicipalityIDs(ds.munis[j].id)
		}
		if p.lead >= 0 {
			cr.SetLeadMunicipalityID(ds.munis[p.lead].id)
		}
		created, err := cr.Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = created.ID
	}
	return ids
}

// A where input of pilots, as GraphQL and as the reference evaluates it
// (SQL's three-valued logic: a comparison with NULL is unknown, and NOT
// of unknown is unknown).
type where struct {
	gql  string
	eval func(*modelPilot, *modelData) tri
}

type tri int8

const (
	no tri = iota
	unknown
	yes
)

func truth(b bool) tri {
	if b {
		return yes
	}
	return no
}

func genWhere(t *rapid.T, depth int, ds *modelData) where {
	kinds := []string{"statusIn", "titleIn", "idIn", "startsOnGTE", "startsOnLT", "endsOnIsNil", "startsOnNotNil", "title", "hasMuni", "empty", "anyMuni"}
	if depth < 2 {
		kinds = append(kinds, "not", "or", "and", "or", "and")
	}
	switch k := rapid.SampledFrom(kinds).Draw(t, "where"); k {
	case "statusIn", "titleIn":
		pool := statuses
		if k == "titleIn" {
			pool = titles
		}
		vals := rapid.SliceOfN(rapid.SampledFrom(pool), 0, 3).Draw(t, k)
		q, _ := json.Marshal(vals)
		if k == "statusIn" { // enum values are not strings
			q = []byte("[" + strings.Join(vals, ", ") + "]")
		}
		return where{fmt.Sprintf("{%s: %s}", k, q), func(p *modelPilot, _ *modelData) tri {
			if k == "statusIn" {
				return truth(slices.Contains(vals, p.status))
			}
			// The API takes text in NFC: a row stored in NFD differs.
			return truth(slices.ContainsFunc(vals, func(v string) bool { return toNFC(v) == p.title }))
		}}
	case "idIn":
		return where{"{idIn: []}", func(*modelPilot, *modelData) tri { return no }}
	case "title":
		v := rapid.SampledFrom(titles).Draw(t, "title")
		return where{fmt.Sprintf("{title: %q}", v), func(p *modelPilot, _ *modelData) tri { return truth(p.title == toNFC(v)) }}
	case "startsOnGTE", "startsOnLT":
		d := rapid.SampledFrom(dates).Draw(t, "date")
		return where{fmt.Sprintf("{%s: %q}", k, d), func(p *modelPilot, _ *modelData) tri {
			if p.startsOn == nil {
				return unknown
			}
			if k == "startsOnGTE" {
				return truth(!p.startsOn.Before(*date(d)))
			}
			return truth(p.startsOn.Before(*date(d)))
		}}
	case "endsOnIsNil":
		return where{"{endsOnIsNil: true}", func(p *modelPilot, _ *modelData) tri { return truth(p.endsOn == nil) }}
	case "startsOnNotNil":
		return where{"{startsOnNotNil: true}", func(p *modelPilot, _ *modelData) tri { return truth(p.startsOn != nil) }}
	case "hasMuni":
		codes := []string{}
		for _, m := range rapid.SliceOfN(rapid.SampledFrom(ds.munis), 0, 2).Draw(t, "munis") {
			codes = append(codes, m.code)
		}
		q, _ := json.Marshal(codes)
		return where{fmt.Sprintf("{hasMunicipalitiesWith: [{codeIn: %s}]}", q), func(p *modelPilot, ds *modelData) tri {
			return truth(slices.ContainsFunc(p.municipalities, func(i int) bool { return slices.Contains(codes, ds.munis[i].code) }))
		}}
	case "empty": // {} matches every row, at any depth
		return where{"{}", func(*modelPilot, *modelData) tri { return yes }}
	case "anyMuni": // hasXWith: [{}] and [] mean a related row exists
		q := rapid.SampledFrom([]string{"[{}]", "[]", "[{and: []}]"}).Draw(t, "anyMuni")
		return where{"{hasMunicipalitiesWith: " + q + "}", func(p *modelPilot, _ *modelData) tri { return truth(len(p.municipalities) > 0) }}
	case "not":
		w := genWhere(t, depth+1, ds)
		return where{"{not: " + w.gql + "}", func(p *modelPilot, ds *modelData) tri { return 2 - w.eval(p, ds) }}
	default: // or, and
		ws := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) where { return genWhere(t, depth+1, ds) }), 0, 3).Draw(t, k)
		var parts []string
		for _, w := range ws {
			parts = append(parts, w.gql)
		}
		return where{fmt.Sprintf("{%s: [%s]}", k, strings.Join(parts, ", ")), func(p *modelPilot, ds *modelData) tri {
			r := truth(k == "and")
			for _, w := range ws {
				v := w.eval(p, ds)
				if k == "and" {
					r = min(r, v)
				} else {
					r = max(r, v)
				}
			}
			return r
		}}
	}
}

// An order is a list of orderBy terms of one type, as GraphQL and as a
// comparison of two rows (NULLs last in either direction, ties by ID).
type orderTerm struct {
	field string
	desc  bool
}

func genOrder(t *rapid.T, fields []string) []orderTerm {
	perm := rapid.Permutation(fields).Draw(t, "fields")
	n := rapid.IntRange(0, min(3, len(fields))).Draw(t, "orderLen")
	out := make([]orderTerm, n)
	for i := range n {
		out[i] = orderTerm{perm[i], rapid.Bool().Draw(t, "desc")}
	}
	return out
}

func orderGQL(o []orderTerm) string {
	var parts []string
	for _, t := range o {
		d := "ASC"
		if t.desc {
			d = "DESC"
		}
		parts = append(parts, fmt.Sprintf("{field: %s, direction: %s}", t.field, d))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// collated is a text ordered as its readers expect: the reference compares
// with x/text's Collator, the server by stored collation keys.
type collated struct {
	text string
	by   *collate.Collator
}

var (
	finnish = collate.New(language.Finnish)
	swedish = collate.New(language.Swedish)
	english = collate.New(language.English)
)

func toNFC(s string) string { return norm.NFC.String(s) }
func toNFD(s string) string { return norm.NFD.String(s) }

var (
	pilotOrders        = []string{"TITLE", "STATUS", "STARTS_ON", "ENDS_ON"}
	municipalityOrders = []string{"CODE", "NAME_FI", "NAME_SV", "NAME_EN", "POPULATION"}
)

// value is a sort value: nil is NULL.
func compareValues(a, b any, desc bool) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	var c int
	switch a := a.(type) {
	case string:
		c = strings.Compare(a, b.(string))
	case collated:
		c = a.by.CompareString(a.text, b.(collated).text)
	case int:
		c = cmp.Compare(a, b.(int))
	case time.Time:
		c = a.Compare(b.(time.Time))
	}
	if desc {
		c = -c
	}
	return c
}

func pilotValue(p *modelPilot, field string) any {
	switch field {
	case "TITLE":
		return collated{p.title, finnish}
	case "STATUS":
		return p.status
	case "STARTS_ON", "ENDS_ON":
		d := p.startsOn
		if field == "ENDS_ON" {
			d = p.endsOn
		}
		if d == nil {
			return nil
		}
		return *d
	}
	panic(field)
}

func muniValue(m *modelMunicipality, field string) any {
	switch field {
	case "CODE":
		return m.code
	case "NAME_FI":
		return collated{m.nameFi, finnish}
	case "NAME_SV":
		return collated{m.nameSv, swedish} // NULL reads, sorts and pages as ""
	case "NAME_EN":
		return collated{m.nameEn, english}
	case "POPULATION":
		return m.population
	}
	panic(field)
}

func sortBy[T any](rows []T, order []orderTerm, value func(T, string) any, id func(T) int) {
	slices.SortStableFunc(rows, func(a, b T) int {
		for _, o := range order {
			if c := compareValues(value(a, o.field), value(b, o.field), o.desc); c != 0 {
				return c
			}
		}
		return cmp.Compare(id(a), id(b))
	})
}

// conn is a connection as the response gives it.
type conn struct {
	TotalCount int       `json:"totalCount"`
	PageInfo   pageInfoP `json:"pageInfo"`
	Edges      []struct {
		Cursor string `json:"cursor"`
	} `json:"edges"`
	Nodes []struct {
		ID string `json:"id"`
	} `json:"nodes"`
}

func (c conn) ids() []string {
	out := []string{}
	for _, n := range c.Nodes {
		out = append(out, n.ID)
	}
	return out
}

const connSelection = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } nodes { id }`

// page is what the reference expects of one page of the ordered rows ids
// (all matching rows, in order) after/before the given positions.
type page struct {
	ids             []string
	total           int
	hasNext, hasPre bool
}

// expectPage pages ids: after and before are positions in ids (-1: none).
func expectPage(ids []string, first, last *int, after, before int) page {
	lo, hi := 0, len(ids)
	if after >= 0 {
		lo = after + 1
	}
	if before >= 0 {
		hi = before
	}
	if hi < lo {
		hi = lo
	}
	window := ids[lo:hi]
	p := page{total: len(ids), hasNext: before >= 0, hasPre: after >= 0}
	switch {
	case first != nil:
		if len(window) > *first {
			window, p.hasNext = window[:*first], true
		}
	case last != nil:
		if len(window) > *last {
			window, p.hasPre = window[len(window)-*last:], true
		}
	}
	p.ids = append([]string{}, window...)
	return p
}

func (p page) check(t *rapid.T, what string, got conn) {
	if !slices.Equal(got.ids(), p.ids) || got.TotalCount != p.total ||
		got.PageInfo.HasNextPage != p.hasNext || got.PageInfo.HasPreviousPage != p.hasPre {
		t.Fatalf("%s:\n got  %v total %d next %v prev %v\n want %v total %d next %v prev %v",
			what, got.ids(), got.TotalCount, got.PageInfo.HasNextPage, got.PageInfo.HasPreviousPage,
			p.ids, p.total, p.hasNext, p.hasPre)
	}
	if len(got.Edges) != len(got.Nodes) {
		t.Fatalf("%s: %d edges, %d nodes", what, len(got.Edges), len(got.Nodes))
	}
	if len(got.Edges) > 0 && (got.PageInfo.StartCursor == nil || *got.PageInfo.StartCursor != got.Edges[0].Cursor ||
		got.PageInfo.EndCursor == nil || *got.PageInfo.EndCursor != got.Edges[len(got.Edges)-1].Cursor) {
		t.Fatalf("%s: pageInfo cursors %+v do not match the edges", what, got.PageInfo)
	}
}

// backends are the APIs every case runs on, each with its own IDs.
type backend struct {
	name string
	a    *api
	// ids maps a data set's pilot index to its ID on this backend.
	ids []int
}

func openBackends(t *testing.T) []*backend {
	var out []*backend
	for _, b := range testdb.Backends() {
		out = append(out, &backend{name: string(b), a: newAPI(t, b, false)})
	}
	return out
}

// municipalityIDs are the IDs (on each backend) and codes of the first
// municipalities by code, the ones data sets use.
func municipalityIDs(t *testing.T, bs []*backend) ([][]int, []string) {
	ctx := auth.System(context.Background())
	var ids [][]int
	var codes []string
	for _, b := range bs {
		ms, err := b.a.db.Client.Municipality.Query().Order(ent.Asc(municipality.FieldCode)).Limit(5).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var these []int
		codes = codes[:0]
		for _, m := range ms {
			these = append(these, m.ID)
			codes = append(codes, m.Code)
		}
		ids = append(ids, these)
	}
	return ids, codes
}

func count(name string) {
	if modelCases[name] == nil {
		modelCases[name] = &atomic.Int64{}
	}
	modelCases[name].Add(1)
}

// postAll sends one query to every backend and requires the same answer
// from each once IDs are mapped to data set indices.
func postAll(t *rapid.T, bs []*backend, query string, vars map[string]any) []json.RawMessage {
	var out []json.RawMessage
	query = maybeBare(t, query)
	for _, b := range bs {
		res := b.a.post(query, vars)
		if len(res.Errors) > 0 {
			t.Fatalf("%s: %s\n%s %v", b.name, res.Errors[0].Message, query, vars)
		}
		out = append(out, res.Data)
	}
	return out
}

// TestModelRootPilots pages through pilots(where, orderBy) in both
// directions with every page size, against the reference.
func TestModelRootPilots(t *testing.T) {
	rapidChecks(t)
	bs := openBackends(t)
	muniIDs, codes := municipalityIDs(t, bs)
	rapid.Check(t, func(rt *rapid.T) {
		ds := genDataset(rt, muniIDs[0], codes)
		loadAll(rt, bs, muniIDs, ds)
		w := genWhere(rt, 0, ds)
		order := genOrder(rt, pilotOrders)
		size := rapid.IntRange(1, 4).Draw(rt, "size")
		backwards := rapid.Bool().Draw(rt, "backwards")
		for _, b := range bs {
			count("root pilots " + b.name)
			// The reference: matching pilots in order, by this backend's IDs.
			var rows []int
			for i, p := range ds.pilots {
				if w.eval(p, ds) == yes {
					rows = append(rows, i)
				}
			}
			sortBy(rows, order, func(i int, f string) any { return pilotValue(ds.pilots[i], f) }, func(i int) int { return b.ids[i] })
			var want []string
			for _, i := range rows {
				want = append(want, scalar.EncodeID(b.ids[i]))
			}
			walk(rt, b, want, size, backwards, func(first, last *int, after, before *string) string {
				return fmt.Sprintf(`query($first: Int, $last: Int, $after: Cursor, $before: Cursor) {
					pilots(first: $first, last: $last, after: $after, before: $before, where: %s, orderBy: %s) { %s } }`,
					w.gql, orderGQL(order), connSelection)
			}, func(data json.RawMessage) conn {
				var d struct{ Pilots conn }
				_ = json.Unmarshal(data, &d)
				return d.Pilots
			})
		}
	})
	for name, n := range modelCases {
		t.Logf("%s: %d generated cases", name, n.Load())
	}
}

// walk pages through want by size, forwards or backwards, checking every
// page against the reference, then walks back the other way from the end
// reached, and requires every row exactly once each way.
func walk(t *rapid.T, b *backend, want []string, size int, backwards bool,
	query func(first, last *int, after, before *string) string, pick func(json.RawMessage) conn,
) {
	pos := func(c *string, ids []string, cursors map[string]int) int {
		if c == nil {
			return -1
		}
		return cursors[*c]
	}
	cursors := map[string]int{}
	run := func(first, last *int, after, before *string) conn {
		vars := map[string]any{"first": first, "last": last, "after": after, "before": before}
		q := maybeBare(t, query(first, last, after, before))
		res := b.a.post(q, vars)
		if len(res.Errors) > 0 {
			t.Fatalf("%s: %+v\n%s %v", b.name, res.Errors, q, vars)
		}
		got := pick(res.Data)
		exp := expectPage(want, first, last, pos(after, want, cursors), pos(before, want, cursors))
		exp.check(t, fmt.Sprintf("%s first=%v last=%v after=%v before=%v", b.name, deref(first), deref(last), after != nil, before != nil), got)
		for i, e := range got.Edges {
			cursors[e.Cursor] = slices.Index(want, got.Nodes[i].ID)
		}
		return got
	}
	n := size
	var seen []string
	var cursor *string
	for range len(want) + 2 {
		var c conn
		if backwards {
			c = run(nil, &n, nil, cursor)
			seen = append(slices.Clone(c.ids()), seen...)
			if !c.PageInfo.HasPreviousPage {
				break
			}
			cursor = c.PageInfo.StartCursor
		} else {
			c = run(&n, nil, cursor, nil)
			seen = append(seen, c.ids()...)
			if !c.PageInfo.HasNextPage {
				break
			}
			cursor = c.PageInfo.EndCursor
		}
	}
	if !slices.Equal(seen, want) && !(len(seen) == 0 && len(want) == 0) {
		t.Fatalf("%s: walk (backwards %v) saw %v, want %v", b.name, backwards, seen, want)
	}
	// And back the other way from the last cursor of the walk.
	if cursor != nil && len(want) > 1 {
		if backwards {
			run(&n, nil, cursor, nil)
		} else {
			run(nil, &n, nil, cursor)
		}
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// loadAll loads ds on every backend (each with its own municipality IDs).
func loadAll(t *rapid.T, bs []*backend, muniIDs [][]int, ds *modelData) []*modelData {
	var out []*modelData
	for i, b := range bs {
		c := *ds
		c.munis = slices.Clone(ds.munis)
		for j := range c.munis {
			m := *c.munis[j]
			m.id = muniIDs[i][j]
			c.munis[j] = &m
		}
		b.ids = load(t, b.a, &c)
		out = append(out, &c)
	}
	return out
}

// TestModelNestedUnderList pages each parent's children under a list of
// parents, both ways round: pilots → municipalities and municipalities →
// pilots, against the reference.
func TestModelNestedUnderList(t *testing.T) {
	rapidChecks(t)
	bs := openBackends(t)
	muniIDs, codes := municipalityIDs(t, bs)
	rapid.Check(t, func(rt *rapid.T) {
		ds := genDataset(rt, muniIDs[0], codes)
		per := loadAll(rt, bs, muniIDs, ds)
		size := rapid.IntRange(1, 3).Draw(rt, "size")
		backwards := rapid.Bool().Draw(rt, "backwards")
		if rapid.Bool().Draw(rt, "pilotsToMunicipalities") {
			order := genOrder(rt, municipalityOrders)
			var in []string
			if rapid.Bool().Draw(rt, "filtered") {
				in = []string{}
				for _, m := range rapid.SliceOfN(rapid.SampledFrom(ds.munis), 0, 3).Draw(rt, "codeIn") {
					in = append(in, m.code)
				}
			}
			wh := "{}"
			if in != nil {
				q, _ := json.Marshal(in)
				wh = fmt.Sprintf("{codeIn: %s}", q)
			}
			for bi, b := range bs {
				d := per[bi]
				for pi, p := range d.pilots {
					count("pilots → municipalities " + b.name)
					var rows []*modelMunicipality
					for _, j := range p.municipalities {
						if in == nil || slices.Contains(in, d.munis[j].code) {
							rows = append(rows, d.munis[j])
						}
					}
					sortBy(rows, order, muniValue, func(m *modelMunicipality) int { return m.id })
					var want []string
					for _, m := range rows {
						want = append(want, scalar.EncodeID(m.id))
					}
					parent := scalar.EncodeID(b.ids[pi])
					walk(rt, b, want, size, backwards, func(first, last *int, after, before *string) string {
						return fmt.Sprintf(`query($first: Int, $last: Int, $after: Cursor, $before: Cursor) {
							pilots(first: 100) { nodes { id municipalities(first: $first, last: $last, after: $after, before: $before, where: %s, orderBy: %s) { %s } } } }`,
							wh, orderGQL(order), connSelection)
					}, func(data json.RawMessage) conn {
						var d struct {
							Pilots struct {
								Nodes []struct {
									ID             string
									Municipalities conn
								}
							}
						}
						_ = json.Unmarshal(data, &d)
						for _, n := range d.Pilots.Nodes {
							if n.ID == parent {
								return n.Municipalities
							}
						}
						rt.Fatalf("pilot %s missing", parent)
						return conn{}
					})
				}
			}
			return
		}
		w := genWhere(rt, 0, ds)
		order := genOrder(rt, pilotOrders)
		q, _ := json.Marshal(codes)
		// pilots is many-to-many, ledPilots one-to-many.
		edge := rapid.SampledFrom([]string{"pilots", "ledPilots"}).Draw(rt, "edge")
		for bi, b := range bs {
			d := per[bi]
			for mi, m := range d.munis {
				count("municipalities → " + edge + " " + b.name)
				var rows []int
				for i, p := range d.pilots {
					in := slices.Contains(p.municipalities, mi)
					if edge == "ledPilots" {
						in = p.lead == mi
					}
					if in && w.eval(p, d) == yes {
						rows = append(rows, i)
					}
				}
				sortBy(rows, order, func(i int, f string) any { return pilotValue(d.pilots[i], f) }, func(i int) int { return b.ids[i] })
				var want []string
				for _, i := range rows {
					want = append(want, scalar.EncodeID(b.ids[i]))
				}
				parent := scalar.EncodeID(m.id)
				walk(rt, b, want, size, backwards, func(first, last *int, after, before *string) string {
					return fmt.Sprintf(`query($first: Int, $last: Int, $after: Cursor, $before: Cursor) {
						municipalities(first: 100, where: {codeIn: %s}) { nodes { id pilots: %s(first: $first, last: $last, after: $after, before: $before, where: %s, orderBy: %s) { %s } } } }`,
						q, edge, w.gql, orderGQL(order), connSelection)
				}, func(data json.RawMessage) conn {
					var d struct {
						Municipalities struct {
							Nodes []struct {
								ID     string
								Pilots conn
							}
						}
					}
					_ = json.Unmarshal(data, &d)
					for _, n := range d.Municipalities.Nodes {
						if n.ID == parent {
							return n.Pilots
						}
					}
					rt.Fatalf("municipality %s missing", parent)
					return conn{}
				})
			}
		}
	})
	for name, n := range modelCases {
		t.Logf("%s: %d generated cases", name, n.Load())
	}
}
