package analytics

import (
	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/notice"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
	"kokeilu/ent/predicate"
	"kokeilu/ent/region"
	"kokeilu/ent/wellbeingcounty"
	"kokeilu/ent/workspace"
	"kokeilu/internal/fault"
)

// One meaning of "in an area", used by every surface: the where inputs'
// regionCode/wellbeingCountyCode/subregionCode/municipalityCode fields,
// Region.pilots and WellbeingCounty.pilots, pilotStats' geographic
// dimensions (the same pilot_municipalities relation, in SQL: statement),
// the pilot exports and the research graph's area filter.
//
// An area is a set of municipalities, named by classification codes. A
// pilot is in an area when one of its participating municipalities is: its
// lead municipality is always among them (integrity.LeadTakesPart keeps it so),
// so leading a pilot is taking part in it, and no surface looks at the lead
// separately. Codes are checked for their form (digits, of the dimension's
// length); a well-formed code that names nothing matches nothing.

// Area is the municipalities whose Dim (Region, WellbeingCounty, Subregion
// or Municipality) has one of Codes.
type Area struct {
	Dim   Dimension
	Codes []string
}

// codeLength is the length of a classification code, by dimension.
var codeLength = map[Dimension]int{Region: 2, WellbeingCounty: 2, Subregion: 3, Municipality: 3}

// Check refuses a code that is not of the dimension's form with
// BAD_USER_INPUT on field (the input's name, as the caller knows it).
func (a Area) Check(field string) error {
	n, ok := codeLength[a.Dim]
	if !ok {
		return fault.BadInput(field, "%s is not a geographic dimension", a.Dim)
	}
	for _, c := range a.Codes {
		if len(c) != n || trimDigits(c) != "" {
			return fault.BadInput(field, "%q is not a %d-digit code", c, n)
		}
	}
	return nil
}

func trimDigits(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return s[i:]
		}
	}
	return ""
}

// Municipalities is the area's municipalities.
func (a Area) Municipalities() predicate.Municipality {
	switch a.Dim {
	case Region:
		return municipality.HasRegionWith(region.CodeIn(a.Codes...))
	case WellbeingCounty:
		return municipality.HasWellbeingCountyWith(wellbeingcounty.CodeIn(a.Codes...))
	case Subregion:
		return municipality.SubregionCodeIn(a.Codes...)
	case Municipality:
		return municipality.CodeIn(a.Codes...)
	}
	panic("analytics: " + string(a.Dim) + " is not a geographic dimension")
}

// Pilots is the pilots in the area: with a participating municipality in
// it (which takes in the lead municipality).
func (a Area) Pilots() predicate.Pilot { return pilot.HasMunicipalitiesWith(a.Municipalities()) }

// Networks is the networks with a member municipality in the area.
func (a Area) Networks() predicate.Network { return network.HasMunicipalitiesWith(a.Municipalities()) }

// Organizations is the organisations based in a municipality of the area.
func (a Area) Organizations() predicate.Organization {
	return organization.HasMunicipalityWith(a.Municipalities())
}

// Notices is the notices of workspaces whose pilot or network is in the
// area. The notices' own read policy still applies on top (members-only
// workspaces stay hidden).
func (a Area) Notices() predicate.Notice {
	return notice.HasWorkspaceWith(workspace.Or(
		workspace.HasPilotWith(a.Pilots()),
		workspace.HasNetworkWith(a.Networks()),
	))
}

// where is a where input that takes predicates.
type where[P any] interface{ AddPredicates(...P) }

// Filter adds to w (a where input) the area's predicate for its rows, made
// by of (e.g. Area.Pilots), after checking the codes: field names the
// input in errors. nil codes (an absent field) add nothing; an empty list
// matches nothing, as statusIn: [] does. The where inputs' area fields and
// the pilot exports' URL parameters go through it.
func Filter[P any](w where[P], of func(Area) P, field string, dim Dimension, codes []string) error {
	if codes == nil {
		return nil
	}
	a := Area{Dim: dim, Codes: codes}
	if err := a.Check(field); err != nil {
		return err
	}
	w.AddPredicates(of(a))
	return nil
}

// FilterPilots is Filter for pilot where inputs.
func FilterPilots(w *ent.PilotWhereInput, field string, dim Dimension, codes []string) error {
	return Filter(w, Area.Pilots, field, dim, codes)
}
