package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"kokeilu/ent/survey"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/questionnaire"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

// sections are a world's materials, surveys, workshop and operating model,
// made directly in the database. IDs are global GraphQL IDs.
type sections struct {
	Material, OpenSurvey, Workshop, Model, OtherWorkspace string
}

func (a *api) newSections(p people, w world) sections {
	a.t.Helper()
	ctx := auth.System(context.Background())
	c := a.db.Client
	wsID, _ := scalar.DecodeID(w.Workspace)
	mat := c.Material.Create().SetWorkspaceID(wsID).SetTitle("Opas").SetAuthorID(p.id["member"]).SaveX(ctx)
	s := c.Survey.Create().SetWorkspaceID(wsID).SetTitle("Kysely").SetOpensAt(time.Now().Add(-time.Hour)).
		SetQuestions([]questionnaire.Question{{Key: "q1", Kind: questionnaire.Scale, Text: "Arvio", Required: true}}).SaveX(ctx)
	ws := c.Workshop.Create().SetWorkspaceID(wsID).SetTitle("Verstas").SetStartsAt(time.Now().Add(48 * time.Hour)).SetCapacity(2).SaveX(ctx)
	m := c.OperatingModel.Create().SetWorkspaceID(wsID).SetName("Malli").SetSlug(fmt.Sprintf("malli-%d", wsID)).SetCreatedByID(p.id["member"]).SaveX(ctx)
	// Another members-only workspace where everyone has the same role, to
	// place this one under.
	other := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
	return sections{Material: scalar.EncodeID(mat.ID), OpenSurvey: scalar.EncodeID(s.ID), Workshop: scalar.EncodeID(ws.ID),
		Model: scalar.EncodeID(m.ID), OtherWorkspace: other.Workspace}
}

// TestSectionPermissions runs every workspace-section mutation as every kind
// of person against a fresh members-only workspace.
func TestSectionPermissions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		const (
			U = "UNAUTHENTICATED"
			F = "FORBIDDEN"
			N = "NOT_FOUND"
			K = "OK"
		)
		type ids struct {
			w world
			s sections
		}
		cases := []struct {
			name  string
			query string
			vars  func(x ids) map[string]any
			want  map[string]string
		}{
			{"addMaterial", `mutation($ws: ID!) { addMaterial(input: {workspaceId: $ws, title: "Linkki", kind: LINK, url: "https://example.org/a"}) { id kind author { id } } }`,
				func(x ids) map[string]any { return map[string]any{"ws": x.w.Workspace} },
				expect(U, F, F, K, K, K, K)},
			{"updateMaterial (the member's)", `mutation($id: ID!) { updateMaterial(id: $id, input: {title: "Uusi nimi"}) { title } }`,
				func(x ids) map[string]any { return map[string]any{"id": x.s.Material} },
				expect(U, N, N, K, K, K, K)},
			{"removeMaterial (the member's)", `mutation($id: ID!) { removeMaterial(id: $id) }`,
				func(x ids) map[string]any { return map[string]any{"id": x.s.Material} },
				expect(U, N, N, K, K, K, K)},
			{"createSurvey", `mutation($ws: ID!) { createSurvey(input: {workspaceId: $ws, title: "K", questions: [{kind: FREE_TEXT, text: "Mitä?"}]}) { id open } }`,
				func(x ids) map[string]any { return map[string]any{"ws": x.w.Workspace} },
				expect(U, F, F, F, K, K, K)},
			{"closeSurvey", `mutation($id: ID!) { closeSurvey(id: $id) { open } }`,
				func(x ids) map[string]any { return map[string]any{"id": x.s.OpenSurvey} },
				expect(U, N, N, F, K, K, K)},
			{"answerSurvey", `mutation($id: ID!) { answerSurvey(surveyId: $id, answers: [{questionKey: "q1", scale: 4}]) { answers { scale } } }`,
				func(x ids) map[string]any { return map[string]any{"id": x.s.OpenSurvey} },
				expect(U, N, N, K, K, K, K)},
			{"createWorkshop", `mutation($ws: ID!) { createWorkshop(input: {workspaceId: $ws, title: "V", startsAt: "2030-01-01T09:00:00Z", capacity: 5}) { id seatsLeft } }`,
				func(x ids) map[string]any { return map[string]any{"ws": x.w.Workspace} },
				expect(U, F, F, F, K, K, K)},
			{"updateWorkshop", `mutation($id: ID!) { updateWorkshop(id: $id, input: {capacity: 3}) { capacity } }`,
				func(x ids) map[string]any { return map[string]any{"id": x.s.Workshop} },
				expect(U, N, N, F, K, K, K)},
			{"signUpForWorkshop", `mutation($id: ID!) { signUpForWorkshop(workshopId: $id) { status } }`,
				func(x ids) map[string]any { return map[string]any{"id": x.s.Workshop} },
				expect(U, N, N, K, K, K, K)},
			{"addWorkspaceProject", `mutation($ws: ID!, $p: ID!) { addWorkspaceProject(workspaceId: $ws, pilotId: $p) { summary { projects } } }`,
				func(x ids) map[string]any { return map[string]any{"ws": x.w.Workspace, "p": x.w.Pilot} },
				expect(U, F, F, F, K, K, K)},
			{"setParentWorkspace", `mutation($ws: ID!, $parent: ID!) { setParentWorkspace(workspaceId: $ws, parentId: $parent) { parent { id } } }`,
				func(x ids) map[string]any { return map[string]any{"ws": x.w.Workspace, "parent": x.s.OtherWorkspace} },
				expect(U, F, F, F, K, K, K)},
			{"createOperatingModel (in the workspace)", `mutation($ws: ID!) { createOperatingModel(input: {name: "Toimintamalli", workspaceID: $ws}) { slug } }`,
				func(x ids) map[string]any { return map[string]any{"ws": x.w.Workspace} },
				expect(U, F, F, K, K, K, K)},
			{"updateOperatingModel (the member's)", `mutation($id: ID!) { updateOperatingModel(id: $id, input: {funder: "STM"}) { funder } }`,
				func(x ids) map[string]any { return map[string]any{"id": x.s.Model} },
				expect(U, N, N, K, F, F, K)},
			{"recordAdoption (of a members-only model)", `mutation($id: ID!, $m: ID!) { recordAdoption(input: {operatingModelID: $id, municipalityID: $m, adoptedOn: "2024-05-01"}) { adoptedOn } }`,
				// A hidden model named in an input: BAD_USER_INPUT on operatingModelID.
				func(x ids) map[string]any { return map[string]any{"id": x.s.Model, "m": x.w.Municipality} },
				expect(U, "BAD_USER_INPUT", "BAD_USER_INPUT", K, K, K, K)},
		}
		for _, c := range cases {
			for _, role := range roles {
				w := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
				s := a.newSections(p, w)
				res := a.post(c.query, c.vars(ids{w, s}), p.header(role)...)
				if got := outcome(res); got != c.want[role] {
					t.Errorf("%s as %s: got %s, want %s (%+v)", c.name, role, got, c.want[role], res.Errors)
				}
			}
		}
	})
}

// TestSectionReads reads a members-only workspace's sections and summary as
// every kind of person: outsiders see none of its contents.
func TestSectionReads(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		s := a.newSections(p, w)
		const q = `query($ws: ID!) {
			ws: node(id: $ws) { ... on Workspace {
				materials { totalCount } surveys { totalCount } workshops { totalCount } operatingModels { totalCount }
				summary { members materials discussions surveys openSurveys workshops projects subWorkspaces operatingModels }
			} }
			materials { totalCount } surveys { totalCount } workshops { totalCount } operatingModels { totalCount }
		}`
		type summary struct {
			Members, Materials, Discussions, Surveys, OpenSurveys, Workshops, Projects, SubWorkspaces, OperatingModels int
		}
		hidden := summary{}
		inside := summary{Members: 3, Materials: 1, Discussions: 1, Surveys: 1, OpenSurveys: 1, Workshops: 1, OperatingModels: 1}
		want := map[string]summary{"anonymous": hidden, "outsider": hidden, "pending": hidden,
			"member": inside, "admin": inside, "owner": inside, "siteAdmin": inside}
		for _, role := range roles {
			var got struct {
				WS struct {
					Materials, Surveys, Workshops, OperatingModels struct{ TotalCount int }
					Summary                                        summary
				}
				Materials, Surveys, Workshops, OperatingModels struct{ TotalCount int }
			}
			a.query(&got, q, map[string]any{"ws": w.Workspace}, p.header(role)...)
			if got.WS.Summary != want[role] {
				t.Errorf("%s: summary %+v, want %+v", role, got.WS.Summary, want[role])
			}
			lists := []int{got.WS.Materials.TotalCount, got.WS.Surveys.TotalCount, got.WS.Workshops.TotalCount, got.WS.OperatingModels.TotalCount,
				got.Materials.TotalCount, got.Surveys.TotalCount, got.Workshops.TotalCount, got.OperatingModels.TotalCount}
			for i, n := range lists {
				if n != want[role].Materials {
					t.Errorf("%s: list %d has %d items, want %d", role, i, n, want[role].Materials)
				}
			}
			model := outcome(a.post(`query($m: ID!) { node(id: $m) { id } }`, map[string]any{"m": s.Model}, p.header(role)...))
			if (model == "OK") != (want[role] == inside) || (model != "OK" && model != "NOT_FOUND") {
				t.Errorf("%s: reading the operating model gave %s", role, model)
			}
		}
	})
}

const answerSurvey = `mutation($id: ID!, $a: [SurveyAnswerInput!]!) { answerSurvey(surveyId: $id, answers: $a) { submittedAt answers { questionKey choices scale text } } }`

// TestSurveys creates a survey of every question kind, answers it as
// several members (once replacing an answer), refuses answers of the wrong
// shape or outside the open period, and checks that the results match.
func TestSurveys(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		var created struct{ CreateSurvey struct{ ID string } }
		a.query(&created, `mutation($ws: ID!) { createSurvey(input: {workspaceId: $ws, title: "Palaute", resultsVisibleToRespondents: true, questions: [
			{kind: SINGLE_CHOICE, text: "Paikalla?", choices: ["Kyllä", "Etänä"], required: true},
			{kind: MULTIPLE_CHOICE, text: "Aiheet", choices: ["Talous", "Hyvinvointi", "Työ"]},
			{kind: SCALE, text: "Arvio"},
			{kind: FREE_TEXT, text: "Toiveet"}]}) { id } }`, map[string]any{"ws": w.Workspace}, p.header("owner")...)
		id := created.CreateSurvey.ID
		answer := func(role string, answers ...map[string]any) response {
			return a.post(answerSurvey, map[string]any{"id": id, "a": answers}, p.header(role)...)
		}
		ok := func(res response) {
			t.Helper()
			if len(res.Errors) > 0 {
				t.Fatalf("answer: %+v", res.Errors)
			}
		}
		// The member first picks "Etänä", then changes to "Kyllä": one response.
		ok(answer("member", map[string]any{"questionKey": "q1", "choices": []int{1}}))
		ok(answer("member", map[string]any{"questionKey": "q1", "choices": []int{0}}, map[string]any{"questionKey": "q2", "choices": []int{0, 2}},
			map[string]any{"questionKey": "q3", "scale": 4}, map[string]any{"questionKey": "q4", "text": "Lisää verstaita"}))
		ok(answer("admin", map[string]any{"questionKey": "q1", "choices": []int{1}}, map[string]any{"questionKey": "q2", "choices": []int{2}},
			map[string]any{"questionKey": "q3", "scale": 2}))
		ok(answer("owner", map[string]any{"questionKey": "q1", "choices": []int{0}}, map[string]any{"questionKey": "q3", "scale": 5}))

		for _, bad := range []struct {
			name    string
			answers []map[string]any
		}{
			{"two choices for a single choice", []map[string]any{{"questionKey": "q1", "choices": []int{0, 1}}}},
			{"a choice out of range", []map[string]any{{"questionKey": "q1", "choices": []int{2}}}},
			{"a scale of 6", []map[string]any{{"questionKey": "q1", "choices": []int{0}}, {"questionKey": "q3", "scale": 6}}},
			{"text for a scale", []map[string]any{{"questionKey": "q1", "choices": []int{0}}, {"questionKey": "q3", "text": "hyvä"}}},
			{"the required question missing", []map[string]any{{"questionKey": "q3", "scale": 3}}},
			{"an unknown question", []map[string]any{{"questionKey": "q1", "choices": []int{0}}, {"questionKey": "q9", "scale": 3}}},
			{"the same question twice", []map[string]any{{"questionKey": "q1", "choices": []int{0}}, {"questionKey": "q1", "choices": []int{1}}}},
			{"empty text", []map[string]any{{"questionKey": "q1", "choices": []int{0}}, {"questionKey": "q4", "text": "  "}}},
		} {
			if got := outcome(answer("member", bad.answers...)); got != "BAD_USER_INPUT" {
				t.Errorf("%s: got %s, want BAD_USER_INPUT", bad.name, got)
			}
		}

		const results = `query($id: ID!) { node(id: $id) { ... on Survey { open responseCount viewerCanAnswer
			viewerResponse { answers { questionKey choices } }
			results { responses questions { question { key } answers choices { choice count } average distribution { value count } texts } } } } }`
		type result struct {
			Node struct {
				Open, ViewerCanAnswer bool
				ResponseCount         int
				ViewerResponse        *struct {
					Answers []struct{ QuestionKey string }
				}
				Results *struct {
					Responses int
					Questions []struct {
						Question struct{ Key string }
						Answers  int
						Choices  []struct {
							Choice string
							Count  int
						}
						Average      *float64
						Distribution []struct{ Value, Count int }
						Texts        []string
					}
				}
			}
		}
		var got result
		a.query(&got, results, map[string]any{"id": id}, p.header("admin")...)
		r := got.Node.Results
		if r == nil || r.Responses != 3 || got.Node.ResponseCount != 3 {
			t.Fatalf("results for the admin: %+v", got.Node)
		}
		q := r.Questions
		if q[0].Answers != 3 || q[0].Choices[0].Count != 2 || q[0].Choices[1].Count != 1 {
			t.Errorf("single choice: %+v (the member's first answer must have been replaced)", q[0])
		}
		if q[1].Answers != 2 || q[1].Choices[0].Count != 1 || q[1].Choices[1].Count != 0 || q[1].Choices[2].Count != 2 {
			t.Errorf("multiple choice: %+v", q[1])
		}
		if q[2].Answers != 3 || q[2].Average == nil || *q[2].Average != 11.0/3 ||
			q[2].Distribution[1].Count != 1 || q[2].Distribution[3].Count != 1 || q[2].Distribution[4].Count != 1 {
			t.Errorf("scale: %+v", q[2])
		}
		if len(q[3].Texts) != 1 || q[3].Texts[0] != "Lisää verstaita" {
			t.Errorf("free text: %+v", q[3])
		}

		// Respondents see results only after closing; outsiders never.
		res := a.post(results, map[string]any{"id": id}, p.header("member")...)
		if outcome(res) != "FORBIDDEN" {
			t.Errorf("member before closing: %s", outcome(res))
		}
		var open struct {
			Workspace struct{ Surveys, Closed struct{ TotalCount int } }
		}
		const openBox = `query($slug: String!) { workspace(slug: $slug) { surveys(where: {open: true}) { totalCount } closed: surveys(where: {open: false}) { totalCount } } }`
		a.query(&open, openBox, map[string]any{"slug": w.slug})
		if open.Workspace.Surveys.TotalCount != 1 || open.Workspace.Closed.TotalCount != 0 {
			t.Errorf("open surveys box before closing: %+v", open.Workspace)
		}
		if got := outcome(a.post(`mutation($id: ID!) { closeSurvey(id: $id) { open } }`, map[string]any{"id": id}, p.header("admin")...)); got != "OK" {
			t.Fatalf("close: %s", got)
		}
		a.query(&open, openBox, map[string]any{"slug": w.slug})
		if open.Workspace.Surveys.TotalCount != 0 || open.Workspace.Closed.TotalCount != 1 {
			t.Errorf("open surveys box after closing: %+v", open.Workspace)
		}
		got = result{}
		a.query(&got, `query($id: ID!) { node(id: $id) { ... on Survey { open viewerCanAnswer results { responses } } } }`, map[string]any{"id": id}, p.header("member")...)
		if got.Node.Open || got.Node.ViewerCanAnswer || got.Node.Results == nil || got.Node.Results.Responses != 3 {
			t.Errorf("member after closing: %+v", got.Node)
		}
		for _, role := range []string{"outsider", "pending"} { // never answered
			if res := a.post(results, map[string]any{"id": id}, p.header(role)...); outcome(res) != "FORBIDDEN" {
				t.Errorf("%s after closing: %s", role, outcome(res))
			}
		}
		if got := outcome(answer("member", map[string]any{"questionKey": "q1", "choices": []int{0}})); got != "BAD_USER_INPUT" {
			t.Errorf("answering a closed survey: %s", got)
		}

		// A survey not yet open refuses answers; one for everyone signed in
		// takes an outsider's answer.
		var later struct{ CreateSurvey struct{ ID string } }
		a.query(&later, `mutation($ws: ID!) { createSurvey(input: {workspaceId: $ws, title: "Myöhemmin", opensAt: "2099-01-01T00:00:00Z", questions: [{kind: SCALE, text: "?"}]}) { id } }`,
			map[string]any{"ws": w.Workspace}, p.header("owner")...)
		res = a.post(answerSurvey, map[string]any{"id": later.CreateSurvey.ID, "a": []map[string]any{{"questionKey": "q1", "scale": 3}}}, p.header("member")...)
		if outcome(res) != "BAD_USER_INPUT" {
			t.Errorf("answering before it opens: %s", outcome(res))
		}
		var anyone struct{ CreateSurvey struct{ ID string } }
		a.query(&anyone, `mutation($ws: ID!) { createSurvey(input: {workspaceId: $ws, title: "Kaikille", audience: SIGNED_IN, questions: [{kind: SCALE, text: "?"}]}) { id } }`,
			map[string]any{"ws": w.Workspace}, p.header("owner")...)
		for role, want := range map[string]string{"outsider": "OK", "anonymous": "UNAUTHENTICATED"} {
			res := a.post(answerSurvey, map[string]any{"id": anyone.CreateSurvey.ID, "a": []map[string]any{{"questionKey": "q1", "scale": 3}}}, p.header(role)...)
			if outcome(res) != want {
				t.Errorf("%s answering a SIGNED_IN survey: %s, want %s", role, outcome(res), want)
			}
		}
		// Bad surveys.
		for name, input := range map[string]string{
			"no questions":        `questions: []`,
			"one choice":          `questions: [{kind: SINGLE_CHOICE, text: "?", choices: ["a"]}]`,
			"choices for a scale": `questions: [{kind: SCALE, text: "?", choices: ["a", "b"]}]`,
			"closes before opens": `questions: [{kind: SCALE, text: "?"}], opensAt: "2030-01-02T00:00:00Z", closesAt: "2030-01-01T00:00:00Z"`,
		} {
			res := a.post(`mutation($ws: ID!) { createSurvey(input: {workspaceId: $ws, title: "X", `+input+`}) { id } }`, map[string]any{"ws": w.Workspace}, p.header("owner")...)
			if outcome(res) != "BAD_USER_INPUT" {
				t.Errorf("survey with %s: %s", name, outcome(res))
			}
		}
		var count int
		if count = a.db.Client.Survey.Query().Where(survey.TitleEQ("X")).CountX(auth.System(context.Background())); count != 0 {
			t.Errorf("%d bad surveys were stored", count)
		}
	})
}

// TestWorkshopWaitingList signs 30 members up at once for 10 places: 10
// take part and 20 wait, in order; cancelling moves the first waiting up.
func TestWorkshopWaitingList(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		var created struct{ CreateWorkshop struct{ ID string } }
		a.query(&created, `mutation($ws: ID!) { createWorkshop(input: {workspaceId: $ws, title: "Kokeiluverstas", startsAt: "2030-03-01T09:00:00Z", place: "Kuntatalo", capacity: 10}) { id } }`,
			map[string]any{"ws": w.Workspace}, p.header("admin")...)
		id := created.CreateWorkshop.ID
		tokens := make([]string, 30)
		for i := range tokens {
			tokens[i], _ = a.register(fmt.Sprintf("verstas%d@example.org", i), fmt.Sprintf("Osallistuja %d", i))
			var joined struct{ JoinWorkspace struct{ Role string } }
			a.query(&joined, `mutation($ws: ID!) { joinWorkspace(workspaceId: $ws) { role } }`, map[string]any{"ws": w.Workspace}, bearer(tokens[i])...)
		}
		statuses := make([]string, len(tokens))
		var wg sync.WaitGroup
		for i, token := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := a.post(`mutation($id: ID!) { signUpForWorkshop(workshopId: $id) { status } }`, map[string]any{"id": id}, bearer(token)...)
				var data struct{ SignUpForWorkshop struct{ Status string } }
				if len(res.Errors) > 0 || json.Unmarshal(res.Data, &data) != nil {
					statuses[i] = "error: " + fmt.Sprint(res.Errors)
					return
				}
				statuses[i] = data.SignUpForWorkshop.Status
			}()
		}
		wg.Wait()
		count := map[string]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count["PARTICIPANT"] != 10 || count["WAITING"] != 20 {
			t.Fatalf("30 sign-ups for 10 places gave %v", count)
		}
		const state = `query($id: ID!) { node(id: $id) { ... on Workshop { participantCount waitingCount seatsLeft
			registrations(first: 100) { totalCount nodes { status waitingPosition user { id } } }
			viewerRegistration { status waitingPosition } } } }`
		type registration struct {
			Status          string
			WaitingPosition *int
			User            struct{ ID string }
		}
		var got struct {
			Node struct {
				ParticipantCount, WaitingCount, SeatsLeft int
				Registrations                             struct {
					TotalCount int
					Nodes      []registration
				}
				ViewerRegistration *registration
			}
		}
		a.query(&got, state, map[string]any{"id": id}, p.header("admin")...)
		n := got.Node
		if n.ParticipantCount != 10 || n.WaitingCount != 20 || n.SeatsLeft != 0 || n.Registrations.TotalCount != 30 {
			t.Fatalf("the admin sees %+v", n)
		}
		// A member sees only their own registration in the list.
		var mine struct {
			Node struct {
				Registrations      struct{ TotalCount int }
				ViewerRegistration *registration
			}
		}
		var firstWaiting int
		for i, s := range statuses {
			if s == "WAITING" {
				a.query(&mine, state, map[string]any{"id": id}, bearer(tokens[i])...)
				if mine.Node.Registrations.TotalCount != 1 || mine.Node.ViewerRegistration == nil || mine.Node.ViewerRegistration.WaitingPosition == nil {
					t.Fatalf("a waiting member sees %+v", mine.Node)
				}
				if *mine.Node.ViewerRegistration.WaitingPosition == 1 {
					firstWaiting = i
				}
			}
		}
		// A participant cancels: the first waiting takes the place.
		for i, s := range statuses {
			if s == "PARTICIPANT" {
				a.query(&got, `mutation($id: ID!) { cancelWorkshopRegistration(workshopId: $id) { participantCount waitingCount } }`, map[string]any{"id": id}, bearer(tokens[i])...)
				break
			}
		}
		a.query(&mine, state, map[string]any{"id": id}, bearer(tokens[firstWaiting])...)
		if r := mine.Node.ViewerRegistration; r == nil || r.Status != "PARTICIPANT" || r.WaitingPosition != nil {
			t.Errorf("the first waiting did not move up: %+v", r)
		}
		a.query(&got, state, map[string]any{"id": id}, p.header("admin")...)
		if got.Node.ParticipantCount != 10 || got.Node.WaitingCount != 19 {
			t.Errorf("after a cancellation: %d participants, %d waiting", got.Node.ParticipantCount, got.Node.WaitingCount)
		}
		// Signing up twice is a conflict; a capacity of 0 is bad input.
		if got := outcome(a.post(`mutation($id: ID!) { signUpForWorkshop(workshopId: $id) { status } }`, map[string]any{"id": id}, bearer(tokens[firstWaiting])...)); got != "CONFLICT" {
			t.Errorf("signing up twice: %s", got)
		}
		if got := outcome(a.post(`mutation($id: ID!) { updateWorkshop(id: $id, input: {capacity: 0}) { id } }`, map[string]any{"id": id}, p.header("admin")...)); got != "BAD_USER_INPUT" {
			t.Errorf("capacity 0: %s", got)
		}
		// More places move the waiting up in order.
		a.query(&got, `mutation($id: ID!) { updateWorkshop(id: $id, input: {capacity: 15}) { participantCount waitingCount } }`, map[string]any{"id": id}, p.header("admin")...)
		a.query(&got, state, map[string]any{"id": id}, p.header("admin")...)
		if got.Node.ParticipantCount != 15 || got.Node.WaitingCount != 14 {
			t.Errorf("after raising the capacity: %d participants, %d waiting", got.Node.ParticipantCount, got.Node.WaitingCount)
		}
	})
}

// TestNoticeKinds posts a notice, news and an event: the board filters by
// kind ("all news"), and noticePosted carries every kind.
func TestNoticeKinds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		live := a.subscribeSSE(`subscription($ws: ID) { noticePosted(workspaceId: $ws) { title kind } }`, map[string]any{"ws": w.Workspace})
		defer live.res.Body.Close()
		waitSubscribers(t, a, 1)
		for _, kind := range []string{"NEWS", "EVENT", "NOTICE"} {
			a.query(&struct{}{}, `mutation($ws: ID!, $kind: NoticeKind, $title: String!) { postNotice(input: {workspaceId: $ws, title: $title, kind: $kind}) { kind } }`,
				map[string]any{"ws": w.Workspace, "kind": kind, "title": kind}, p.header("admin")...)
			data, ok := live.next(3 * time.Second)
			var got struct{ NoticePosted struct{ Title, Kind string } }
			if !ok || json.Unmarshal(data, &got) != nil || got.NoticePosted.Kind != kind || got.NoticePosted.Title != kind {
				t.Errorf("noticePosted for %s: %s %v", kind, data, ok)
			}
		}
		var board struct {
			News, Events struct {
				TotalCount int
				Nodes      []struct{ Kind string }
			}
			All struct{ TotalCount int }
		}
		a.query(&board, `query($ws: ID!) {
			news: notices(where: {kind: NEWS, hasWorkspaceWith: {id: $ws}}) { totalCount nodes { kind } }
			events: notices(where: {kindIn: [EVENT]}) { totalCount nodes { kind } }
			all: notices(where: {hasWorkspaceWith: {id: $ws}}) { totalCount }
		}`, map[string]any{"ws": w.Workspace})
		if board.News.TotalCount != 1 || board.News.Nodes[0].Kind != "NEWS" || board.Events.TotalCount != 1 || board.All.TotalCount != 4 {
			t.Errorf("board by kind: %+v", board)
		}
	})
}

// TestSubWorkspacesAndProjects: a parent lists the children the viewer may
// see inside, placing needs both workspaces' admins, and no workspace ends
// up inside itself.
func TestSubWorkspacesAndProjects(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		parent := a.newWorld(p, workspace.VisibilityPUBLIC)
		open := a.newWorld(p, workspace.VisibilityPUBLIC)
		closed := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		const place = `mutation($ws: ID!, $parent: ID) { setParentWorkspace(workspaceId: $ws, parentId: $parent) { parent { id } } }`
		for _, child := range []world{open, closed} {
			a.query(&struct{}{}, place, map[string]any{"ws": child.Workspace, "parent": parent.Workspace}, p.header("owner")...)
		}
		// The new workspace of an outsider cannot be filed under the parent.
		var own struct{ CreateWorkspace struct{ ID string } }
		a.query(&own, `mutation { createWorkspace(input: {name: "Oma"}) { id } }`, nil, p.header("outsider")...)
		if got := outcome(a.post(place, map[string]any{"ws": own.CreateWorkspace.ID, "parent": parent.Workspace}, p.header("outsider")...)); got != "FORBIDDEN" {
			t.Errorf("placing under someone else's workspace: %s", got)
		}
		if got := outcome(a.post(`mutation($p: ID!) { createWorkspace(input: {name: "Lapsi", parentId: $p}) { id } }`, map[string]any{"p": parent.Workspace}, p.header("outsider")...)); got != "FORBIDDEN" {
			t.Errorf("creating under someone else's workspace: %s", got)
		}
		// Cycles.
		for _, c := range []struct{ ws, parent string }{{parent.Workspace, open.Workspace}, {parent.Workspace, parent.Workspace}} {
			if got := outcome(a.post(place, map[string]any{"ws": c.ws, "parent": c.parent}, p.header("owner")...)); got != "BAD_USER_INPUT" {
				t.Errorf("a cycle: %s", got)
			}
		}
		a.query(&struct{}{}, `mutation($ws: ID!, $p: ID!) { addWorkspaceProject(workspaceId: $ws, pilotId: $p) { id } }`,
			map[string]any{"ws": parent.Workspace, "p": parent.Pilot}, p.header("admin")...)
		// Adding it again changes nothing.
		a.query(&struct{}{}, `mutation($ws: ID!, $p: ID!) { addWorkspaceProject(workspaceId: $ws, pilotId: $p) { id } }`,
			map[string]any{"ws": parent.Workspace, "p": parent.Pilot}, p.header("admin")...)
		const q = `query($slug: String!) { workspace(slug: $slug) {
			subWorkspaces { totalCount nodes { name } } summary { subWorkspaces projects }
			projects { totalCount } all: subWorkspaces(where: {visibility: PUBLIC}) { totalCount } } }`
		for role, want := range map[string]int{"anonymous": 1, "outsider": 1, "member": 2, "siteAdmin": 2} {
			var got struct {
				Workspace struct {
					SubWorkspaces, All, Projects struct{ TotalCount int }
					Summary                      struct{ SubWorkspaces, Projects int }
				}
			}
			a.query(&got, q, map[string]any{"slug": parent.slug}, p.header(role)...)
			g := got.Workspace
			if g.SubWorkspaces.TotalCount != want || g.Summary.SubWorkspaces != want || g.All.TotalCount != 1 || g.Projects.TotalCount != 1 || g.Summary.Projects != 1 {
				t.Errorf("%s sees %+v, want %d children", role, g, want)
			}
		}
		var filtered struct{ Workspaces struct{ TotalCount int } }
		a.query(&filtered, `query($p: ID!) { workspaces(where: {parentId: $p}) { totalCount } }`, map[string]any{"p": parent.Workspace})
		if filtered.Workspaces.TotalCount != 2 {
			t.Errorf("workspaces(where: {parentId}) = %d, want 2 (that a workspace exists is public)", filtered.Workspaces.TotalCount)
		}
	})
}

// TestOperatingModels describes a model with its parts, records adoptions
// and refuses adoptions without exactly one adopter, and cycles of parts.
func TestOperatingModels(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		var larger, model struct {
			CreateOperatingModel struct{ ID, Slug string }
		}
		a.query(&larger, `mutation { createOperatingModel(input: {name: "Palveluohjaus"}) { id slug } }`, nil, p.header("member")...)
		a.query(&model, `mutation($ws: ID!, $m: ID!, $p: ID!, $part: ID!) { createOperatingModel(input: {name: "Palveluohjaus", workspaceID: $ws,
			summary: "Yksi yhteyshenkilö", funder: "STM", municipalityIDs: [$m], developedInIDs: [$p], partOfID: $part}) { id slug } }`,
			map[string]any{"ws": w.Workspace, "m": w.Municipality, "p": w.Pilot, "part": larger.CreateOperatingModel.ID}, p.header("member")...)
		if model.CreateOperatingModel.Slug != "palveluohjaus-2" {
			t.Errorf("slug %q", model.CreateOperatingModel.Slug)
		}
		id := model.CreateOperatingModel.ID
		const adopt = `mutation($in: CreateAdoptionInput!) { recordAdoption(input: $in) { adoptedOn municipality { code } pilot { id } } }`
		a.query(&struct{}{}, adopt, map[string]any{"in": map[string]any{"operatingModelID": id, "municipalityID": w.Municipality, "adoptedOn": "2019-08-01"}}, p.header("member")...)
		a.query(&struct{}{}, adopt, map[string]any{"in": map[string]any{"operatingModelID": id, "pilotID": w.Pilot}}, p.header("member")...)
		for name, in := range map[string]map[string]any{
			"no adopter":                 {"operatingModelID": id},
			"two adopters":               {"operatingModelID": id, "pilotID": w.Pilot, "municipalityID": w.Municipality},
			"a pilot for a municipality": {"operatingModelID": id, "municipalityID": w.Pilot},
			"a bad source":               {"operatingModelID": id, "pilotID": w.Pilot, "sourceURL": "javascript:alert(1)"},
		} {
			if got := outcome(a.post(adopt, map[string]any{"in": in}, p.header("member")...)); got != "BAD_USER_INPUT" {
				t.Errorf("adoption with %s: %s", name, got)
			}
		}
		if got := outcome(a.post(`mutation($id: ID!, $part: ID!) { updateOperatingModel(id: $id, input: {partOfID: $part}) { id } }`,
			map[string]any{"id": larger.CreateOperatingModel.ID, "part": id}, p.header("member")...)); got != "BAD_USER_INPUT" {
			t.Errorf("a model inside its own part: %s", got)
		}
		var got struct {
			Node struct {
				Name, Funder                           string
				PartOf                                 struct{ ID string }
				Workspace                              struct{ Slug string }
				Municipalities, DevelopedIn, Adoptions struct{ TotalCount int }
			}
			OperatingModels struct{ TotalCount int }
		}
		a.query(&got, `query($id: ID!) { node(id: $id) { ... on OperatingModel { name funder partOf { id } workspace { slug }
			municipalities { totalCount } developedIn { totalCount } adoptions { totalCount } } }
			operatingModels { totalCount } }`, map[string]any{"id": id})
		n := got.Node
		if n.Funder != "STM" || n.PartOf.ID != larger.CreateOperatingModel.ID || n.Workspace.Slug != w.slug ||
			n.Municipalities.TotalCount != 1 || n.DevelopedIn.TotalCount != 1 || n.Adoptions.TotalCount != 2 || got.OperatingModels.TotalCount != 2 {
			t.Errorf("operating model: %+v", got)
		}
	})
}

// TestMaterialInput refuses addresses that are not http(s), links without
// one and language codes that are not codes, and stores nothing then.
func TestMaterialInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		const add = `mutation($in: AddMaterialInput!) { addMaterial(input: $in) { id kind url language } }`
		for name, in := range map[string]map[string]any{
			"a javascript address": {"title": "x", "kind": "LINK", "url": "javascript:alert(1)"},
			"an ftp address":       {"title": "x", "url": "ftp://example.org/a"},
			"a link without url":   {"title": "x", "kind": "TOOL"},
			"an empty title":       {"title": "  ", "kind": "DOCUMENT"},
			"a language name":      {"title": "x", "language": "suomi"},
		} {
			in["workspaceId"] = w.Workspace
			if got := outcome(a.post(add, map[string]any{"in": in}, p.header("member")...)); got != "BAD_USER_INPUT" {
				t.Errorf("%s: %s", name, got)
			}
		}
		var ok struct {
			AddMaterial struct{ Kind, URL, Language string }
		}
		a.query(&ok, add, map[string]any{"in": map[string]any{"workspaceId": w.Workspace, "title": "Opas", "kind": "VIDEO", "url": "https://example.org/v", "language": "sv"}}, p.header("member")...)
		if ok.AddMaterial.Kind != "VIDEO" || ok.AddMaterial.Language != "sv" {
			t.Errorf("material: %+v", ok.AddMaterial)
		}
		var n struct{ Materials struct{ TotalCount int } }
		a.query(&n, `{ materials { totalCount } }`, nil)
		if n.Materials.TotalCount != 1 {
			t.Errorf("%d materials stored, want 1", n.Materials.TotalCount)
		}
	})
}

// TestProgrammeWorkspaceSummary reads the seeded programme workspace's
// front page in one query, and checks that the summary's statements do not
// grow with the contents.
func TestProgrammeWorkspaceSummary(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		const q = `{ workspace(slug: "kokeilevat-kunnat-ja-alueet") {
			summary { members materials discussions surveys openSurveys workshops projects subWorkspaces operatingModels }
			surveys(where: {open: false}) { nodes { title open results { responses } } }
			operatingModels { nodes { name adoptions { nodes { municipality { code } adoptedOn } } developedIn { nodes { slug } } } }
			materials { nodes { kind url } } } }`
		type summary struct {
			Members, Materials, Discussions, Surveys, OpenSurveys, Workshops, Projects, SubWorkspaces, OperatingModels int
		}
		var got struct {
			Workspace struct {
				Summary         summary
				OperatingModels struct {
					Nodes []struct {
						Adoptions struct {
							Nodes []struct {
								Municipality struct{ Code string }
								AdoptedOn    string
							}
						}
					}
				}
			}
		}
		res := a.post(q, nil)
		// Results of the closed survey are not for anonymous readers.
		if len(res.Errors) != 1 || res.Errors[0].code() != "FORBIDDEN" {
			t.Fatalf("errors: %+v", res.Errors)
		}
		if err := json.Unmarshal(res.Data, &got); err != nil {
			t.Fatal(err)
		}
		want := summary{Materials: 1, Surveys: 1, Projects: 1, OperatingModels: 1}
		if got.Workspace.Summary != want {
			t.Errorf("summary %+v, want %+v", got.Workspace.Summary, want)
		}
		if m := got.Workspace.OperatingModels.Nodes; len(m) != 1 || len(m[0].Adoptions.Nodes) != 1 || m[0].Adoptions.Nodes[0].AdoptedOn != "2017-03-01" {
			t.Errorf("operating models: %+v", m)
		}
		// The summary costs the same number of statements with 1 material
		// as with 30.
		statements := func() int64 {
			before := a.statements.Load()
			a.query(&struct{}{}, `{ workspace(slug: "kokeilevat-kunnat-ja-alueet") { summary { members materials discussions surveys openSurveys workshops projects subWorkspaces operatingModels } } }`, nil)
			return a.statements.Load() - before
		}
		few := statements()
		ctx := auth.System(context.Background())
		ws := a.db.Client.Workspace.Query().Where(workspace.Slug("kokeilevat-kunnat-ja-alueet")).OnlyX(ctx)
		for i := range 29 {
			a.db.Client.Material.Create().SetWorkspace(ws).SetTitle(fmt.Sprint("Materiaali ", i)).ExecX(ctx)
		}
		if many := statements(); many != few || few > 12 {
			t.Errorf("summary took %d statements with 1 material and %d with 30 (want equal, at most 12)", few, many)
		}
	})
}

// TestEmptyNestedFilter: an empty where input {} matches every row wherever
// it stands, as in Hasura: not {} matches none, hasXWith: [{}] (and []) means
// a related row exists, and/or with {} drop or keep everything.
func TestEmptyNestedFilter(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		count := func(where string) int {
			var d struct{ Pilots struct{ TotalCount int } }
			a.query(&d, `{ pilots(where: `+where+`) { totalCount } }`, nil)
			return d.Pilots.TotalCount
		}
		all, with, without := count(`{}`), count(`{hasMunicipalities: true}`), count(`{hasMunicipalities: false}`)
		if all == 0 || with == 0 || with+without != all {
			t.Fatalf("the demo pilots: %d in all, %d with municipalities, %d without", all, with, without)
		}
		for where, want := range map[string]int{
			`{not: {}}`:                                   0,
			`{and: [{}]}`:                                 all,
			`{or: [{}]}`:                                  all,
			`{or: [{}, {idIn: []}]}`:                      all,
			`{and: [{not: {}}]}`:                          0,
			`{not: {and: [{}, {}]}}`:                      0,
			`{hasMunicipalitiesWith: [{}]}`:               with,
			`{hasMunicipalitiesWith: []}`:                 with,
			`{hasMunicipalitiesWith: [{and: []}]}`:        with,
			`{hasMunicipalitiesWith: [{not: {}}]}`:        0,
			`{not: {hasMunicipalitiesWith: [{}]}}`:        without,
			`{hasMunicipalitiesWith: [{or: []}]}`:         0,
			`{hasMunicipalitiesWith: [{}, {codeIn: []}]}`: 0,
		} {
			if got := count(where); got != want {
				t.Errorf("%s: %d pilots, want %d", where, got, want)
			}
		}
	})
}

// TestAdoptionsInTheGraph: operating models enter the research graph with
// the pilots that developed them (DEVELOPED_IN) and their adoptions
// (ADOPTION, dated); models of members-only workspaces stay out of it for
// everyone, since one graph serves all viewers.
func TestAdoptionsInTheGraph(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		open := a.newWorld(p, workspace.VisibilityPUBLIC)
		closed := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		const create = `mutation($ws: ID!, $p: ID!, $name: String!) { createOperatingModel(input: {name: $name, workspaceID: $ws, developedInIDs: [$p]}) { id } }`
		var public, private struct{ CreateOperatingModel struct{ ID string } }
		a.query(&public, create, map[string]any{"ws": open.Workspace, "p": open.Pilot, "name": "Julkinen malli"}, p.header("member")...)
		a.query(&private, create, map[string]any{"ws": closed.Workspace, "p": closed.Pilot, "name": "Sisäinen malli"}, p.header("member")...)
		const adopt = `mutation($m: ID!, $by: ID!) { recordAdoption(input: {operatingModelID: $m, municipalityID: $by, adoptedOn: "2019-06-01"}) { id } }`
		for _, m := range []string{public.CreateOperatingModel.ID, private.CreateOperatingModel.ID} {
			a.query(&struct{}{}, adopt, map[string]any{"m": m, "by": open.Municipality}, p.header("member")...)
		}
		const q = `query($f: GraphFilter) { networkGraph(filter: $f) { nodes { id type label } edges { source target kind validFrom } } }`
		type graph struct {
			NetworkGraph struct {
				Nodes []struct{ ID, Type, Label string }
				Edges []struct{ Source, Target, Kind, ValidFrom string }
			}
		}
		edges := func(role string, filter map[string]any) map[string]string {
			var g graph
			a.query(&g, q, map[string]any{"f": filter}, p.header(role)...)
			out := map[string]string{}
			for _, e := range g.NetworkGraph.Edges {
				if e.Kind == "ADOPTION" || e.Kind == "DEVELOPED_IN" {
					out[e.Kind+" "+e.Source+" → "+e.Target] = e.ValidFrom
				}
			}
			for _, n := range g.NetworkGraph.Nodes {
				if n.ID == private.CreateOperatingModel.ID {
					t.Errorf("%s sees the members-only model in the graph", role)
				}
			}
			return out
		}
		m := public.CreateOperatingModel.ID
		want := map[string]string{
			"DEVELOPED_IN " + m + " → " + open.Pilot:    "",
			"ADOPTION " + open.Municipality + " → " + m: "2019-06-01",
		}
		for _, role := range []string{"anonymous", "member", "siteAdmin"} {
			got := edges(role, map[string]any{"edgeKinds": []string{"ADOPTION", "DEVELOPED_IN"}})
			if len(got) != len(want) {
				t.Errorf("%s: edges %v, want %v", role, got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: %s valid from %q, want %q (all: %v)", role, k, got[k], v, got)
				}
			}
		}
		// Before the adoption, only the model's origin is there.
		if got := edges("anonymous", map[string]any{"asOf": "2018-01-01", "edgeKinds": []string{"ADOPTION", "DEVELOPED_IN"}}); len(got) != 1 {
			t.Errorf("as of 2018: %v", got)
		}
	})
}
