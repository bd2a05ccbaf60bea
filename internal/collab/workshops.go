package collab

import (
	"context"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/workshopregistration"
	"kokeilu/graph/model"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"
	"kokeilu/internal/revision"
)

func capacity(n *int) error {
	if n != nil && (*n < 1 || *n > 100000) {
		return fault.BadInput("capacity", "capacity is from 1 to 100000")
	}
	return nil
}

// CreateWorkshop arranges a workshop in a workspace (ADMIN or OWNER).
func CreateWorkshop(ctx context.Context, c *ent.Client, in model.CreateWorkshopInput) (*ent.Workshop, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	title, desc, err := heading(in.Title, "description", in.Description)
	if err != nil {
		return nil, err
	}
	place, err := text("place", deref(in.Place), false)
	if err != nil {
		return nil, err
	}
	online, err := webURL("onlineURL", in.OnlineURL)
	if err != nil {
		return nil, err
	}
	if err := capacity(&in.Capacity); err != nil {
		return nil, err
	}
	if err := workspaceRef(ctx, c, in.WorkspaceID); err != nil {
		return nil, err
	}
	return c.Workshop.Create().SetWorkspaceID(in.WorkspaceID).SetTitle(title).SetDescription(desc).
		SetStartsAt(in.StartsAt).SetNillableEndsAt(in.EndsAt).SetPlace(place).SetOnlineURL(online).
		SetCapacity(in.Capacity).Save(ctx)
}

// UpdateWorkshop changes a workshop (ADMIN or OWNER); more places move the
// first waiting up.
func UpdateWorkshop(ctx context.Context, c *ent.Client, id int, in model.UpdateWorkshopInput) (*ent.Workshop, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, err := c.Workshop.Get(ctx, id); err != nil {
		return nil, err
	}
	if err := capacity(in.Capacity); err != nil {
		return nil, err
	}
	update := c.Workshop.UpdateOneID(id).SetNillableStartsAt(in.StartsAt).SetNillableEndsAt(in.EndsAt).
		SetNillableCapacity(in.Capacity)
	for _, f := range []struct {
		name string
		in   *string
		set  func(string) *ent.WorkshopUpdateOne
	}{
		{"title", in.Title, update.SetTitle},
		{"description", in.Description, update.SetDescription},
		{"place", in.Place, update.SetPlace},
	} {
		if f.in != nil {
			s, err := text(f.name, *f.in, f.name == "title")
			if err != nil {
				return nil, err
			}
			f.set(s)
		}
	}
	if in.OnlineURL != nil {
		online, err := webURL("onlineURL", in.OnlineURL)
		if err != nil {
			return nil, err
		}
		update.SetOnlineURL(online)
	}
	w, err := update.Save(ctx)
	if err != nil {
		return nil, err
	}
	return w, moveUp(ctx, c, w)
}

// lockWorkshop serialises sign-ups and cancellations of one workshop: the
// row update takes its lock on PostgreSQL until the transaction ends (on
// SQLite every write transaction is exclusive already), so two people
// cannot both take the last place.
func lockWorkshop(ctx context.Context, c *ent.Client, id int) (*ent.Workshop, error) {
	if _, err := c.Workshop.Get(ctx, id); err != nil {
		return nil, err // not there, or not for this viewer
	}
	return c.Workshop.UpdateOneID(id).SetUpdatedAt(time.Now()).Save(revision.Touch(auth.System(ctx)))
}

func registrations(w *ent.Workshop, status workshopregistration.Status) *ent.WorkshopRegistrationQuery {
	return w.QueryRegistrations().Where(workshopregistration.StatusEQ(status))
}

// SignUp registers the viewer for a workshop: as a participant while places
// are left, otherwise on the waiting list (members).
func SignUp(ctx context.Context, c *ent.Client, workshopID int) (*ent.WorkshopRegistration, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	c = client(ctx, c)
	w, err := lockWorkshop(ctx, c, workshopID)
	if err != nil {
		return nil, err
	}
	sys := auth.System(ctx)
	taken, err := w.QueryRegistrations().Where(workshopregistration.UserID(v.ID)).Exist(sys)
	if err != nil {
		return nil, err
	}
	if taken {
		return nil, fault.Conflictf("you have signed up for this workshop already")
	}
	participants, err := registrations(w, workshopregistration.StatusPARTICIPANT).Count(sys)
	if err != nil {
		return nil, err
	}
	status := workshopregistration.StatusPARTICIPANT
	if participants >= w.Capacity {
		status = workshopregistration.StatusWAITING
	}
	return c.WorkshopRegistration.Create().SetWorkshopID(w.ID).SetUserID(v.ID).SetStatus(status).Save(ctx)
}

// CancelRegistration removes the viewer's registration; a freed place goes
// to the first on the waiting list.
func CancelRegistration(ctx context.Context, c *ent.Client, workshopID int) (*ent.Workshop, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	c = client(ctx, c)
	w, err := lockWorkshop(ctx, c, workshopID)
	if err != nil {
		return nil, err
	}
	r, err := registrationOf(ctx, w, v.ID)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fault.NotFoundf("you have not signed up for this workshop")
	}
	if err := c.WorkshopRegistration.DeleteOneID(r.ID).Exec(ctx); err != nil {
		return nil, err
	}
	return w, moveUp(ctx, c, w)
}

// moveUp fills free places from the waiting list, first come first served.
// It is the workshop's own rule, not the acting user's right, so it runs in
// the system context.
func moveUp(ctx context.Context, c *ent.Client, w *ent.Workshop) error {
	sys := auth.System(ctx)
	participants, err := registrations(w, workshopregistration.StatusPARTICIPANT).Count(sys)
	if err != nil || participants >= w.Capacity {
		return err
	}
	next, err := registrations(w, workshopregistration.StatusWAITING).
		Order(ent.Asc(workshopregistration.FieldRegisteredAt), ent.Asc(workshopregistration.FieldID)).
		Limit(w.Capacity - participants).Unique(false).IDs(sys)
	if err != nil || len(next) == 0 {
		return err
	}
	return c.WorkshopRegistration.Update().Where(workshopregistration.IDIn(next...)).
		SetStatus(workshopregistration.StatusPARTICIPANT).Exec(sys)
}

// WorkshopCounts are a workshop's participants and waiting.
func WorkshopCounts(ctx context.Context, w *ent.Workshop) (participants, waiting int, err error) {
	sys := auth.System(ctx)
	if participants, err = registrations(w, workshopregistration.StatusPARTICIPANT).Count(sys); err != nil {
		return 0, 0, err
	}
	waiting, err = registrations(w, workshopregistration.StatusWAITING).Count(sys)
	return participants, waiting, err
}

// ViewerRegistration is the viewer's registration for a workshop, or nil.
func ViewerRegistration(ctx context.Context, w *ent.Workshop) (*ent.WorkshopRegistration, error) {
	v := auth.FromContext(ctx)
	if v == nil {
		return nil, nil
	}
	return registrationOf(ctx, w, v.ID)
}

// registrationOf is a user's registration for a workshop, or nil.
func registrationOf(ctx context.Context, w *ent.Workshop, userID int) (*ent.WorkshopRegistration, error) {
	r, err := w.QueryRegistrations().Where(workshopregistration.UserID(userID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return r, err
}

// WaitingPosition is a waiting registration's place in the queue, from 1.
func WaitingPosition(ctx context.Context, c *ent.Client, r *ent.WorkshopRegistration) (*int, error) {
	if r.Status != workshopregistration.StatusWAITING {
		return nil, nil
	}
	ahead, err := c.WorkshopRegistration.Query().Where(
		workshopregistration.WorkshopID(r.WorkshopID),
		workshopregistration.StatusEQ(workshopregistration.StatusWAITING),
		workshopregistration.Or(
			workshopregistration.RegisteredAtLT(r.RegisteredAt),
			workshopregistration.And(workshopregistration.RegisteredAt(r.RegisteredAt), workshopregistration.IDLT(r.ID)),
		),
	).Count(auth.System(ctx))
	if err != nil {
		return nil, err
	}
	pos := ahead + 1
	return &pos, nil
}
