package netgraph

import (
	"context"

	"fmt"
	"strconv"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/link"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/operatingmodel"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
	"kokeilu/ent/region"
	"kokeilu/ent/theme"
	"kokeilu/ent/wellbeingcounty"
	"kokeilu/ent/workspace"
	"kokeilu/internal/revision"
)

// Source adds one kind of data to the graph: nodes, edges or both. The
// graph is the union of its sources; add one to Sources to bring a new
// relation in (edges whose ends no source added are dropped).
type Source struct {
	Name string
	Load func(ctx context.Context, c *ent.Client, b *Builder) error
}

// Sources are the graph's data. Every query runs with the request's
// context, so ent's privacy policies decide what enters the graph; the
// graph is shared by all viewers, so sources read only what everyone may.
var Sources = []Source{
	{Name: "regions and themes", Load: loadVocabulary},
	{Name: "municipalities", Load: loadMunicipalities},
	{Name: "organizations", Load: loadOrganizations},
	{Name: "networks", Load: loadNetworks},
	{Name: "pilots", Load: loadPilots},
	{Name: "links", Load: loadLinks},
	{Name: "operating models", Load: loadOperatingModels},
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

// Version is the data version: the data revision, which every write on
// any instance raises (internal/revision). When it is unchanged, so is the
// graph.
func Version(ctx context.Context, c *ent.Client) (string, error) {
	rev, err := revision.Current(ctx, c)
	return strconv.FormatInt(rev, 10), err
}

// batch bounds the IDs of one eager-loading query (the IN list).
const batch = 5000

// placeFields are the municipality columns a node's place attributes come
// from; place copies them.
var placeFields = []string{municipality.FieldID, municipality.FieldCode, municipality.FieldSubregionCode}

func withPlace(q *ent.MunicipalityQuery) {
	q.WithRegion(func(q *ent.RegionQuery) { q.Select(region.FieldID, region.FieldCode) }).
		WithWellbeingCounty(func(q *ent.WellbeingCountyQuery) { q.Select(wellbeingcounty.FieldID, wellbeingcounty.FieldCode) })
}

// place sets n's region, county and subregion codes from m.
func place(n *Node, m *ent.Municipality) {
	n.Subregion = m.SubregionCode
	if m.Edges.Region != nil {
		n.Region = m.Edges.Region.Code
	}
	if m.Edges.WellbeingCounty != nil {
		n.County = m.Edges.WellbeingCounty.Code
	}
}

func loadMunicipalities(ctx context.Context, c *ent.Client, b *Builder) error {
	q := c.Municipality.Query()
	withPlace(q)
	ms, err := q.Select(append(placeFields, municipality.FieldNameFi, municipality.FieldNameSv,
		municipality.FieldNameEn, municipality.FieldPopulation, municipality.FieldLatitude, municipality.FieldLongitude)...).All(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		n := Node{ID: m.ID, Type: Municipality, Label: m.NameFi, NameFi: m.NameFi, NameSv: m.NameSv, NameEn: m.NameEn,
			Code: m.Code, Population: m.Population, Latitude: m.Latitude, Longitude: m.Longitude}
		place(&n, m)
		b.AddNode(n)
	}
	return nil
}

// loadVocabulary records the region codes and theme slugs that exist, so
// that filters naming others are refused.
func loadVocabulary(ctx context.Context, c *ent.Client, b *Builder) error {
	codes, err := c.Region.Query().Select(region.FieldCode).Strings(ctx)
	if err != nil {
		return err
	}
	for _, code := range codes {
		b.AddRegion(code)
	}
	slugs, err := c.Theme.Query().Select(theme.FieldSlug).Strings(ctx)
	if err != nil {
		return err
	}
	for _, slug := range slugs {
		b.AddTheme(slug)
	}
	return nil
}

func loadOrganizations(ctx context.Context, c *ent.Client, b *Builder) error {
	os, err := c.Organization.Query().
		Select(organization.FieldID, organization.FieldName, organization.FieldSlug, organization.FieldKind).
		WithMunicipality(func(q *ent.MunicipalityQuery) { q.Select(placeFields...); withPlace(q) }).All(ctx)
	if err != nil {
		return err
	}
	for _, o := range os {
		n := Node{ID: o.ID, Type: Organization, Label: o.Name, Slug: o.Slug, Kind: string(o.Kind)}
		if m := o.Edges.Municipality; m != nil {
			place(&n, m)
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
			Select(network.FieldID, network.FieldName, network.FieldSlug, network.FieldKind, network.FieldStartsOn, network.FieldEndsOn).
			WithMunicipalities(func(q *ent.MunicipalityQuery) { q.Select(municipality.FieldID) }).
			WithOrganizations(func(q *ent.OrganizationQuery) { q.Select(organization.FieldID) }).
			WithParent(func(q *ent.NetworkQuery) {
				q.Select(network.FieldID, network.FieldStartsOn, network.FieldEndsOn)
			}).All(ctx)
		if err != nil {
			return err
		}
		for _, n := range ns {
			b.AddNode(Node{ID: n.ID, Type: Network, Label: n.Name, Slug: n.Slug, Kind: string(n.Kind), StartsOn: n.StartsOn, EndsOn: n.EndsOn})
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
			Select(pilot.FieldID, pilot.FieldTitle, pilot.FieldSlug, pilot.FieldStatus, pilot.FieldStartsOn, pilot.FieldEndsOn).
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
			n := Node{ID: p.ID, Type: Pilot, Label: p.Title, Slug: p.Slug, Status: string(p.Status), StartsOn: p.StartsOn, EndsOn: p.EndsOn}
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
			b.AddEdge(Edge{Source: l.SourceID, Target: l.TargetID, Kind: EdgeKind(l.Kind), Ref: l.ID, Weight: l.Weight, ValidFrom: l.ValidFrom, ValidTo: l.ValidTo})
		}
		if len(ls) < batch*4 {
			return nil
		}
		after = ls[len(ls)-1].ID
	}
}

// loadOperatingModels adds the operating models everyone may read (not
// those published in members-only workspaces: the graph is shared by all
// viewers), with the pilots that developed them and their adoptions, dated
// by the adoption.
func loadOperatingModels(ctx context.Context, c *ent.Client, b *Builder) error {
	models, err := c.OperatingModel.Query().
		Where(operatingmodel.Or(
			operatingmodel.Not(operatingmodel.HasWorkspace()),
			operatingmodel.HasWorkspaceWith(workspace.VisibilityEQ(workspace.VisibilityPUBLIC)),
		)).
		Select(operatingmodel.FieldID, operatingmodel.FieldName, operatingmodel.FieldSlug, operatingmodel.FieldFunder).
		WithDevelopedIn(func(q *ent.PilotQuery) { q.Select(pilot.FieldID) }).
		WithAdoptions(func(q *ent.AdoptionQuery) {
			q.WithMunicipality(func(q *ent.MunicipalityQuery) { q.Select(municipality.FieldID) }).
				WithPilot(func(q *ent.PilotQuery) { q.Select(pilot.FieldID) })
		}).All(ctx)
	if err != nil {
		return err
	}
	for _, m := range models {
		b.AddNode(Node{ID: m.ID, Type: OperatingModel, Label: m.Name, Slug: m.Slug, Funder: m.Funder})
		for _, p := range m.Edges.DevelopedIn {
			b.AddEdge(Edge{Source: m.ID, Target: p.ID, Kind: DevelopedIn, Weight: 1})
		}
		for _, a := range m.Edges.Adoptions {
			e := Edge{Target: m.ID, Kind: Adoption, Ref: a.ID, Weight: 1, ValidFrom: a.AdoptedOn}
			switch {
			case a.Edges.Municipality != nil:
				e.Source = a.Edges.Municipality.ID
			case a.Edges.Pilot != nil:
				e.Source = a.Edges.Pilot.ID
			default:
				continue
			}
			b.AddEdge(e)
		}
	}
	return nil
}
