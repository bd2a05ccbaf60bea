package seed

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
	"kokeilu/ent/theme"
	"kokeilu/ent/user"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/slug"
)

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

// kelaSlug is Kela's organisation: it ran the basic income experiment and
// was the partner of item 5 of the 2015–2016 act (pilots.csv has no
// partner column, so this is said here).
const kelaSlug = "kela"

var kelaPilots = []string{"perustulo-2017", "kuntakokeilu-2015-kela"}

// Changes is what a load of the experiments did, by pilot slug.
type Changes struct {
	Created, Updated []string
	Unchanged        int
	// Missing are reference pilots the file no longer has; they are left
	// as they are.
	Missing []string
	// Skipped are rows whose slug belongs to a pilot a user created.
	Skipped []string
}

// Experiments brings the verified experiments of the shipped pilots.csv
// into the database (see ExperimentsFrom).
func Experiments(ctx context.Context, client *ent.Client, now time.Time) (Changes, error) {
	data, err := files.ReadFile("data/pilots.csv")
	if err != nil {
		return Changes{}, err
	}
	return ExperimentsFrom(ctx, client, data, now)
}

// ExperimentsFrom upserts the experiments of a pilots.csv in one
// transaction, keyed by pilot_id (the pilot's slug), as reference data: a
// pilot per row with the file's municipalities, lead, themes, dates and
// source, marked reference; a PROGRAMME network per programme with the
// programme's dates (earliest start, latest end) and its participants. A
// second load with the same file writes nothing; a changed row updates its
// pilot in place; pilots the file no longer has are left alone and logged.
// Demo pilots of older versions (same slugs, no creator) are taken over.
// Status follows the dates at now.
func ExperimentsFrom(ctx context.Context, client *ent.Client, data []byte, now time.Time) (Changes, error) {
	ctx = auth.System(ctx)
	rows, err := parseCSV("pilots.csv", bytes.NewReader(data))
	if err != nil {
		return Changes{}, err
	}
	var ch Changes
	load := func(tx *ent.Tx) error {
		e := experiments{ctx: ctx, tx: tx, now: now}
		var err error
		ch, err = e.load(rows)
		return err
	}
	// Instances starting together race to create the same rows; the loser
	// of a unique key loads again and finds them there.
	for attempt := 0; ; attempt++ {
		err = inTx(ctx, client, load)
		if err == nil || !ent.IsConstraintError(err) || attempt == 2 {
			break
		}
	}
	if err != nil {
		return Changes{}, fmt.Errorf("pilots.csv: %w", err)
	}
	for _, s := range ch.Missing {
		slog.Warn("reference pilot no longer in pilots.csv; left as it is", "pilot", s)
	}
	for _, s := range ch.Skipped {
		slog.Warn("pilots.csv row not loaded: a user's pilot has its slug", "pilot", s)
	}
	slog.Info("verified experiments", "created", len(ch.Created), "updated", len(ch.Updated), "unchanged", ch.Unchanged)
	return ch, nil
}

type experiments struct {
	ctx       context.Context
	tx        *ent.Tx
	now       time.Time
	municipal map[string]int
	themes    map[string]int // theme word → id
}

// want is a pilot as a row of the file says it should be.
type want struct {
	slug, title, summary, description, sourceURL string
	startsOn, endsOn                             *time.Time
	status                                       pilot.Status
	complete                                     *bool
	lead                                         int // 0: none
	municipalities, themes                       []int
	programme                                    string
	kela                                         bool
}

func (e *experiments) load(rows []record) (Changes, error) {
	var ch Changes
	if err := e.lookups(rows); err != nil {
		return ch, err
	}
	wants := make([]want, 0, len(rows))
	seen := map[string]bool{}
	for _, r := range rows {
		w, err := e.want(r)
		if err != nil {
			return ch, fmt.Errorf("pilot %q: %w", r["pilot_id"], err)
		}
		if seen[w.slug] {
			return ch, fmt.Errorf("pilot %q is given twice", w.slug)
		}
		seen[w.slug] = true
		wants = append(wants, w)
	}
	programmes, err := e.programmes(wants)
	if err != nil {
		return ch, err
	}
	kela, err := e.kela()
	if err != nil {
		return ch, err
	}
	slugs := make([]string, len(wants))
	for i, w := range wants {
		slugs[i] = w.slug
	}
	existing, err := e.tx.Pilot.Query().Where(pilot.SlugIn(slugs...)).
		WithLeadMunicipality(func(q *ent.MunicipalityQuery) { q.Select(municipality.FieldID) }).
		WithMunicipalities(func(q *ent.MunicipalityQuery) { q.Select(municipality.FieldID) }).
		WithThemes(func(q *ent.ThemeQuery) { q.Select(theme.FieldID) }).
		WithNetworks(func(q *ent.NetworkQuery) { q.Select(network.FieldID) }).
		WithOrganizations(func(q *ent.OrganizationQuery) { q.Select(organization.FieldID) }).
		WithCreatedBy(func(q *ent.UserQuery) { q.Select(user.FieldID) }).
		All(e.ctx)
	if err != nil {
		return ch, err
	}
	bySlug := make(map[string]*ent.Pilot, len(existing))
	for _, p := range existing {
		bySlug[p.Slug] = p
	}
	for _, w := range wants {
		p := bySlug[w.slug]
		switch {
		case p == nil:
			if err := e.create(w, programmes, kela); err != nil {
				return ch, fmt.Errorf("pilot %q: %w", w.slug, err)
			}
			ch.Created = append(ch.Created, w.slug)
		case !p.Reference && p.Edges.CreatedBy != nil:
			ch.Skipped = append(ch.Skipped, w.slug)
		default:
			changed, err := e.update(p, w, programmes, kela)
			if err != nil {
				return ch, fmt.Errorf("pilot %q: %w", w.slug, err)
			}
			if changed {
				ch.Updated = append(ch.Updated, w.slug)
			} else {
				ch.Unchanged++
			}
		}
	}
	ch.Missing, err = e.tx.Pilot.Query().Where(pilot.Reference(true), pilot.SlugNotIn(slugs...)).
		Order(ent.Asc(pilot.FieldSlug)).Select(pilot.FieldSlug).Strings(e.ctx)
	return ch, err
}

// lookups reads the municipalities' ids and creates the file's themes that
// are missing (existing themes keep their names).
func (e *experiments) lookups(rows []record) error {
	ms, err := e.tx.Municipality.Query().Select(municipality.FieldID, municipality.FieldCode).All(e.ctx)
	if err != nil {
		return err
	}
	e.municipal = make(map[string]int, len(ms))
	for _, m := range ms {
		e.municipal[m.Code] = m.ID
	}
	words := map[string]string{} // slug → theme word
	for _, r := range rows {
		for _, w := range themeWords(r["theme"]) {
			if _, ok := themeNames[w]; !ok {
				return fmt.Errorf("pilot %q: theme %q has no translation", r["pilot_id"], w)
			}
			words[slug.Make(w)] = w
		}
	}
	have, err := e.tx.Theme.Query().Where(theme.SlugIn(mapKeys(words)...)).All(e.ctx)
	if err != nil {
		return err
	}
	e.themes = map[string]int{}
	for _, t := range have {
		e.themes[words[t.Slug]] = t.ID
	}
	for _, s := range mapKeys(words) {
		w := words[s]
		if _, ok := e.themes[w]; ok {
			continue
		}
		names := themeNames[w]
		t, err := e.tx.Theme.Create().SetSlug(s).SetNameFi(names[0]).SetNameSv(names[1]).SetNameEn(w).Save(e.ctx)
		if err != nil {
			return err
		}
		e.themes[w] = t.ID
	}
	return nil
}

func (e *experiments) want(r record) (want, error) {
	w := want{
		slug: r["pilot_id"], title: r["name"], summary: r["description"], description: r["notes"],
		sourceURL: r["source_url"], startsOn: date(r["start_date"]), endsOn: date(r["end_date"]),
		programme: r["programme"], kela: slices.Contains(kelaPilots, r["pilot_id"]),
	}
	if w.slug == "" || w.title == "" {
		return w, fmt.Errorf("pilot_id and name are required")
	}
	w.status = status(w.startsOn, w.endsOn, e.now)
	switch r["participants_complete"] {
	case "true":
		w.complete = ptr(true)
	case "false":
		w.complete = ptr(false)
	}
	var err error
	if w.municipalities, err = e.codes(strings.Fields(r["participating_municipality_codes"])); err != nil {
		return w, err
	}
	if lead := r["lead_municipality_code"]; lead != "" {
		ids, err := e.codes([]string{lead})
		if err != nil {
			return w, err
		}
		w.lead = ids[0]
		// The lead takes part in its pilot (integrity.LeadTakesPart).
		if !slices.Contains(w.municipalities, w.lead) {
			w.municipalities = append(w.municipalities, w.lead)
		}
	}
	for _, t := range themeWords(r["theme"]) {
		w.themes = append(w.themes, e.themes[t])
	}
	return w, nil
}

// programmes upserts a PROGRAMME network per programme of the file, keyed
// by the slug of its name, with the programme's dates and participants,
// and returns them by name. A user's network of the same slug is left
// alone, and that programme's pilots get no network.
func (e *experiments) programmes(wants []want) (map[string]*ent.Network, error) {
	type prog struct {
		startsOn, endsOn *time.Time
		members          []int
	}
	progs := map[string]*prog{}
	var names []string
	for _, w := range wants {
		if w.programme == "" {
			continue
		}
		p := progs[w.programme]
		if p == nil {
			p = &prog{startsOn: w.startsOn, endsOn: w.endsOn}
			progs[w.programme] = p
			names = append(names, w.programme)
		}
		if w.startsOn == nil || (p.startsOn != nil && w.startsOn.Before(*p.startsOn)) {
			p.startsOn = w.startsOn // unknown start: the programme's is unknown too
		}
		if w.endsOn == nil || (p.endsOn != nil && w.endsOn.After(*p.endsOn)) {
			p.endsOn = w.endsOn
		}
		for _, id := range w.municipalities {
			if !slices.Contains(p.members, id) {
				p.members = append(p.members, id)
			}
		}
	}
	out := map[string]*ent.Network{}
	for _, name := range names {
		p := progs[name]
		s := slug.Make(name)
		n, err := e.tx.Network.Query().Where(network.Slug(s)).
			WithMunicipalities(func(q *ent.MunicipalityQuery) { q.Select(municipality.FieldID) }).
			WithCreatedBy(func(q *ent.UserQuery) { q.Select(user.FieldID) }).
			Only(e.ctx)
		switch {
		case ent.IsNotFound(err):
			n, err = e.tx.Network.Create().SetName(name).SetSlug(s).SetKind(network.KindPROGRAMME).
				SetNillableStartsOn(p.startsOn).SetNillableEndsOn(p.endsOn).AddMunicipalityIDs(p.members...).Save(e.ctx)
			if err != nil {
				return nil, err
			}
		case err != nil:
			return nil, err
		case n.Edges.CreatedBy != nil:
			slog.Warn("pilots.csv programme has no network: a user's network has its slug", "network", s)
			continue
		default:
			u := e.tx.Network.UpdateOne(n)
			changed := n.Name != name || n.Kind != network.KindPROGRAMME ||
				!sameDate(n.StartsOn, p.startsOn) || !sameDate(n.EndsOn, p.endsOn)
			u.SetName(name).SetKind(network.KindPROGRAMME)
			setDates(p.startsOn, p.endsOn, u.SetStartsOn, u.ClearStartsOn, u.SetEndsOn, u.ClearEndsOn)
			if add, remove := diff(ids(n.Edges.Municipalities), p.members); len(add)+len(remove) > 0 {
				u.AddMunicipalityIDs(add...).RemoveMunicipalityIDs(remove...)
				changed = true
			}
			if changed {
				if n, err = u.Save(e.ctx); err != nil {
					return nil, err
				}
			}
		}
		out[name] = n
	}
	return out, nil
}

// kela returns Kela's organisation, creating it if missing.
func (e *experiments) kela() (*ent.Organization, error) {
	o, err := e.tx.Organization.Query().Where(organization.Slug(kelaSlug)).Only(e.ctx)
	if !ent.IsNotFound(err) {
		return o, err
	}
	return e.tx.Organization.Create().
		SetName("Kansaneläkelaitos (Kela)").SetSlug(kelaSlug).SetKind(organization.KindAGENCY).
		SetDescription("The Social Insurance Institution of Finland.").
		SetWebsite("https://www.kela.fi").SetMunicipalityID(e.municipal["091"]).
		Save(e.ctx)
}

func (e *experiments) create(w want, programmes map[string]*ent.Network, kela *ent.Organization) error {
	c := e.tx.Pilot.Create().SetSlug(w.slug).SetReference(true).
		SetTitle(w.title).SetSummary(w.summary).SetDescription(w.description).SetSourceURL(w.sourceURL).
		SetStatus(w.status).SetNillableStartsOn(w.startsOn).SetNillableEndsOn(w.endsOn).
		SetNillableParticipantsComplete(w.complete).
		AddMunicipalityIDs(w.municipalities...).AddThemeIDs(w.themes...)
	if w.lead != 0 {
		c.SetLeadMunicipalityID(w.lead)
	}
	if n := programmes[w.programme]; n != nil {
		c.AddNetworkIDs(n.ID)
	}
	if w.kela {
		c.AddOrganizations(kela)
	}
	return c.Exec(e.ctx)
}

// update writes what differs between pilot p and the row; it reports
// whether anything did. Organisations and networks other than the file's
// programmes are the users' and stay.
func (e *experiments) update(p *ent.Pilot, w want, programmes map[string]*ent.Network, kela *ent.Organization) (bool, error) {
	u := e.tx.Pilot.UpdateOne(p)
	changed := !p.Reference || p.Title != w.title || p.Summary != w.summary || p.Description != w.description ||
		p.SourceURL != w.sourceURL || p.Status != w.status ||
		!sameDate(p.StartsOn, w.startsOn) || !sameDate(p.EndsOn, w.endsOn) || !sameBool(p.ParticipantsComplete, w.complete)
	u.SetReference(true).SetTitle(w.title).SetSummary(w.summary).SetDescription(w.description).
		SetSourceURL(w.sourceURL).SetStatus(w.status)
	setDates(w.startsOn, w.endsOn, u.SetStartsOn, u.ClearStartsOn, u.SetEndsOn, u.ClearEndsOn)
	if w.complete != nil {
		u.SetParticipantsComplete(*w.complete)
	} else {
		u.ClearParticipantsComplete()
	}
	lead := 0
	if p.Edges.LeadMunicipality != nil {
		lead = p.Edges.LeadMunicipality.ID
	}
	if lead != w.lead {
		changed = true
		if w.lead == 0 {
			u.ClearLeadMunicipality()
		} else {
			u.SetLeadMunicipalityID(w.lead)
		}
	}
	if add, remove := diff(ids(p.Edges.Municipalities), w.municipalities); len(add)+len(remove) > 0 {
		u.AddMunicipalityIDs(add...).RemoveMunicipalityIDs(remove...)
		changed = true
	}
	if add, remove := diff(ids(p.Edges.Themes), w.themes); len(add)+len(remove) > 0 {
		u.AddThemeIDs(add...).RemoveThemeIDs(remove...)
		changed = true
	}
	// The pilot's programme among the file's programme networks.
	have := ids(p.Edges.Networks)
	for name, n := range programmes {
		in := slices.Contains(have, n.ID)
		switch {
		case name == w.programme && !in:
			u.AddNetworkIDs(n.ID)
			changed = true
		case name != w.programme && in:
			u.RemoveNetworkIDs(n.ID)
			changed = true
		}
	}
	if w.kela && !slices.Contains(ids(p.Edges.Organizations), kela.ID) {
		u.AddOrganizations(kela)
		changed = true
	}
	if !changed {
		return false, nil
	}
	return true, u.Exec(e.ctx)
}

func (e *experiments) codes(codes []string) ([]int, error) {
	out := make([]int, 0, len(codes))
	for _, c := range codes {
		id, ok := e.municipal[c]
		if !ok {
			return nil, fmt.Errorf("unknown municipality code %q", c)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// themeWords splits the file's "a; b" theme list.
func themeWords(list string) []string {
	var out []string
	for _, w := range strings.Split(list, ";") {
		if w = strings.TrimSpace(w); w != "" && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// setDates sets or clears a start and an end date.
func setDates[T any](startsOn, endsOn *time.Time, setStart func(time.Time) T, clearStart func() T, setEnd func(time.Time) T, clearEnd func() T) {
	if startsOn != nil {
		setStart(*startsOn)
	} else {
		clearStart()
	}
	if endsOn != nil {
		setEnd(*endsOn)
	} else {
		clearEnd()
	}
}

func sameDate(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Format(scalar.DateLayout) == b.Format(scalar.DateLayout)
}

func sameBool(a, b *bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func ptr[T any](v T) *T { return &v }

// ids of ent rows.
func ids[T interface {
	*ent.Municipality | *ent.Theme | *ent.Network | *ent.Organization
}](rows []T) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		switch r := any(r).(type) {
		case *ent.Municipality:
			out[i] = r.ID
		case *ent.Theme:
			out[i] = r.ID
		case *ent.Network:
			out[i] = r.ID
		case *ent.Organization:
			out[i] = r.ID
		}
	}
	return out
}

// diff returns what to add to have to get want, and what to remove.
func diff(have, want []int) (add, remove []int) {
	for _, id := range want {
		if !slices.Contains(have, id) {
			add = append(add, id)
		}
	}
	for _, id := range have {
		if !slices.Contains(want, id) {
			remove = append(remove, id)
		}
	}
	return add, remove
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
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
