package seed

import (
	"context"
	"fmt"
	"strings"
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
	"kokeilu/internal/slug"
)

// ProgrammeSlug is the slug of the programme's own workspace and network.
const ProgrammeSlug = "kokeilevat-kunnat-ja-alueet"

// themeNames translates the English theme words of pilots.csv; the Finnish
// and Swedish names are the project's own translations.
var themeNames = map[string][2]string{
	"social security":            {"sosiaaliturva", "social trygghet"},
	"basic income":               {"perustulo", "basinkomst"},
	"social and health services": {"sosiaali- ja terveyspalvelut", "social- och hälsovårdstjänster"},
	"integrated services":        {"integroidut palvelut", "integrerade tjänster"},
	"education":                  {"koulutus", "utbildning"},
	"governance":                 {"hallinto", "förvaltning"},
	"supervision":                {"valvonta", "tillsyn"},
	"housing services":           {"asumispalvelut", "boendeservice"},
	"service integration":        {"palveluintegraatio", "tjänsteintegration"},
	"youth":                      {"nuoret", "unga"},
	"employment":                 {"työllisyys", "sysselsättning"},
	"employment services":        {"työllisyyspalvelut", "sysselsättningstjänster"},
}

// Demo loads the demo content once: the programme "Kokeilevat kunnat ja
// alueet" (workspace, network, Kuntaliitto, its two seminar notices) and the
// real pilots of pilots.csv with their municipalities, themes and programme
// networks. It reports whether it loaded anything; once the programme's
// workspace exists it does nothing, so what users changed stays changed.
func Demo(ctx context.Context, client *ent.Client, now time.Time) (bool, error) {
	ctx = auth.System(ctx)
	exists, err := client.Workspace.Query().Where(workspace.Slug(ProgrammeSlug)).Exist(ctx)
	if err != nil || exists {
		return false, err
	}
	pilots, err := readCSV("pilots.csv")
	if err != nil {
		return false, err
	}
	err = inTx(ctx, client, func(tx *ent.Tx) error {
		d := demo{ctx: ctx, tx: tx, now: now, themes: map[string]int{}, programmes: map[string]*ent.Network{}, members: map[int]map[int]bool{}}
		return d.load(pilots)
	})
	return err == nil, err
}

type demo struct {
	ctx        context.Context
	tx         *ent.Tx
	now        time.Time
	themes     map[string]int
	programmes map[string]*ent.Network
	members    map[int]map[int]bool // programme network → its municipalities
	municipal  map[string]int
}

func (d *demo) load(pilots []record) error {
	ctx, tx := d.ctx, d.tx
	ms, err := tx.Municipality.Query().Select(municipality.FieldID, municipality.FieldCode).All(ctx)
	if err != nil {
		return err
	}
	d.municipal = make(map[string]int, len(ms))
	for _, m := range ms {
		d.municipal[m.Code] = m.ID
	}

	kuntaliitto, err := tx.Organization.Create().
		SetName("Suomen Kuntaliitto ry").SetSlug("kuntaliitto").SetKind(organization.KindASSOCIATION).
		SetDescription("The Association of Finnish Municipalities, which runs the programme Kokeilevat kunnat ja alueet.").
		SetWebsite("https://www.kuntaliitto.fi").SetMunicipalityID(d.municipal["091"]).
		Save(ctx)
	if err != nil {
		return err
	}
	kela, err := tx.Organization.Create().
		SetName("Kansaneläkelaitos (Kela)").SetSlug("kela").SetKind(organization.KindAGENCY).
		SetDescription("The Social Insurance Institution of Finland.").
		SetWebsite("https://www.kela.fi").SetMunicipalityID(d.municipal["091"]).
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
	for _, p := range pilots {
		if err := d.pilot(p, kela); err != nil {
			return fmt.Errorf("pilot %s: %w", p["pilot_id"], err)
		}
	}
	return d.sections(ws)
}

// exampleNote marks demo content that is not taken from a cited source.
const exampleNote = "Esimerkkisisältö (example content, not from a cited source)."

// sections fills the workspace's other sections so a newcomer sees each one
// used: a material (the cited source of a pilot of pilots.csv), an
// operating model with an adoption, and a closed survey; the last two are
// example content and say so.
func (d *demo) sections(ws *ent.Workspace) error {
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
		AddDevelopedIn(hyvinvointi).AddMunicipalityIDs(d.municipal["297"]).
		Save(ctx)
	if err != nil {
		return err
	}
	adoptedOn, _ := time.Parse(scalar.DateLayout, "2017-03-01")
	if err := tx.Adoption.Create().SetOperatingModel(model).SetMunicipalityID(d.municipal["837"]).
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

func (d *demo) pilot(r record, kela *ent.Organization) error {
	ctx, tx := d.ctx, d.tx
	startsOn, endsOn := date(r["start_date"]), date(r["end_date"])
	participants, err := d.codes(strings.Fields(r["participating_municipality_codes"]))
	if err != nil {
		return err
	}
	themes, err := d.themeIDs(r["theme"])
	if err != nil {
		return err
	}
	create := tx.Pilot.Create().
		SetSlug(r["pilot_id"]).SetTitle(r["name"]).SetSummary(r["description"]).SetDescription(r["notes"]).
		SetStatus(status(startsOn, endsOn, d.now)).SetNillableStartsOn(startsOn).SetNillableEndsOn(endsOn).
		SetSourceURL(r["source_url"]).
		AddMunicipalityIDs(participants...).AddThemeIDs(themes...)
	switch r["participants_complete"] {
	case "true":
		create.SetParticipantsComplete(true)
	case "false":
		create.SetParticipantsComplete(false)
	}
	if lead := r["lead_municipality_code"]; lead != "" {
		ids, err := d.codes([]string{lead})
		if err != nil {
			return err
		}
		create.SetLeadMunicipalityID(ids[0])
	}
	// Kela ran the basic income experiment and was the partner of item 5.
	if r["pilot_id"] == "perustulo-2017" || r["pilot_id"] == "kuntakokeilu-2015-kela" {
		create.AddOrganizations(kela)
	}
	p, err := create.Save(ctx)
	if err != nil {
		return err
	}
	prog, err := d.programme(r["programme"])
	if err != nil {
		return err
	}
	return prog.Update().AddPilots(p).AddMunicipalityIDs(d.newMembers(prog, participants)...).Exec(ctx)
}

// programme returns the network of a programme, creating it on first use.
func (d *demo) programme(name string) (*ent.Network, error) {
	if n, ok := d.programmes[name]; ok {
		return n, nil
	}
	n, err := d.tx.Network.Create().SetName(name).SetSlug(slug.Make(name)).SetKind(network.KindPROGRAMME).Save(d.ctx)
	if err != nil {
		return nil, err
	}
	d.programmes[name] = n
	return n, nil
}

// newMembers returns the municipalities not yet in the programme network,
// and notes them as members.
func (d *demo) newMembers(n *ent.Network, ids []int) []int {
	members := d.members[n.ID]
	if members == nil {
		members = map[int]bool{}
		d.members[n.ID] = members
	}
	var out []int
	for _, id := range ids {
		if !members[id] {
			members[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (d *demo) codes(codes []string) ([]int, error) {
	ids := make([]int, 0, len(codes))
	for _, c := range codes {
		id, ok := d.municipal[c]
		if !ok {
			return nil, fmt.Errorf("unknown municipality code %q", c)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// themeIDs creates the themes of a "a; b" list on first use.
func (d *demo) themeIDs(list string) ([]int, error) {
	var ids []int
	for _, name := range strings.Split(list, ";") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if id, ok := d.themes[name]; ok {
			ids = append(ids, id)
			continue
		}
		names, ok := themeNames[name]
		if !ok {
			return nil, fmt.Errorf("theme %q has no translation", name)
		}
		t, err := d.tx.Theme.Create().SetSlug(slug.Make(name)).SetNameFi(names[0]).SetNameSv(names[1]).SetNameEn(name).Save(d.ctx)
		if err != nil {
			return nil, err
		}
		d.themes[name] = t.ID
		ids = append(ids, t.ID)
	}
	return ids, nil
}

// status derives a pilot's status from its dates.
func status(startsOn, endsOn *time.Time, now time.Time) pilot.Status {
	switch {
	case endsOn != nil && endsOn.Before(now):
		return pilot.StatusCOMPLETED
	case startsOn != nil && startsOn.After(now):
		return pilot.StatusPLANNED
	case startsOn != nil:
		return pilot.StatusACTIVE
	}
	return pilot.StatusPLANNED
}

func date(s string) *time.Time {
	t, err := time.Parse(scalar.DateLayout, s)
	if err != nil {
		return nil
	}
	return &t
}
