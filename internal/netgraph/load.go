package netgraph

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/link"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
	"kokeilu/ent/region"
	"kokeilu/ent/theme"
)

// Source adds one kind of data to the graph: nodes, edges or both. The
// graph is the union of its sources; add one to Sources to bring a new
// relation in (edges whose ends no source added are dropped).
type Source struct {
	Name string
	Load func(ctx context.Context, c *ent.Client, b *Builder) error
	// Version returns a cheap fingerprint of the rows the source reads; it
	// changes whenever they do (see Service).
	Version func(ctx context.Context, c *ent.Client) (string, error)
}

// Sources are the graph's data. Every query runs with the request's
// context, so ent's privacy policies decide what enters the graph.
var Sources = []Source{
	{Name: "municipalities", Load: loadMunicipalities}, // reference data: read-only through the API
	{Name: "organizations", Load: loadOrganizations, Version: tableVersion(func(ctx context.Context, c *ent.Client, v any) error {
		return c.Organization.Query().Aggregate(versionAggregates(organization.FieldID, organization.FieldUpdatedAt)...).Scan(ctx, v)
	})},
	{Name: "networks", Load: loadNetworks, Version: tableVersion(func(ctx context.Context, c *ent.Client, v any) error {
		return c.Network.Query().Aggregate(versionAggregates(network.FieldID, network.FieldUpdatedAt)...).Scan(ctx, v)
	})},
	{Name: "pilots", Load: loadPilots, Version: tableVersion(func(ctx context.Context, c *ent.Client, v any) error {
		return c.Pilot.Query().Aggregate(versionAggregates(pilot.FieldID, pilot.FieldUpdatedAt)...).Scan(ctx, v)
	})},
	// Links are only ever created through the API (no update, no delete),
	// so their largest ID is their version: one primary-key lookup instead
	// of a scan of 100,000 rows.
	{Name: "links", Load: loadLinks, Version: tableVersion(func(ctx context.Context, c *ent.Client, v any) error {
		return c.Link.Query().Aggregate(ent.As(ent.Max(link.FieldID), "max_id")).Scan(ctx, v)
	})},
}

// Load builds the whole graph (all periods, all kinds) from the sources.
func Load(ctx context.Context, c *ent.Client, sources []Source) (*Graph, error) {
	b := &Builder{}
	for _, s := range sources {
		if err := s.Load(ctx, c, b); err != nil {
			return nil, fmt.Errorf("graph source %s: %w", s.Name, err)
		}
	}
	return b.Build(), nil
}

// Version is the data version of the sources: when it is unchanged, so is
// the graph.
func Version(ctx context.Context, c *ent.Client, sources []Source) (string, error) {
	var parts []string
	for _, s := range sources {
		if s.Version == nil {
			continue
		}
		v, err := s.Version(ctx, c)
		if err != nil {
			return "", fmt.Errorf("graph source %s: %w", s.Name, err)
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "|"), nil
}

// versionAggregates are a table's count, largest ID and last update.
func versionAggregates(id, updated string) []ent.AggregateFunc {
	return []ent.AggregateFunc{ent.Count(), ent.As(ent.Max(id), "max_id"), ent.As(ent.Max(updated), "max_updated")}
}

// tableVersion fingerprints a table by its row count, largest ID and last
// update: a create raises the ID, an update (edges included: ent stamps
// updated_at on every update) the time, a delete the count. One indexed
// aggregate query per table.
func tableVersion(scan func(ctx context.Context, c *ent.Client, v any) error) func(context.Context, *ent.Client) (string, error) {
	return func(ctx context.Context, c *ent.Client) (string, error) {
		var rows []struct {
			Count   int            `json:"count"`
			MaxID   sql.NullInt64  `json:"max_id"`
			Updated sql.NullString `json:"max_updated"`
		}
		err := scan(ctx, c, &rows)
		if err != nil || len(rows) == 0 {
			return "", err
		}
		r := rows[0]
		return fmt.Sprintf("%d/%d/%s", r.Count, r.MaxID.Int64, r.Updated.String), nil
	}
}

// batch bounds the IDs of one eager-loading query (the IN list).
const batch = 5000

func loadMunicipalities(ctx context.Context, c *ent.Client, b *Builder) error {
	ms, err := c.Municipality.Query().
		Select(municipality.FieldID, municipality.FieldCode, municipality.FieldNameFi).
		WithRegion(func(q *ent.RegionQuery) { q.Select(region.FieldID, region.FieldCode) }).
		All(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		n := Node{ID: m.ID, Type: Municipality, Label: m.NameFi, Code: m.Code}
		if m.Edges.Region != nil {
			n.Region = m.Edges.Region.Code
		}
		b.AddNode(n)
	}
	return nil
}

func loadOrganizations(ctx context.Context, c *ent.Client, b *Builder) error {
	os, err := c.Organization.Query().
		Select(organization.FieldID, organization.FieldName, organization.FieldKind).
		WithMunicipality(func(q *ent.MunicipalityQuery) {
			q.Select(municipality.FieldID).WithRegion(func(q *ent.RegionQuery) { q.Select(region.FieldID, region.FieldCode) })
		}).All(ctx)
	if err != nil {
		return err
	}
	for _, o := range os {
		n := Node{ID: o.ID, Type: Organization, Label: o.Name, Kind: string(o.Kind)}
		if m := o.Edges.Municipality; m != nil && m.Edges.Region != nil {
			n.Region = m.Edges.Region.Code
		}
		b.AddNode(n)
	}
	return nil
}

// intersect is the period both [a1, a2] and [b1, b2] cover (nil = open).
func intersect(a1, a2, b1, b2 *time.Time) (from, to *time.Time) {
	from, to = a1, a2
	if from == nil || (b1 != nil && b1.After(*from)) {
		from = b1
	}
	if to == nil || (b2 != nil && b2.Before(*to)) {
		to = b2
	}
	return from, to
}

func loadNetworks(ctx context.Context, c *ent.Client, b *Builder) error {
	for after := 0; ; {
		ns, err := c.Network.Query().Where(network.IDGT(after)).Order(ent.Asc(network.FieldID)).Limit(batch).
			Select(network.FieldID, network.FieldName, network.FieldKind, network.FieldStartsOn, network.FieldEndsOn).
			WithMunicipalities(func(q *ent.MunicipalityQuery) { q.Select(municipality.FieldID) }).
			WithOrganizations(func(q *ent.OrganizationQuery) { q.Select(organization.FieldID) }).
			WithParent(func(q *ent.NetworkQuery) {
				q.Select(network.FieldID, network.FieldStartsOn, network.FieldEndsOn)
			}).All(ctx)
		if err != nil {
			return err
		}
		for _, n := range ns {
			b.AddNode(Node{ID: n.ID, Type: Network, Label: n.Name, Kind: string(n.Kind), StartsOn: n.StartsOn, EndsOn: n.EndsOn})
			member := Edge{Target: n.ID, Kind: MemberOf, Weight: 1, ValidFrom: n.StartsOn, ValidTo: n.EndsOn}
			for _, m := range n.Edges.Municipalities {
				member.Source = m.ID
				b.AddEdge(member)
			}
			for _, o := range n.Edges.Organizations {
				member.Source = o.ID
				b.AddEdge(member)
			}
			if p := n.Edges.Parent; p != nil {
				from, to := intersect(n.StartsOn, n.EndsOn, p.StartsOn, p.EndsOn)
				b.AddEdge(Edge{Source: n.ID, Target: p.ID, Kind: SubNetworkOf, Weight: 1, ValidFrom: from, ValidTo: to})
			}
		}
		if len(ns) < batch {
			return nil
		}
		after = ns[len(ns)-1].ID
	}
}

func loadPilots(ctx context.Context, c *ent.Client, b *Builder) error {
	for after := 0; ; {
		ps, err := c.Pilot.Query().Where(pilot.IDGT(after)).Order(ent.Asc(pilot.FieldID)).Limit(batch).
			Select(pilot.FieldID, pilot.FieldTitle, pilot.FieldStatus, pilot.FieldStartsOn, pilot.FieldEndsOn).
			WithLeadMunicipality(func(q *ent.MunicipalityQuery) { q.Select(municipality.FieldID) }).
			WithMunicipalities(func(q *ent.MunicipalityQuery) { q.Select(municipality.FieldID) }).
			WithOrganizations(func(q *ent.OrganizationQuery) { q.Select(organization.FieldID) }).
			WithThemes(func(q *ent.ThemeQuery) { q.Select(theme.FieldID, theme.FieldSlug) }).
			WithNetworks(func(q *ent.NetworkQuery) {
				q.Select(network.FieldID, network.FieldStartsOn, network.FieldEndsOn)
			}).All(ctx)
		if err != nil {
			return err
		}
		for _, p := range ps {
			n := Node{ID: p.ID, Type: Pilot, Label: p.Title, Status: string(p.Status), StartsOn: p.StartsOn, EndsOn: p.EndsOn}
			for _, t := range p.Edges.Themes {
				n.Themes = append(n.Themes, t.Slug)
			}
			b.AddNode(n)
			rel := Edge{Target: p.ID, Weight: 1, ValidFrom: p.StartsOn, ValidTo: p.EndsOn}
			if m := p.Edges.LeadMunicipality; m != nil {
				rel.Source, rel.Kind = m.ID, Leads
				b.AddEdge(rel)
			}
			for _, m := range p.Edges.Municipalities {
				rel.Source, rel.Kind = m.ID, ParticipatesIn
				b.AddEdge(rel)
			}
			for _, o := range p.Edges.Organizations {
				rel.Source, rel.Kind = o.ID, PartnerIn
				b.AddEdge(rel)
			}
			for _, nw := range p.Edges.Networks {
				from, to := intersect(p.StartsOn, p.EndsOn, nw.StartsOn, nw.EndsOn)
				b.AddEdge(Edge{Source: p.ID, Target: nw.ID, Kind: PartOfNetwork, Weight: 1, ValidFrom: from, ValidTo: to})
			}
		}
		if len(ps) < batch {
			return nil
		}
		after = ps[len(ps)-1].ID
	}
}

func loadLinks(ctx context.Context, c *ent.Client, b *Builder) error {
	for after := 0; ; {
		ls, err := c.Link.Query().Where(link.IDGT(after)).Order(ent.Asc(link.FieldID)).Limit(batch*4).
			Select(link.FieldID, link.FieldSourceID, link.FieldTargetID, link.FieldKind, link.FieldWeight, link.FieldValidFrom, link.FieldValidTo).
			All(ctx)
		if err != nil {
			return err
		}
		for _, l := range ls {
			b.AddEdge(Edge{Source: l.SourceID, Target: l.TargetID, Kind: EdgeKind(l.Kind), Weight: l.Weight, ValidFrom: l.ValidFrom, ValidTo: l.ValidTo})
		}
		if len(ls) < batch*4 {
			return nil
		}
		after = ls[len(ls)-1].ID
	}
}
