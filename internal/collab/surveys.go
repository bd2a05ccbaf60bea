package collab

import (
	"context"
	"errors"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/membership"
	"kokeilu/ent/predicate"
	"kokeilu/ent/survey"
	"kokeilu/ent/surveyresponse"
	"kokeilu/graph/model"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"
	"kokeilu/internal/policy"
	"kokeilu/internal/questionnaire"
)

// inputError turns a questionnaire's complaint into BAD_USER_INPUT.
func inputError(err error) error {
	var in *questionnaire.InputError
	if errors.As(err, &in) {
		return fault.BadInput(in.Field, "%s", in.Message)
	}
	return err
}

// SurveyOpen is the predicate of surveys taking answers at now.
func SurveyOpen(now time.Time) predicate.Survey {
	return survey.And(survey.OpensAtLTE(now), survey.Or(survey.ClosesAtIsNil(), survey.ClosesAtGT(now)))
}

// IsOpen tells whether a survey takes answers at now.
func IsOpen(s *ent.Survey, now time.Time) bool {
	return !s.OpensAt.After(now) && (s.ClosesAt == nil || s.ClosesAt.After(now))
}

// CreateSurvey creates a survey of a workspace (ADMIN or OWNER).
func CreateSurvey(ctx context.Context, c *ent.Client, in model.CreateSurveyInput) (*ent.Survey, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	title, desc, err := heading(in.Title, "description", in.Description)
	if err != nil {
		return nil, err
	}
	questions := make([]questionnaire.Question, len(in.Questions))
	for i, q := range in.Questions {
		questions[i] = *q
	}
	if questions, err = questionnaire.Prepare(questions); err != nil {
		return nil, inputError(err)
	}
	if err := workspaceRef(ctx, c, in.WorkspaceID); err != nil {
		return nil, err
	}
	opens := time.Now()
	if in.OpensAt != nil {
		opens = *in.OpensAt
	}
	create := c.Survey.Create().SetWorkspaceID(in.WorkspaceID).SetTitle(title).SetDescription(desc).
		SetQuestions(questions).SetOpensAt(opens).SetNillableClosesAt(in.ClosesAt).SetNillableAudience(in.Audience)
	if in.ResultsVisibleToRespondents != nil {
		create.SetResultsVisibleToRespondents(*in.ResultsVisibleToRespondents)
	}
	return create.Save(ctx)
}

// CloseSurvey ends a survey's answering now (ADMIN or OWNER).
func CloseSurvey(ctx context.Context, c *ent.Client, id int) (*ent.Survey, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	s, err := c.Survey.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	update := c.Survey.UpdateOneID(id).SetClosesAt(now)
	if s.ClosesAt != nil && !s.ClosesAt.After(now) {
		// Closed already: nothing to write, but only those who may close
		// it hear so.
		return s, survey.Policy.EvalMutation(ctx, update.Mutation())
	}
	if s.OpensAt.After(now) {
		update.SetOpensAt(now) // never opened: closed before it began
	}
	return update.Save(ctx)
}

// AnswerSurvey stores the viewer's answers, replacing earlier ones, while
// the survey is open.
func AnswerSurvey(ctx context.Context, c *ent.Client, surveyID int, answers []*questionnaire.Answer) (*ent.SurveyResponse, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	c = client(ctx, c)
	s, err := c.Survey.Get(ctx, surveyID)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if !IsOpen(s, now) {
		if s.OpensAt.After(now) {
			return nil, fault.BadInput("surveyId", "the survey opens at %s", s.OpensAt.UTC().Format(time.RFC3339))
		}
		return nil, fault.BadInput("surveyId", "the survey closed at %s", s.ClosesAt.UTC().Format(time.RFC3339))
	}
	given := make([]questionnaire.Answer, len(answers))
	for i, a := range answers {
		given[i] = *a
	}
	checked, err := questionnaire.Check(s.Questions, given)
	if err != nil {
		return nil, inputError(err)
	}
	// One response per respondent: a second answer replaces the first.
	id, err := c.SurveyResponse.Create().SetSurveyID(surveyID).SetUserID(v.ID).SetAnswers(checked).SetSubmittedAt(now).
		OnConflictColumns(surveyresponse.FieldSurveyID, surveyresponse.FieldUserID).
		UpdateAnswers().UpdateSubmittedAt().
		ID(ctx)
	if err != nil {
		return nil, err
	}
	return c.SurveyResponse.Get(ctx, id)
}

// ResponseCount is how many have answered a survey.
func ResponseCount(ctx context.Context, c *ent.Client, s *ent.Survey) (int, error) {
	return c.SurveyResponse.Query().Where(surveyresponse.SurveyID(s.ID)).Count(auth.System(ctx))
}

// ViewerResponse is the viewer's own response to a survey, or nil.
func ViewerResponse(ctx context.Context, c *ent.Client, s *ent.Survey) (*ent.SurveyResponse, error) {
	v := auth.FromContext(ctx)
	if v == nil {
		return nil, nil
	}
	r, err := c.SurveyResponse.Query().Where(surveyresponse.SurveyID(s.ID), surveyresponse.UserID(v.ID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return r, err
}

// CanAnswer tells whether the viewer may answer a survey now.
func CanAnswer(ctx context.Context, c *ent.Client, s *ent.Survey) (bool, error) {
	v := auth.FromContext(ctx)
	if v == nil || !IsOpen(s, time.Now()) {
		return false, nil
	}
	if s.Audience == survey.AudienceSIGNED_IN {
		return true, nil // it is visible to the viewer, who is signed in
	}
	wsID, err := c.Survey.Query().Where(survey.ID(s.ID)).QueryWorkspace().OnlyID(auth.System(ctx))
	if err != nil {
		return false, err
	}
	m, err := own(ctx, c, wsID, v)
	return m != nil && m.Role != membership.RolePENDING, err
}

// Results tallies a survey's responses for those who may see them: the
// workspace's admins and owners always; respondents once it has closed, if
// the survey shows them its results.
func Results(ctx context.Context, c *ent.Client, s *ent.Survey) (*questionnaire.Results, error) {
	sys := auth.System(ctx)
	wsID, err := c.Survey.Query().Where(survey.ID(s.ID)).QueryWorkspace().OnlyID(sys)
	if err != nil {
		return nil, err
	}
	manages, err := policy.Manages(ctx, c, wsID)
	if err != nil {
		return nil, err
	}
	if !manages {
		own, err := ViewerResponse(ctx, c, s)
		if err != nil {
			return nil, err
		}
		closed := s.ClosesAt != nil && !s.ClosesAt.After(time.Now())
		switch {
		case own == nil || !s.ResultsVisibleToRespondents:
			return nil, fault.Forbiddenf("only the workspace's admins and owners see these results")
		case !closed:
			return nil, fault.Forbiddenf("respondents see the results once the survey has closed")
		}
	}
	responses, err := c.SurveyResponse.Query().Where(surveyresponse.SurveyID(s.ID)).
		Order(ent.Asc(surveyresponse.FieldSubmittedAt), ent.Asc(surveyresponse.FieldID)).All(sys)
	if err != nil {
		return nil, err
	}
	answers := make([][]questionnaire.Answer, len(responses))
	for i, r := range responses {
		answers[i] = r.Answers
	}
	results := questionnaire.Tally(s.Questions, answers)
	return &results, nil
}
