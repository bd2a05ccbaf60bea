package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
)

// trip waits the round trip the benchmark adds before each statement
// (BenchmarkDashboard's DASHBOARD_RTT).
func (q rawQueries) trip() {
	if q.rtt > 0 {
		time.Sleep(q.rtt)
	}
}

// newRawQueries runs the hand-written SQL on db, each text prepared once
// per connection and kept, as a program written by hand would (pgx keeps
// them by itself; on SQLite the server keeps its reads prepared too).
func newRawQueries(db *sql.DB, dialect string) rawQueries {
	return rawQueries{db: db, dialect: dialect, stmts: new(sync.Map)}
}

func (q rawQueries) prepared(ctx context.Context, text string) (*sql.Stmt, error) {
	if s, ok := q.stmts.Load(text); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := q.db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	if kept, loaded := q.stmts.LoadOrStore(text, s); loaded {
		s.Close()
		return kept.(*sql.Stmt), nil
	}
	return s, nil
}

func (q rawQueries) query(ctx context.Context, text string, args ...any) (*sql.Rows, error) {
	s, err := q.prepared(ctx, text)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// queryRow's error, as QueryRowContext's, comes with Scan.
func (q rawQueries) queryRow(ctx context.Context, text string, args ...any) *sql.Row {
	s, err := q.prepared(ctx, text)
	if err != nil {
		return q.db.QueryRowContext(ctx, text, args...) // reports the same error
	}
	return s.QueryRowContext(ctx, args...)
}

// ph is the dialect's n-th placeholder.
func (q rawQueries) ph(n int) string {
	if q.dialect == dialect.Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

type rawMunicipality struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Region *struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"region,omitempty"`
}

type rawPilot struct {
	ID               int              `json:"id"`
	Title            string           `json:"title"`
	Status           string           `json:"status"`
	StartsOn         *time.Time       `json:"startsOn"`
	EndsOn           *time.Time       `json:"endsOn"`
	LeadMunicipality *rawMunicipality `json:"leadMunicipality"`
	Municipalities   struct {
		TotalCount int               `json:"totalCount"`
		Nodes      []rawMunicipality `json:"nodes"`
	} `json:"municipalities"`
	Networks struct {
		TotalCount int `json:"totalCount"`
		Nodes      []struct {
			Name string `json:"name"`
			Kind string `json:"kind"`
		} `json:"nodes"`
	} `json:"networks"`
	lead sql.NullInt64
}

// dashboard is the dashboard query in five statements: the total, the
// page, the lead municipalities with their regions, the first 10
// participants per pilot with their counts, and the networks.
func (q rawQueries) dashboard(ctx context.Context, n int) ([]byte, error) {
	var total int
	q.trip()
	if err := q.queryRow(ctx, "SELECT COUNT(*) FROM pilots").Scan(&total); err != nil {
		return nil, err
	}
	q.trip()
	rows, err := q.query(ctx, "SELECT id, title, status, starts_on, ends_on, pilot_lead_municipality FROM pilots ORDER BY starts_on DESC, id LIMIT "+q.ph(1), n+1)
	if err != nil {
		return nil, err
	}
	var pilots []*rawPilot
	byID := map[int]*rawPilot{}
	for rows.Next() {
		p := &rawPilot{}
		if err := rows.Scan(&p.ID, &p.Title, &p.Status, &p.StartsOn, &p.EndsOn, &p.lead); err != nil {
			rows.Close()
			return nil, err
		}
		pilots = append(pilots, p)
	}
	rows.Close()
	hasNext := len(pilots) > n
	pilots = pilots[:min(n, len(pilots))]
	ids, leads := make([]string, len(pilots)), []string{}
	for i, p := range pilots {
		ids[i] = fmt.Sprint(p.ID)
		byID[p.ID] = p
		if p.lead.Valid {
			leads = append(leads, fmt.Sprint(p.lead.Int64))
		}
	}
	in := strings.Join(ids, ",")
	if len(leads) > 0 {
		q.trip()
		rows, err = q.query(ctx, "SELECT m.id, m.code, m.name_fi, r.code, r.name_fi FROM municipalities m JOIN regions r ON r.id = m.region_municipalities WHERE m.id IN ("+strings.Join(leads, ",")+")")
		if err != nil {
			return nil, err
		}
		lead := map[int64]*rawMunicipality{}
		for rows.Next() {
			var id int64
			m := &rawMunicipality{}
			m.Region = &struct {
				Code string `json:"code"`
				Name string `json:"name"`
			}{}
			if err := rows.Scan(&id, &m.Code, &m.Name, &m.Region.Code, &m.Region.Name); err != nil {
				rows.Close()
				return nil, err
			}
			lead[id] = m
		}
		rows.Close()
		for _, p := range pilots {
			p.LeadMunicipality = lead[p.lead.Int64]
		}
	}
	q.trip()
	firstTen := "SELECT pilot_id, code, name_fi FROM (SELECT pm.pilot_id, m.code, m.name_fi, ROW_NUMBER() OVER (PARTITION BY pm.pilot_id ORDER BY m.id) AS rn FROM pilot_municipalities pm JOIN municipalities m ON m.id = pm.municipality_id WHERE pm.pilot_id IN (" + in + ")) AS t WHERE rn <= 10"
	if q.dialect == dialect.SQLite {
		// SQLite's window costs more than the 10th participant's ID
		// found per pilot in the key of pilot_municipalities (the server
		// takes the same cut-off: paging.LimitPerRow).
		firstTen = "SELECT pm.pilot_id, m.code, m.name_fi FROM (SELECT x.pilot_id, (SELECT y.municipality_id FROM pilot_municipalities y WHERE y.pilot_id = x.pilot_id ORDER BY y.municipality_id LIMIT 1 OFFSET 9) AS cut FROM pilot_municipalities x WHERE x.pilot_id IN (" + in + ") GROUP BY x.pilot_id) AS c JOIN pilot_municipalities pm ON pm.pilot_id = c.pilot_id AND (c.cut IS NULL OR pm.municipality_id <= c.cut) JOIN municipalities m ON m.id = pm.municipality_id ORDER BY m.id"
	}
	rows, err = q.query(ctx, firstTen)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int
		var m rawMunicipality
		if err := rows.Scan(&id, &m.Code, &m.Name); err != nil {
			rows.Close()
			return nil, err
		}
		byID[id].Municipalities.Nodes = append(byID[id].Municipalities.Nodes, m)
	}
	rows.Close()
	q.trip()
	rows, err = q.query(ctx, "SELECT pilot_id, COUNT(*) FROM pilot_municipalities WHERE pilot_id IN ("+in+") GROUP BY pilot_id")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, c int
		if err := rows.Scan(&id, &c); err != nil {
			rows.Close()
			return nil, err
		}
		byID[id].Municipalities.TotalCount = c
	}
	rows.Close()
	q.trip()
	rows, err = q.query(ctx, "SELECT np.pilot_id, n.name, n.kind FROM network_pilots np JOIN networks n ON n.id = np.network_id WHERE np.pilot_id IN ("+in+")")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int
		var nw struct {
			Name string `json:"name"`
			Kind string `json:"kind"`
		}
		if err := rows.Scan(&id, &nw.Name, &nw.Kind); err != nil {
			rows.Close()
			return nil, err
		}
		p := byID[id]
		p.Networks.Nodes = append(p.Networks.Nodes, nw)
		p.Networks.TotalCount++
	}
	rows.Close()
	return json.Marshal(map[string]any{"data": map[string]any{"pilots": map[string]any{
		"totalCount": total, "pageInfo": map[string]any{"hasNextPage": hasNext}, "nodes": pilots}}})
}

// stats is pilotStats by region × status written by hand.
func (q rawQueries) stats(ctx context.Context) ([]byte, error) {
	var total int
	if err := q.queryRow(ctx, "SELECT COUNT(*) FROM pilots").Scan(&total); err != nil {
		return nil, err
	}
	rows, err := q.query(ctx, `WITH facts AS (
	  SELECT r.code AS region, r.name_fi AS name, p.status, p.id AS pilot, m.id AS municipality, m.population
	  FROM pilots p JOIN pilot_municipalities pm ON pm.pilot_id = p.id
	  JOIN municipalities m ON m.id = pm.municipality_id JOIN regions r ON r.id = m.region_municipalities),
	c AS (SELECT region, status, MIN(name) AS name, COUNT(DISTINCT pilot) AS pilots, COUNT(DISTINCT municipality) AS municipalities FROM facts GROUP BY region, status),
	v AS (SELECT region, status, SUM(population) AS population FROM (SELECT DISTINCT region, status, municipality, population FROM facts) AS d GROUP BY region, status)
	SELECT c.region, c.name, c.status, c.pilots, c.municipalities, COALESCE(v.population, 0) FROM c LEFT JOIN v ON v.region = c.region AND v.status = c.status ORDER BY c.region, c.status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type key struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	type bucket struct {
		Keys                               []key `json:"keys"`
		Pilots, Municipalities, Population int
	}
	var buckets []bucket
	for rows.Next() {
		var b bucket
		var region, status key
		if err := rows.Scan(&region.Code, &region.Name, &status.Code, &b.Pilots, &b.Municipalities, &b.Population); err != nil {
			return nil, err
		}
		status.Name = status.Code
		b.Keys = []key{region, status}
		buckets = append(buckets, b)
	}
	if len(buckets) == 0 {
		return nil, errEmpty
	}
	return json.Marshal(map[string]any{"data": map[string]any{"pilotStats": map[string]any{"total": total, "buckets": buckets}}})
}

// regionCounts is the map layer: each region with its ACTIVE pilots.
func (q rawQueries) regionCounts(ctx context.Context) ([]byte, error) {
	rows, err := q.query(ctx, `SELECT r.code, r.name_fi, (SELECT COUNT(DISTINCT pm.pilot_id) FROM pilot_municipalities pm
	  JOIN municipalities m ON m.id = pm.municipality_id JOIN pilots p ON p.id = pm.pilot_id
	  WHERE m.region_municipalities = r.id AND p.status = 'ACTIVE') FROM regions r ORDER BY r.id LIMIT 101`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type region struct {
		Code   string `json:"code"`
		Name   string `json:"name"`
		Pilots struct {
			TotalCount int `json:"totalCount"`
		} `json:"pilots"`
	}
	var out []region
	for rows.Next() {
		var r region
		if err := rows.Scan(&r.Code, &r.Name, &r.Pilots.TotalCount); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return json.Marshal(map[string]any{"data": map[string]any{"regions": map[string]any{"nodes": out}}})
}
