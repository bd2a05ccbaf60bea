// Package integrity holds the ent hooks that keep stored data consistent,
// whoever writes it: creators, slugs, dates in order, a pilot's lead among
// its participants, links between actors, one adopter per adoption, a
// workspace's last owner, emails in lower case. Who may read and change
// what is internal/policy; ent/schema wires both to the entity types.
package integrity

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/hook"
	"kokeilu/ent/membership"
	"kokeilu/ent/network"
	"kokeilu/ent/operatingmodel"
	"kokeilu/ent/pilot"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"
	"kokeilu/internal/revision"
	"kokeilu/internal/scalar"
	"kokeilu/internal/slug"
)

// SetCreator records the signed-in viewer as creator (or author) of new
// rows: edge is "created_by" or "author".
func SetCreator() ent.Hook {
	type creatorSetter interface {
		SetCreatedByID(int)
	}
	type authorSetter interface {
		SetAuthorID(int)
	}
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if v := auth.FromContext(ctx); v != nil {
				switch s := m.(type) {
				case creatorSetter:
					s.SetCreatedByID(v.ID)
				case authorSetter:
					s.SetAuthorID(v.ID)
				}
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate)
}

// SlugFromName gives a new row without a slug one made of its name (field
// from), unique among its kind (exists): base, base-2, base-3, … The check
// and the insert are apart, so two requests creating the same name at the
// same moment may both pick one candidate; the loser's insert fails on the
// unique index and is tried again with the next free one (InsertOrNextSlug),
// so both databases create every row.
func SlugFromName(from string, exists func(ctx context.Context, c *ent.Client, slug string) (bool, error)) ent.Hook {
	type slugged interface {
		Slug() (string, bool)
		SetSlug(string)
		Client() *ent.Client
	}
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			s := m.(slugged)
			if _, ok := s.Slug(); ok {
				return next.Mutate(ctx, m)
			}
			name, _ := m.Field(from)
			base := slug.Make(fmt.Sprint(name))
			if base == "" {
				base = strings.ToLower(m.Type())
			}
			var v ent.Value
			err := InsertOrNextSlug(ctx, base,
				func(candidate string) (bool, error) { return exists(auth.System(ctx), s.Client(), candidate) },
				func(candidate string) error {
					s.SetSlug(candidate)
					var err error
					v, err = next.Mutate(ctx, m)
					return err
				})
			return v, err
		})
	}, ent.OpCreate)
}

// slugTries bounds the inserts of InsertOrNextSlug: each failed one lost to
// a concurrent insert of the same name, so this many at once are served.
const slugTries = 32

// InsertOrNextSlug inserts with the first of base, base-2, … that taken
// says is free; when the insert fails on a unique index over a slug (a
// concurrent request took the candidate after the check) it goes on with
// the next. Inside a transaction each try runs under a savepoint, since
// PostgreSQL's transaction cannot go on after the failed insert.
func InsertOrNextSlug(ctx context.Context, base string, taken func(string) (bool, error), insert func(string) error) error {
	n := 1
	next := func() (string, error) {
		for ; ; n++ {
			candidate := base
			if n > 1 {
				candidate = fmt.Sprintf("%s-%d", base, n)
			}
			t, err := taken(candidate)
			if err != nil || !t {
				n++
				return candidate, err
			}
		}
	}
	// The savepoint goes on the transaction's own connection; outside one
	// a failed insert spoils nothing.
	var tx *ent.Client
	if t := ent.TxFromContext(ctx); t != nil {
		tx = t.Client()
	}
	inTx := tx != nil
	for try := 1; ; try++ {
		candidate, err := next()
		if err != nil {
			return err
		}
		if inTx {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT slug_insert"); err != nil {
				return err
			}
		}
		err = insert(candidate)
		if err == nil || !slugTaken(err) || try == slugTries {
			if inTx && err == nil {
				_, err = tx.ExecContext(ctx, "RELEASE SAVEPOINT slug_insert")
			}
			return err
		}
		if inTx {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT slug_insert"); err != nil {
				return err
			}
		}
	}
}

// slugTaken tells whether err is a unique violation on a slug column
// (PostgreSQL names the index, …_slug_key; SQLite the column, ….slug).
func slugTaken(err error) bool {
	return ent.IsConstraintError(err) && strings.Contains(err.Error(), "slug")
}

// PilotSlugExists, NetworkSlugExists and OperatingModelSlugExists are the
// uniqueness checks of SlugFromName.
func PilotSlugExists(ctx context.Context, c *ent.Client, s string) (bool, error) {
	return c.Pilot.Query().Where(pilot.Slug(s)).Exist(ctx)
}

func NetworkSlugExists(ctx context.Context, c *ent.Client, s string) (bool, error) {
	return c.Network.Query().Where(network.Slug(s)).Exist(ctx)
}

func OperatingModelSlugExists(ctx context.Context, c *ent.Client, s string) (bool, error) {
	return c.OperatingModel.Query().Where(operatingmodel.Slug(s)).Exist(ctx)
}

// DatesInOrder refuses a row whose end (field end) comes before its start
// (field start), looking at stored values for the side not being changed.
// gqlName is the end's name in GraphQL, reported in extensions.field.
func DatesInOrder(start, end, gqlName string) ent.Hook {
	type oldFielder interface {
		OldField(context.Context, string) (ent.Value, error)
	}
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			value := func(name string) *time.Time {
				if v, ok := m.Field(name); ok {
					t := v.(time.Time)
					return &t
				}
				for _, c := range m.ClearedFields() {
					if c == name {
						return nil
					}
				}
				if m.Op().Is(ent.OpUpdateOne) {
					// An optional field's old value is a *time.Time, a
					// required one's a time.Time (a workshop's start).
					switch v, _ := m.(oldFielder).OldField(ctx, name); t := v.(type) {
					case *time.Time:
						return t
					case time.Time:
						return &t
					}
				}
				return nil
			}
			if s, e := value(start), value(end); s != nil && e != nil && e.Before(*s) {
				return nil, fault.BadInput(gqlName, "%s (%s) is before the start (%s)", gqlName,
					e.Format(scalar.DateLayout), s.Format(scalar.DateLayout))
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate|ent.OpUpdateOne)
}

// LeadTakesPart keeps a pilot's lead municipality among its participating
// municipalities, so that every count by participation (the one meaning of
// "a pilot in an area", analytics.Area) counts the lead. It judges the end
// state of the mutation, whatever order its parts were given in: the
// participants are cleared or removed from first and added to last (as the
// database applies them), and setting a lead adds it. An update whose end
// state has the stored lead, unchanged, no longer taking part is refused
// with BAD_USER_INPUT: change or clear the lead in the same update or an
// earlier one. Clearing the lead leaves the participants as they are.
func LeadTakesPart() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.PilotFunc(func(ctx context.Context, m *ent.PilotMutation) (ent.Value, error) {
			if lead, ok := m.LeadMunicipalityID(); ok {
				m.AddMunicipalityIDs(lead) // added last: it takes part whatever else m removes
				return next.Mutate(ctx, m)
			}
			removed, cleared := m.RemovedMunicipalitiesIDs(), m.MunicipalitiesCleared()
			if m.Op().Is(ent.OpCreate) || m.LeadMunicipalityCleared() || (len(removed) == 0 && !cleared) {
				return next.Mutate(ctx, m)
			}
			// The stored lead stays: it must still take part at the end.
			sys := auth.System(ctx)
			ids, err := m.IDs(sys)
			if err != nil {
				return nil, err
			}
			leads, err := m.Client().Pilot.Query().Where(pilot.IDIn(ids...), pilot.HasLeadMunicipality()).
				QueryLeadMunicipality().IDs(sys)
			if err != nil {
				return nil, err
			}
			added := m.MunicipalitiesIDs()
			for _, lead := range leads {
				switch {
				case slices.Contains(added, lead):
				case cleared:
					return nil, leadRemoved(ctx, m.Client(), lead, "clearMunicipalities")
				case slices.Contains(removed, lead):
					return nil, leadRemoved(ctx, m.Client(), lead, "removeMunicipalityIDs")
				}
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne)
}

// leadRemoved is LeadTakesPart's refusal, naming the municipality by code.
func leadRemoved(ctx context.Context, c *ent.Client, lead int, field string) error {
	code := "#" + strconv.Itoa(lead)
	if m, err := c.Municipality.Get(auth.System(ctx), lead); err == nil {
		code = m.Code + " (" + m.NameFi + ")"
	}
	return fault.BadInput(field, "municipality %s leads the pilot and so takes part in it: "+
		"to take it out of the participants, change or clear leadMunicipality in the same update or an earlier one", code)
}

// LinkEnds checks that a link joins two different actors that exist:
// municipalities, organisations, networks or pilots.
func LinkEnds() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.LinkFunc(func(ctx context.Context, m *ent.LinkMutation) (ent.Value, error) {
			src, _ := m.SourceID()
			dst, _ := m.TargetID()
			if src == dst {
				return nil, fault.BadInput("targetID", "a link joins two different actors")
			}
			for field, id := range map[string]int{"sourceID": src, "targetID": dst} {
				if err := isActor(ctx, m.Client(), id, field); err != nil {
					return nil, err
				}
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate)
}

func isActor(ctx context.Context, c *ent.Client, id int, field string) error {
	n, err := c.Noder(auth.System(ctx), id)
	if ent.IsNotFound(err) {
		return fault.BadInput(field, "%s names nothing", field)
	}
	if err != nil {
		return err
	}
	switch n.(type) {
	case *ent.Municipality, *ent.Organization, *ent.Network, *ent.Pilot:
		return nil
	}
	return fault.BadInput(field, "%s must be a municipality, organisation, network or pilot", field)
}

// KeepAnOwner refuses to remove or demote a workspace's last owner.
func KeepAnOwner() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.MembershipFunc(func(ctx context.Context, m *ent.MembershipMutation) (ent.Value, error) {
			id, _ := m.ID()
			sys := auth.System(ctx)
			target, err := m.Client().Membership.Get(sys, id)
			if err != nil {
				return nil, err
			}
			newRole, changing := m.Role()
			leaving := m.Op().Is(ent.OpDeleteOne)
			if target.Role == membership.RoleOWNER && (leaving || (changing && newRole != membership.RoleOWNER)) {
				// Owner changes of one workspace take turns: the row update
				// holds its lock on PostgreSQL until the transaction ends
				// (SQLite has one writer), so two owners demoting each other
				// at once cannot both see the other still there.
				if err := m.Client().Workspace.UpdateOneID(target.WorkspaceID).SetUpdatedAt(time.Now()).Exec(revision.Touch(sys)); err != nil {
					return nil, err
				}
				if target, err = m.Client().Membership.Get(sys, id); err != nil {
					return nil, err
				}
			}
			if target.Role == membership.RoleOWNER && (leaving || (changing && newRole != membership.RoleOWNER)) {
				owners, err := m.Client().Membership.Query().
					Where(membership.WorkspaceID(target.WorkspaceID), membership.RoleEQ(membership.RoleOWNER)).
					Count(sys)
				if err != nil {
					return nil, err
				}
				if owners <= 1 {
					return nil, fault.Forbiddenf("the last owner cannot leave or step down; make another member owner first")
				}
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpUpdateOne|ent.OpDeleteOne)
}

// LowercaseEmail stores emails lower-cased, so uniqueness ignores case.
func LowercaseEmail() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.UserFunc(func(ctx context.Context, m *ent.UserMutation) (ent.Value, error) {
			if e, ok := m.Email(); ok {
				m.SetEmail(strings.ToLower(strings.TrimSpace(e)))
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne)
}

// AdoptionHasOneAdopter refuses an adoption without an adopter or with two:
// it is a municipality's or a pilot's.
func AdoptionHasOneAdopter() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.AdoptionFunc(func(ctx context.Context, m *ent.AdoptionMutation) (ent.Value, error) {
			_, byMunicipality := m.MunicipalityID()
			_, byPilot := m.PilotID()
			if byMunicipality == byPilot {
				return nil, fault.BadInput("municipalityID", "an adoption names either a municipality or a pilot as adopter")
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate)
}
