package policy

import (
	"context"

	"kokeilu/ent"
	"kokeilu/ent/adoption"
	"kokeilu/ent/operatingmodel"
	"kokeilu/ent/predicate"
	"kokeilu/ent/privacy"
	"kokeilu/ent/survey"
	"kokeilu/ent/surveyresponse"
	"kokeilu/ent/workshop"
	"kokeilu/ent/workshopregistration"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"
)

// Survey (after WorkspaceContent, which reads it as the workspace's
// contents): created, closed and removed by its admins and owners.
func Survey() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			managedContent("surveys", func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Survey.Query().Where(survey.ID(id)).QueryWorkspace().OnlyID(ctx)
			}),
		},
	}
}

// SurveyResponse: respondents read their own answers (results are tallied
// by the survey package after its own check). A user answers for
// themselves, as a member, or as anyone signed in who may read the
// workspace when the survey is open to all signed-in users.
func SurveyResponse() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.SurveyResponseQueryRuleFunc(func(ctx context.Context, q *ent.SurveyResponseQuery) error {
				return filterFor(ctx, func(v *auth.Viewer) { q.Where(SurveyResponseVisible(v)) })
			}),
		},
		Mutation: privacy.MutationPolicy{
			requireViewer(),
			privacy.SurveyResponseMutationRuleFunc(func(ctx context.Context, m *ent.SurveyResponseMutation) error {
				c, sys, v := m.Client(), auth.System(ctx), auth.FromContext(ctx)
				if !m.Op().Is(ent.OpCreate) {
					ids, err := m.IDs(sys)
					if err != nil {
						return err
					}
					n, err := c.SurveyResponse.Query().Where(surveyresponse.IDIn(ids...), surveyresponse.UserIDNEQ(v.ID)).Count(sys)
					if err != nil {
						return err
					}
					if n > 0 {
						return fault.Forbiddenf("only respondents change their own answers")
					}
					return privacy.Allow
				}
				if userID, _ := m.UserID(); userID != v.ID {
					return fault.Forbiddenf("users answer surveys for themselves")
				}
				surveyID, _ := m.SurveyID()
				s, err := c.Survey.Query().Where(survey.ID(surveyID)).WithWorkspace().Only(sys)
				if err != nil {
					return err
				}
				if s.Audience == survey.AudienceMEMBERS {
					return requireRole(ctx, c, s.Edges.Workspace.ID, "answer this survey", members...)
				}
				// SIGNED_IN: whoever may read the survey may answer it.
				if _, err := c.Survey.Get(ctx, surveyID); err != nil {
					return fault.Forbiddenf("only members may answer this survey")
				}
				return privacy.Allow
			}),
		},
	}
}

// Workshop (after WorkspaceContent, which reads it as the workspace's
// contents): arranged by its admins and owners.
func Workshop() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			managedContent("workshops", func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Workshop.Query().Where(workshop.ID(id)).QueryWorkspace().OnlyID(ctx)
			}),
		},
	}
}

// WorkshopRegistration: a member signs up and cancels for themselves; the
// participant list is for the workspace's admins and owners, and everyone
// sees their own registration.
func WorkshopRegistration() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.WorkshopRegistrationQueryRuleFunc(func(ctx context.Context, q *ent.WorkshopRegistrationQuery) error {
				return filterFor(ctx, func(v *auth.Viewer) { q.Where(WorkshopRegistrationVisible(v)) })
			}),
		},
		Mutation: privacy.MutationPolicy{
			requireViewer(),
			allowSiteAdmin(),
			privacy.WorkshopRegistrationMutationRuleFunc(func(ctx context.Context, m *ent.WorkshopRegistrationMutation) error {
				c, sys, v := m.Client(), auth.System(ctx), auth.FromContext(ctx)
				if m.Op().Is(ent.OpCreate) {
					if userID, _ := m.UserID(); userID != v.ID {
						return fault.Forbiddenf("members sign up for themselves")
					}
					workshopID, _ := m.WorkshopID()
					wsID, err := c.Workshop.Query().Where(workshop.ID(workshopID)).QueryWorkspace().OnlyID(sys)
					if err != nil {
						return err
					}
					return requireRole(ctx, c, wsID, "sign up for workshops", members...)
				}
				ids, err := m.IDs(sys)
				if err != nil {
					return err
				}
				for _, id := range ids {
					r, err := c.WorkshopRegistration.Query().Where(workshopregistration.ID(id)).WithWorkshop().Only(sys)
					if err != nil {
						return err
					}
					if r.UserID == v.ID && m.Op().Is(ent.OpDelete|ent.OpDeleteOne) {
						continue
					}
					wsID, err := r.Edges.Workshop.QueryWorkspace().OnlyID(sys)
					if err != nil {
						return err
					}
					if err := requireRole(ctx, c, wsID, "change others' registrations", managers...); err != privacy.Allow {
						return err
					}
				}
				return privacy.Allow
			}),
		},
	}
}

// OperatingModel: public like pilots, unless it belongs to a workspace whose
// contents the viewer may not read. Anyone signed in describes a model (a
// workspace's members, when it belongs to one); its author and site
// administrators change it.
func OperatingModel() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.OperatingModelQueryRuleFunc(func(ctx context.Context, q *ent.OperatingModelQuery) error {
				return filterFor(ctx, func(v *auth.Viewer) { q.Where(OperatingModelVisible(v)) })
			}),
		},
		Mutation: privacy.MutationPolicy{
			requireViewer(),
			allowSiteAdmin(),
			AttachOnlyWhatYouEdit(Attaches{operatingmodel.EdgeParts: OperatingModelCreator, operatingmodel.EdgePartOf: OperatingModelCreator, operatingmodel.EdgeDevelopedIn: PilotCreator}),
			privacy.OperatingModelMutationRuleFunc(func(ctx context.Context, m *ent.OperatingModelMutation) error {
				if m.Op().Is(ent.OpCreate) {
					if wsID, ok := m.WorkspaceID(); ok {
						return requireRole(ctx, m.Client(), wsID, "add operating models", members...)
					}
					return privacy.Allow
				}
				return privacy.Skip
			}),
			authorsChange(OperatingModelCreator),
		},
	}
}

// Adoption: readable with its operating model; anyone signed in records one
// (of any public model, by a municipality or by a pilot they may change);
// its recorder and site administrators change it.
func Adoption() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.AdoptionQueryRuleFunc(func(ctx context.Context, q *ent.AdoptionQuery) error {
				return filterFor(ctx, func(v *auth.Viewer) { q.Where(AdoptionVisible(v)) })
			}),
		},
		Mutation: privacy.MutationPolicy{
			requireViewer(),
			allowSiteAdmin(),
			AttachOnlyWhatYouEdit(Attaches{adoption.EdgePilot: PilotCreator}),
			privacy.OnMutationOperation(privacy.AlwaysAllowRule(), ent.OpCreate),
			authorsChange(AdoptionCreator),
		},
	}
}

// OperatingModelCreator and AdoptionCreator read the created_by edge.
func OperatingModelCreator(ctx context.Context, c *ent.Client, id int) (int, bool, error) {
	return firstID(c.OperatingModel.Query().Where(operatingmodel.ID(id)).QueryCreatedBy().IDs(auth.System(ctx)))
}

func AdoptionCreator(ctx context.Context, c *ent.Client, id int) (int, bool, error) {
	return firstID(c.Adoption.Query().Where(adoption.ID(id)).QueryCreatedBy().IDs(auth.System(ctx)))
}

// SurveyVisible and WorkshopVisible: read as the workspace's contents
// (WorkspaceContent).
func SurveyVisible(v *auth.Viewer) predicate.Survey {
	return survey.HasWorkspaceWith(contentVisible(v))
}

func WorkshopVisible(v *auth.Viewer) predicate.Workshop {
	return workshop.HasWorkspaceWith(contentVisible(v))
}

// SurveyResponseVisible: respondents read their own answers.
func SurveyResponseVisible(v *auth.Viewer) predicate.SurveyResponse {
	if v == nil {
		return surveyresponse.ID(-1)
	}
	return surveyresponse.UserID(v.ID)
}

// WorkshopRegistrationVisible: one's own registrations, and the participant
// lists of the workshops of workspaces one administers.
func WorkshopRegistrationVisible(v *auth.Viewer) predicate.WorkshopRegistration {
	if v == nil {
		return workshopregistration.ID(-1)
	}
	return workshopregistration.Or(
		workshopregistration.UserID(v.ID),
		workshopregistration.HasWorkshopWith(workshop.HasWorkspaceWith(isManager(v))),
	)
}

// OperatingModelVisible: public, unless the model belongs to a workspace
// whose contents the viewer may not read.
func OperatingModelVisible(v *auth.Viewer) predicate.OperatingModel {
	return operatingmodel.Or(
		operatingmodel.Not(operatingmodel.HasWorkspace()),
		operatingmodel.HasWorkspaceWith(contentVisible(v)),
	)
}

// AdoptionVisible: readable with its operating model.
func AdoptionVisible(v *auth.Viewer) predicate.Adoption {
	return adoption.HasOperatingModelWith(OperatingModelVisible(v))
}
