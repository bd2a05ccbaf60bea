// Package analytics counts pilots for dashboards: how many pilots match a
// filter, grouped by up to three dimensions (region, wellbeing services
// county, subregion, municipality, theme, status, network, start year,
// active year), with the municipalities they involve and the population
// those cover. The common groupings read counts kept current by every
// write (buckets.go); the rest are one SQL statement of GROUP BY over
// joins, run through the ent client so privacy policies apply to the
// pilots.
package analytics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/ent/pilot"
	"kokeilu/ent/predicate"
	"kokeilu/internal/fault"
	"kokeilu/internal/scalar"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// Dimension is the GraphQL enum PilotDimension.
type Dimension string

const (
	Region          Dimension = "REGION"
	WellbeingCounty Dimension = "WELLBEING_COUNTY"
	Subregion       Dimension = "SUBREGION"
	Municipality    Dimension = "MUNICIPALITY"
	Theme           Dimension = "THEME"
	Status          Dimension = "STATUS"
	Network         Dimension = "NETWORK"
	StartYear       Dimension = "START_YEAR"
	ActiveYear      Dimension = "ACTIVE_YEAR"
	// CountyKind is the kind of a participant's wellbeing services county
	// row: COUNTY, HELSINKI (90) or ALAND (91).
	CountyKind Dimension = "WELLBEING_COUNTY_KIND"
)

// Dimensions lists every dimension.
var Dimensions = []Dimension{Region, WellbeingCounty, Subregion, Municipality, Theme, Status, Network, StartYear, ActiveYear, CountyKind}

// MaxDimensions is how many dimensions one call may group by.
const MaxDimensions = 3

// MarshalGQL implements graphql.Marshaler.
func (d Dimension) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(d))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (d *Dimension) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	if !slices.Contains(Dimensions, Dimension(s)) {
		return fmt.Errorf("%v is not a PilotDimension", v)
	}
	*d = Dimension(s)
	return nil
}

// Stats is the GraphQL type PilotStats.
type Stats struct {
	Total   int       `json:"total"`
	Buckets []*Bucket `json:"buckets"`
}

// Bucket is one combination of keys and what it counts.
type Bucket struct {
	Keys           []*Key `json:"keys"`
	Pilots         int    `json:"pilots"`
	Municipalities int    `json:"municipalities"`
	Population     int    `json:"population"`
}

// Key is a bucket's value in one dimension, with its names where the
// dimension has them (the code otherwise).
type Key struct {
	Dimension              Dimension `json:"dimension"`
	Code                   string    `json:"code"`
	NameFi, NameSv, NameEn string    `json:"-"`
	// rank is the key's place among its dimension's values by code, for
	// sorting (sortByCodes); keys are made per call.
	rank int
}

// column is how a dimension appears in the SQL: the joins the fact rows
// need, the key they are grouped by (an id where there is one, so the facts
// stay narrow), and the join from a grouped row to the key's code and names.
type column struct {
	joins                    []string
	key                      string
	label                    string
	code, nameFi, nameSv, en string
}

// columns of dimension d at position n of groupBy; the fact rows are
// (pilot p, participating municipality m), widened by the dimension's own
// join when it has one. The label's alias is ln, the grouped key c.kn.
func columns(d Dimension, n int, dialectName string) column {
	yearOf := func(c string) string { return year(c, dialectName) }
	l, k := "l"+strconv.Itoa(n), "c.k"+strconv.Itoa(n)
	named := func(table, key, code string) column {
		return column{key: key, label: "JOIN " + table + " " + l + " ON " + l + ".id = " + k,
			code: l + "." + code, nameFi: l + ".name_fi", nameSv: l + ".name_sv", en: l + ".name_en"}
	}
	plain := func(key, code string) column {
		return column{key: key, code: code, nameFi: "''", nameSv: "''", en: "''"}
	}
	switch d {
	case Region:
		return named("regions", "m.region_municipalities", "code")
	case WellbeingCounty:
		return named("wellbeing_counties", "m.wellbeing_county_municipalities", "code")
	case Municipality:
		return named("municipalities", "m.id", "code")
	case Subregion:
		return column{key: "m.subregion_code",
			label: "JOIN (SELECT subregion_code AS code, MIN(subregion_name_fi) AS fi, MIN(subregion_name_sv) AS sv FROM municipalities GROUP BY subregion_code) " +
				l + " ON " + l + ".code = " + k,
			code: l + ".code", nameFi: l + ".fi", nameSv: l + ".sv", en: "''"}
	case Theme:
		c := named("themes", "pt.theme_id", "slug")
		c.joins = []string{"JOIN pilot_themes pt ON pt.pilot_id = p.id"}
		return c
	case Network:
		c := named("networks", "np.network_id", "slug")
		c.joins = []string{"JOIN network_pilots np ON np.pilot_id = p.id"}
		c.nameFi, c.nameSv, c.en = l+".name", "''", "''"
		return c
	case CountyKind:
		c := plain("wck.kind", k)
		c.joins = []string{"JOIN wellbeing_counties wck ON wck.id = m.wellbeing_county_municipalities"}
		return c
	case Status:
		return plain("p.status", k)
	case StartYear:
		return plain(yearOf("p.starts_on"), "CAST("+k+" AS VARCHAR(8))")
	case ActiveYear:
		// A pilot is active in every year from its start to its end; one
		// without an end is active until this year (or its start, if later).
		now := strconv.Itoa(time.Now().Year())
		end := "COALESCE(" + yearOf("p.ends_on") + ", CASE WHEN " + yearOf("p.starts_on") + " > " + now +
			" THEN " + yearOf("p.starts_on") + " ELSE " + now + " END)"
		c := plain("y.y", "CAST("+k+" AS VARCHAR(8))")
		c.joins = []string{"JOIN years y ON y.y BETWEEN " + yearOf("p.starts_on") + " AND " + end}
		return c
	}
	panic("unknown dimension " + d)
}

// Count returns the statistics of the pilots that match where, grouped by
// dims. A pilot counts once in every bucket it falls in (a pilot of three
// regions counts in each) and once in Total. Buckets come sorted by their
// codes. withAreas false leaves the buckets' Municipalities and Population
// out (zero) when they cost more than the pilots (the caller does not
// show them).
func Count(ctx context.Context, client *ent.Client, filter *ent.PilotWhereInput, dims []Dimension, withAreas bool) (*Stats, error) {
	if len(dims) == 0 || len(dims) > MaxDimensions {
		return nil, fault.BadInput("groupBy", "group by one to %d dimensions", MaxDimensions)
	}
	for i, d := range dims {
		if slices.Contains(dims[:i], d) {
			return nil, fault.BadInput("groupBy", "%s is given twice", d)
		}
	}
	if s, ok, err := fromBuckets(ctx, client, filter, dims, withAreas); ok {
		return s, err
	}
	where, err := Predicate(filter)
	if err != nil {
		return nil, err
	}
	query := func() *ent.PilotQuery {
		q := client.Pilot.Query()
		if where != nil {
			q = q.Where(where)
		}
		return q
	}
	total, err := query().Count(ctx)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		K0, K1, K2     string
		F0, F1, F2     string
		S0, S1, S2     string
		E0, E1, E2     string
		Pilots         int   `sql:"pilots"`
		Municipalities int   `sql:"municipalities"`
		Population     int64 `sql:"population"`
	}
	// The filtered pilots come from ent (its policies and where predicates);
	// the statement is built around them.
	err = query().Aggregate(func(s *sql.Selector) string {
		// The inner select is the query itself, moved aside, not a Clone:
		// ent's Selector.Clone loses the operator of GT/GTE/LT/LTE
		// predicates (ent v0.14.5, dialect/sql/builder.go), which broke every
		// range filter here.
		matching := *s
		matching.Select(s.C("id"), s.C("status"), s.C("starts_on"), s.C("ends_on"))
		inner, args := matching.Query()
		s.SetP(nil).SetDistinct(false).FromExpr(sql.Expr("("+statement(inner, dims, s.Dialect())+") AS stats", args...))
		return "*"
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := &Stats{Total: total, Buckets: make([]*Bucket, 0, len(rows))}
	for _, r := range rows {
		b := &Bucket{Pilots: r.Pilots, Municipalities: r.Municipalities, Population: int(r.Population)}
		codes := []string{r.K0, r.K1, r.K2}
		fi, sv, en := []string{r.F0, r.F1, r.F2}, []string{r.S0, r.S1, r.S2}, []string{r.E0, r.E1, r.E2}
		for i, d := range dims {
			k := &Key{Dimension: d, Code: codes[i], NameFi: fi[i], NameSv: sv[i], NameEn: en[i]}
			if k.NameFi == "" && k.NameSv == "" && k.NameEn == "" {
				k.NameFi = k.Code // statuses and years are their own names
			}
			b.Keys = append(b.Keys, k)
		}
		out.Buckets = append(out.Buckets, b)
	}
	return out, nil
}

// Predicate is the predicate of a where input; nil when it has none.
func Predicate(where *ent.PilotWhereInput) (predicate.Pilot, error) {
	if where == nil {
		return nil, nil
	}
	p, err := where.P()
	if errors.Is(err, ent.ErrEmptyPilotWhereInput) {
		return nil, nil
	}
	return p, err
}

// statement is the SQL of the buckets over the matching pilots (a SELECT of
// id, status, starts_on, ends_on). The facts are (keys, pilot, municipality)
// rows; pilots and municipalities are counted distinct per bucket, and each
// municipality's population is added once per bucket.
func statement(matching string, dims []Dimension, dialectName string) string {
	var joins, facts, keys, notNull, labels, out, order []string
	// Codes in byte order, as the kept counts sort them (sortByCodes),
	// whatever the database's collation (SQLite's is bytes already).
	byBytes := ""
	if dialectName == dialect.Postgres {
		byBytes = ` COLLATE "C"`
	}
	for i, d := range dims {
		c := columns(d, i, dialectName)
		for _, j := range c.joins {
			if !slices.Contains(joins, j) {
				joins = append(joins, j)
			}
		}
		n := strconv.Itoa(i)
		facts = append(facts, c.key+" AS k"+n)
		keys = append(keys, "k"+n)
		notNull = append(notNull, c.key+" IS NOT NULL")
		if c.label != "" {
			labels = append(labels, c.label)
		}
		out = append(out, c.code+" AS k"+n, "COALESCE("+c.nameFi+", '') AS f"+n,
			"COALESCE("+c.nameSv+", '') AS s"+n, "COALESCE("+c.en+", '') AS e"+n)
		order = append(order, c.code+byBytes)
	}
	for i := len(dims); i < MaxDimensions; i++ { // unused keys are empty
		n := strconv.Itoa(i)
		out = append(out, "'' AS k"+n, "'' AS f"+n, "'' AS s"+n, "'' AS e"+n)
	}
	group := strings.Join(keys, ", ")
	var on []string
	for _, k := range keys {
		on = append(on, "v."+k+" = c."+k)
	}
	var b strings.Builder
	b.WriteString("WITH RECURSIVE p AS (" + matching + ")")
	if slices.Contains(dims, ActiveYear) {
		// Every year from the earliest start to the latest end, this
		// year, or the latest start of a pilot without an end (active in
		// its start year, as ActiveYear's join says), within the accepted
		// years (rows stored before the bound cannot make more buckets
		// than the cost estimate says).
		now := strconv.Itoa(time.Now().Year())
		first, last := strconv.Itoa(scalar.MinYear), strconv.Itoa(scalar.MaxYear)
		start := year("starts_on", dialectName)
		b.WriteString(", years(y) AS (SELECT CASE WHEN MIN(" + start + ") < " + first + " THEN " + first +
			" WHEN MIN(" + start + ") > " + last + " THEN " + last + " ELSE MIN(" + start + ") END FROM p" +
			" UNION ALL SELECT y + 1 FROM years WHERE y < " + last + " AND (y < " + now +
			" OR y < (SELECT MAX(" + year("ends_on", dialectName) + ") FROM p)" +
			" OR y < (SELECT MAX(" + start + ") FROM p WHERE ends_on IS NULL)))")
	}
	b.WriteString(", facts AS (SELECT " + strings.Join(facts, ", ") +
		", p.id AS pilot, m.id AS municipality, m.population AS population FROM p" +
		participants + strings.Join(joins, " ") +
		" WHERE " + strings.Join(notNull, " AND ") + ")")
	b.WriteString(", c AS (SELECT " + group + ", COUNT(DISTINCT pilot) AS pilots, COUNT(DISTINCT municipality) AS municipalities FROM facts GROUP BY " + group + ")")
	b.WriteString(", v AS (SELECT " + group + ", SUM(population) AS population FROM (SELECT DISTINCT " + group +
		", municipality, population FROM facts WHERE municipality IS NOT NULL) AS dm GROUP BY " + group + ")")
	b.WriteString(" SELECT " + strings.Join(out, ", ") +
		", c.pilots AS pilots, c.municipalities AS municipalities, COALESCE(v.population, 0) AS population" +
		" FROM c LEFT JOIN v ON " + strings.Join(on, " AND ") + " " + strings.Join(labels, " ") +
		" ORDER BY " + strings.Join(order, ", "))
	return b.String()
}

// participants joins the matching pilots p to their participating
// municipalities m: the relation that Area.Pilots walks (pilot's
// municipalities edge, which holds the lead too), so the geographic buckets
// count what the area filters select.
var participants = " LEFT JOIN " + pilot.MunicipalitiesTable + " pm ON pm." + pilot.MunicipalitiesPrimaryKey[0] + " = p.id" +
	" LEFT JOIN " + municipality.Table + " m ON m.id = pm." + pilot.MunicipalitiesPrimaryKey[1] + " "

// year is the calendar year of a date column as an integer.
func year(c, dialectName string) string {
	if dialectName == dialect.Postgres {
		return "CAST(EXTRACT(YEAR FROM " + c + ") AS INTEGER)"
	}
	return "CAST(substr(" + c + ", 1, 4) AS INTEGER)"
}
