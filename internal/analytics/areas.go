package analytics

import (
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/notice"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
	"kokeilu/ent/predicate"
	"kokeilu/ent/region"
	"kokeilu/ent/wellbeingcounty"
	"kokeilu/ent/workspace"
)

// Municipalities of areas, by classification code; the root lists filter
// by them (regionCode, wellbeingCountyCode, subregionCode, municipalityCode).

// InRegions is the municipalities of the regions.
func InRegions(codes ...string) predicate.Municipality {
	return municipality.HasRegionWith(region.CodeIn(codes...))
}

// InCounties is the municipalities of the wellbeing services counties.
func InCounties(codes ...string) predicate.Municipality {
	return municipality.HasWellbeingCountyWith(wellbeingcounty.CodeIn(codes...))
}

// InSubregion is the municipalities of the subregion.
func InSubregion(code string) predicate.Municipality { return municipality.SubregionCode(code) }

// Named is the municipalities of the codes.
func Named(codes ...string) predicate.Municipality { return municipality.CodeIn(codes...) }

// PilotsIn is the pilots with a participating municipality among m.
func PilotsIn(m predicate.Municipality) predicate.Pilot { return pilot.HasMunicipalitiesWith(m) }

// NetworksIn is the networks with a member municipality among m.
func NetworksIn(m predicate.Municipality) predicate.Network { return network.HasMunicipalitiesWith(m) }

// OrganizationsIn is the organisations based in a municipality among m.
func OrganizationsIn(m predicate.Municipality) predicate.Organization {
	return organization.HasMunicipalityWith(m)
}

// NoticesIn is the notices of workspaces whose pilot has a participant, or
// whose network a member, among m. The notices' own read policy still
// applies on top (members-only workspaces stay hidden).
func NoticesIn(m predicate.Municipality) predicate.Notice {
	return notice.HasWorkspaceWith(workspace.Or(
		workspace.HasPilotWith(pilot.HasMunicipalitiesWith(m)),
		workspace.HasNetworkWith(network.HasMunicipalitiesWith(m)),
	))
}
