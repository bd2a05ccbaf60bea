package seed

import (
	"context"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/link"
	"kokeilu/ent/material"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/questionnaire"
	"kokeilu/internal/scalar"
)

// ProgrammeSlug is the slug of the programme's own workspace and network.
const ProgrammeSlug = "kokeilevat-kunnat-ja-alueet"

// Demo loads the demo content once: the programme "Kokeilevat kunnat ja
// alueet" (workspace, network, Kuntaliitto, its two seminar notices) and its
// workspace's sections, which show one of the verified experiments. It
// reports whether it loaded anything; once the programme's workspace exists
// it does nothing, so what users changed stays changed. The experiments are
// reference data (Experiments, at every start); a first load brings them up
// to date first, since the workspace uses them.
func Demo(ctx context.Context, client *ent.Client, now time.Time) (bool, error) {
	ctx = auth.System(ctx)
	exists, err := client.Workspace.Query().Where(workspace.Slug(ProgrammeSlug)).Exist(ctx)
	if err != nil || exists {
		return false, err
	}
	if _, err := Experiments(ctx, client, now); err != nil {
		return false, err
	}
	err = inTx(ctx, client, func(tx *ent.Tx) error {
		return demo{ctx: ctx, tx: tx, now: now}.load()
	})
	return err == nil, err
}

type demo struct {
	ctx context.Context
	tx  *ent.Tx
	now time.Time
}

func (d demo) load() error {
	ctx, tx := d.ctx, d.tx
	helsinki, err := tx.Municipality.Query().Where(municipality.Code("091")).OnlyID(ctx)
	if err != nil {
		return err
	}
	kuntaliitto, err := tx.Organization.Create().
		SetName("Suomen Kuntaliitto ry").SetSlug("kuntaliitto").SetKind(organization.KindASSOCIATION).
		SetDescription("The Association of Finnish Municipalities, which runs the programme Kokeilevat kunnat ja alueet.").
		SetWebsite("https://www.kuntaliitto.fi").SetMunicipalityID(helsinki).
		Save(ctx)
	if err != nil {
		return err
	}
	programme, err := tx.Network.Create().
		SetName("Kokeilevat kunnat ja alueet").SetSlug(ProgrammeSlug).SetKind(network.KindPROGRAMME).
		SetDescription("The Association of Finnish Municipalities' programme of experimenting municipalities and regions, with its Innokylä workspace.").
		AddOrganizations(kuntaliitto).
		Save(ctx)
	if err != nil {
		return err
	}
	ws, err := tx.Workspace.Create().
		SetName("Kokeilevat kunnat ja alueet").SetSlug(ProgrammeSlug).SetVisibility(workspace.VisibilityPUBLIC).
		SetDescription("Workspace of the programme Kokeilevat kunnat ja alueet: members, discussions, a notice board of seminars and materials.").
		SetNetwork(programme).
		Save(ctx)
	if err != nil {
		return err
	}
	for _, n := range []struct{ title, on string }{
		{"Kokeilevat kunnat ja alueet -seminaari", "2015-12-02"},
		{"Verkostot kokeilukulttuurin vahvistajina", "2015-12-16"},
	} {
		on, _ := time.Parse(scalar.DateLayout, n.on)
		if err := tx.Notice.Create().SetTitle(n.title).SetEventOn(on).SetWorkspace(ws).SetPublishedAt(d.now).Exec(ctx); err != nil {
			return err
		}
	}
	if err := tx.Link.Create().SetSourceID(kuntaliitto.ID).SetTargetID(programme.ID).
		SetKind(link.KindCOLLABORATION).SetDescription("Kuntaliitto runs the programme.").Exec(ctx); err != nil {
		return err
	}
	return d.sections(ws)
}

// exampleNote marks demo content that is not taken from a cited source.
const exampleNote = "Esimerkkisisältö (example content, not from a cited source)."

// sections fills the workspace's other sections so a newcomer sees each one
// used: a material (the cited source of a pilot of pilots.csv), an
// operating model with an adoption, and a closed survey; the last two are
// example content and say so.
func (d demo) sections(ws *ent.Workspace) error {
	ctx, tx := d.ctx, d.tx
	hyvinvointi, err := tx.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2015-hyvinvointi")).Only(ctx)
	if err != nil {
		return err
	}
	if err := tx.Material.Create().SetWorkspace(ws).SetKind(material.KindLINK).SetLanguage("fi").
		SetTitle("Perustulokokeilu – Kela").
		SetDescription("Kela's page on who could receive the basic income of the experiment (the source of the pilot Perustulokokeilu).").
		SetURL("https://www.kela.fi/perustulokokeilu-kuka-voi-saada").Exec(ctx); err != nil {
		return err
	}
	if err := tx.Workspace.UpdateOne(ws).AddProjects(hyvinvointi).Exec(ctx); err != nil {
		return err
	}
	model, err := tx.OperatingModel.Create().SetWorkspace(ws).SetSlug("hyvinvoinnin-integroitu-palveluohjaus").
		SetName("Hyvinvoinnin integroitu palveluohjaus").
		SetSummary(exampleNote + " One service counsellor guides a resident through social, health and employment services.").
		SetCoreIdea(exampleNote + " A single point of contact plans services with the resident across organisations.").
		SetConditions(exampleNote + " Shared client records and agreed responsibilities between the services.").
		SetOperatingEnvironment(exampleNote + " Municipal social and health services with a wellbeing services county.").
		AddDevelopedIn(hyvinvointi).AddMunicipalityIDs(d.municipality("297")).
		Save(ctx)
	if err != nil {
		return err
	}
	adoptedOn, _ := time.Parse(scalar.DateLayout, "2017-03-01")
	if err := tx.Adoption.Create().SetOperatingModel(model).SetMunicipalityID(d.municipality("837")).
		SetAdoptedOn(adoptedOn).SetNote(exampleNote).Exec(ctx); err != nil {
		return err
	}
	opens, _ := time.Parse(time.RFC3339, "2015-12-02T16:00:00+02:00")
	closes, _ := time.Parse(time.RFC3339, "2015-12-31T23:59:00+02:00")
	return tx.Survey.Create().SetWorkspace(ws).
		SetTitle("Seminaarin palaute (esimerkki)").SetDescription(exampleNote).
		SetQuestions([]questionnaire.Question{
			{Key: "q1", Kind: questionnaire.Scale, Text: "Kuinka hyödyllinen seminaari oli?", Required: true},
			{Key: "q2", Kind: questionnaire.SingleChoice, Text: "Osallistuitko paikan päällä?", Choices: []string{"Kyllä", "Etänä"}},
			{Key: "q3", Kind: questionnaire.FreeText, Text: "Mitä toivot seuraavalta seminaarilta?"},
		}).
		SetOpensAt(opens).SetClosesAt(closes).SetResultsVisibleToRespondents(true).Exec(ctx)
}

// municipality is the id of a municipality code (0 if unknown, which the
// insert then refuses).
func (d demo) municipality(code string) int {
	id, _ := d.tx.Municipality.Query().Where(municipality.Code(code)).OnlyID(d.ctx)
	return id
}
