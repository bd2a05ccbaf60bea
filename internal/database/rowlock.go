package database

import (
	"context"
	"fmt"

	"kokeilu/ent"
	"kokeilu/ent/adoption"
	"kokeilu/ent/discussion"
	"kokeilu/ent/link"
	"kokeilu/ent/material"
	"kokeilu/ent/membership"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/notice"
	"kokeilu/ent/operatingmodel"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
	"kokeilu/ent/post"
	"kokeilu/ent/region"
	"kokeilu/ent/survey"
	"kokeilu/ent/surveyresponse"
	"kokeilu/ent/theme"
	"kokeilu/ent/user"
	"kokeilu/ent/wellbeingcounty"
	"kokeilu/ent/workshop"
	"kokeilu/ent/workshopregistration"
	"kokeilu/ent/workspace"
)

// rowTables are the tables of the types whose single-row updates and
// deletes lockRow serialises: every type the API changes. Left out are the
// bookkeeping rows no check reads before writing them (the data revision,
// sessions, the kept counts of internal/analytics, which lock their own
// rows). TestRowTables keeps the list whole.
var rowTables = map[string]string{
	ent.TypeAdoption:             adoption.Table,
	ent.TypeDiscussion:           discussion.Table,
	ent.TypeLink:                 link.Table,
	ent.TypeMaterial:             material.Table,
	ent.TypeMembership:           membership.Table,
	ent.TypeMunicipality:         municipality.Table,
	ent.TypeNetwork:              network.Table,
	ent.TypeNotice:               notice.Table,
	ent.TypeOperatingModel:       operatingmodel.Table,
	ent.TypeOrganization:         organization.Table,
	ent.TypePilot:                pilot.Table,
	ent.TypePost:                 post.Table,
	ent.TypeRegion:               region.Table,
	ent.TypeSurvey:               survey.Table,
	ent.TypeSurveyResponse:       surveyresponse.Table,
	ent.TypeTheme:                theme.Table,
	ent.TypeUser:                 user.Table,
	ent.TypeWellbeingCounty:      wellbeingcounty.Table,
	ent.TypeWorkshop:             workshop.Table,
	ent.TypeWorkshopRegistration: workshopregistration.Table,
	ent.TypeWorkspace:            workspace.Table,
}

// unlockedTypes are the types lockRow leaves alone on purpose.
var unlockedTypes = []string{ent.TypeDataRevision, ent.TypeSession, ent.TypeStatBucket, ent.TypeStatMunicipality, ent.TypeStatPilot}

// lockRow makes the updates and deletes of one row take turns on
// PostgreSQL: before any other hook runs it locks the row (SELECT … FOR NO
// KEY UPDATE, the lock PostgreSQL's own UPDATE takes, held to the end of
// the mutation's transaction). The checks that follow read the stored row
// (integrity.DatesInOrder and revision.DropUnchanged through ent's
// OldField, integrity.LeadTakesPart and KeepAnOwner by query, the
// policies, analytics' affected pilots), and at READ COMMITTED each of two
// concurrent updates would otherwise judge the row as it was before the
// other: a pilot's start moved past its end by one update while the other
// moved the end before the start, both accepted. Locked, the second waits
// for the first to commit and its checks see the first's result. SQLite
// has one writer, whose transactions run one at a time already.
//
// The lock is the one the write takes anyway, taken earlier in the same
// mutation; NO KEY UPDATE leaves references to the row (foreign keys take
// KEY SHARE) free, so inserts naming the row do not wait for it.
func lockRow(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if !m.Op().Is(ent.OpUpdateOne | ent.OpDeleteOne) {
			return next.Mutate(ctx, m)
		}
		table, ok := rowTables[m.Type()]
		if !ok {
			return next.Mutate(ctx, m)
		}
		type identified interface {
			ID() (int, bool)
			Client() *ent.Client
		}
		im, ok := m.(identified)
		if !ok {
			return nil, fmt.Errorf("lockRow: %s mutation without an id", m.Type())
		}
		if id, ok := im.ID(); ok {
			query := `SELECT 1 FROM "` + table + `" WHERE "id" = $1 FOR NO KEY UPDATE`
			if _, err := im.Client().ExecContext(ctx, query, id); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}
