package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/testdb"
)

// languageCorpus are pilots (title, description) and organisations (name,
// description) in Finnish and Swedish, the forms of the words spread over
// them.
var languageCorpus = struct{ pilots, orgs [][2]string }{
	pilots: [][2]string{
		{"Kuntien yhteinen kokeilu", "Kokeilussa on mukana kolme naapurikuntaa."},
		{"Lapin kunnat kokeilevat", "Kunnissa kokeiluja on ollut jo vuosia."},
		{"Työllisyyden kuntakokeilu", "Kelan ja kuntien yhteistyö jatkuu."},
		{"Kuntakokeilu ja työllisyys", "Sama sanat, eri järjestys: työllisyyden hoito."},
		{"Äänekoski kokeilee kutsuliikennettä", "Liikkumisen palvelut kokeilun tuloksena."},
		{"Kommunernas försök med boende", "Försöken i kommunen pågår i tre år."},
		{"Tjänster för äldre", "Nya tjänsterna prövas i flera kommuner."},
		{"Perustulo", "Ei mitään yhteistä muiden kanssa."},
	},
	orgs: [][2]string{
		{"Kela", "Kansaneläkelaitos."},
		{"Suomen Kuntaliitto", "Kuntaliiton kokeilut ja selvitykset."},
		{"Lappi-verkosto", "Pohjoisen toimijat."},
	},
}

// TestSearchStems: a Finnish or Swedish form of a word finds the other
// forms of the same word, the same way on both databases. A word in quotes
// is matched by its stems only (no prefix), which is what PostgreSQL's own
// 'finnish' and 'swedish' text-search configurations do (the same Snowball
// stemmers): on PostgreSQL every row they match must be a hit. Kokeilu
// finds more where it should: a word typed without ä, ö or å ("forsoken"),
// and a word that meets another form through its Swedish stem ("kunta" →
// "kunt" → "kuntien").
func TestSearchStems(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := auth.System(context.Background())
		c := a.db.Client
		for _, p := range languageCorpus.pilots {
			c.Pilot.Create().SetTitle(p[0]).SetDescription(p[1]).ExecX(ctx)
		}
		for i, o := range languageCorpus.orgs {
			c.Organization.Create().SetName(o[0]).SetSlug("kieli-" + string(rune('a'+i))).SetDescription(o[1]).ExecX(ctx)
		}
		types := map[string]any{"types": []string{"PILOT", "ORGANIZATION"}, "first": 100}
		find := func(q string) []string {
			l := labels(a.search(q, types))
			slices.Sort(l)
			return l
		}
		kunta := []string{"Kuntien yhteinen kokeilu", "Lapin kunnat kokeilevat", "Työllisyyden kuntakokeilu"}
		kokeilu := []string{"Kuntien yhteinen kokeilu", "Lapin kunnat kokeilevat", "Suomen Kuntaliitto", "Äänekoski kokeilee kutsuliikennettä"}
		for q, want := range map[string][]string{
			// kunta, kunnat, kunnissa share the Snowball stem "kun"; the
			// genitive plural kuntien stems to "kunt" (no consonant
			// gradation in Snowball), which "kunta" also reaches through
			// its Swedish stem.
			"kunnissa": {"Lapin kunnat kokeilevat"},
			"kunnat":   {"Lapin kunnat kokeilevat"},
			"kuntien":  {"Kuntien yhteinen kokeilu", "Työllisyyden kuntakokeilu"},
			"kunta":    kunta,
			// kokeilu, kokeilun, kokeiluja, kokeilussa, kokeilut: one stem; the
			// verb kokeilee/kokeilevat is another word.
			"kokeilu":     kokeilu,
			"kokeilun":    kokeilu,
			"kokeiluja":   kokeilu,
			"kokeilussa":  kokeilu,
			"Lappi":       {"Lapin kunnat kokeilevat", "Lappi-verkosto"},
			"Lapin":       {"Lapin kunnat kokeilevat", "Lappi-verkosto"},
			"Kela":        {"Kela", "Työllisyyden kuntakokeilu"},
			"Kelan":       {"Kela", "Työllisyyden kuntakokeilu"},
			"Kuntaliitto": {"Suomen Kuntaliitto"},
			"Kuntaliiton": {"Suomen Kuntaliitto"},
			// Swedish: kommun, kommunen, kommuner, kommunernas; försök,
			// försöken; tjänst, tjänster, tjänsterna.
			"kommun":     {"Kommunernas försök med boende", "Tjänster för äldre"},
			"kommunerna": {"Kommunernas försök med boende", "Tjänster för äldre"},
			"forsoken":   {"Kommunernas försök med boende"},
			"tjänsterna": {"Tjänster för äldre"},
		} {
			quoted := find(`"` + q + `"`)
			if slices.Sort(want); !slices.Equal(quoted, want) {
				t.Errorf("%q: %q, want %q", q, quoted, want)
			}
			// Unquoted, the last word also matches as a prefix: a superset.
			if typed := find(q); !isSubset(quoted, typed) {
				t.Errorf("%s typed: %q lost hits of %q", q, typed, quoted)
			}
			if b == testdb.Postgres {
				if ref := referenceHits(t, a, q); !isSubset(ref, quoted) {
					t.Errorf("%q: %q, PostgreSQL's finnish/swedish configurations find %q", q, quoted, ref)
				}
			}
		}
		// The last word as it is being typed.
		for q, want := range map[string]string{"kokeil": "Kuntien yhteinen kokeilu", "aanekoski kokeil": "Äänekoski kokeilee kutsuliikennettä",
			"kuntaliit": "Suomen Kuntaliitto", "Kommunernas förs": "Kommunernas försök med boende"} {
			if l := find(q); !slices.Contains(l, want) {
				t.Errorf("%q: %q, want %q among them", q, l, want)
			}
		}
	})
}

// TestSearchPhrases: words in double quotes match only next to each other
// in that order (in any of their forms); outside quotes, in any order.
func TestSearchPhrases(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := auth.System(context.Background())
		for _, p := range languageCorpus.pilots {
			a.db.Client.Pilot.Create().SetTitle(p[0]).SetDescription(p[1]).ExecX(ctx)
		}
		find := func(q string) []string {
			l := labels(a.search(q, map[string]any{"first": 100}))
			slices.Sort(l)
			return l
		}
		for q, want := range map[string][]string{
			`työllisyyden kuntakokeilu`:   {"Kuntakokeilu ja työllisyys", "Työllisyyden kuntakokeilu"},
			`"työllisyyden kuntakokeilu"`: {"Työllisyyden kuntakokeilu"},
			`"kuntakokeilu työllisyyden"`: nil,
			`"kuntien yhteistyö" Kelan`:   {"Työllisyyden kuntakokeilu"},
			`"kunnissa kokeilu"`:          {"Lapin kunnat kokeilevat"}, // "Kunnissa kokeiluja"
			`"kommunens försök"`:          {"Kommunernas försök med boende"},
			`"försök kommunernas"`:        nil,
			`"yhteinen kokeilu`:           {"Kuntien yhteinen kokeilu"}, // an unclosed quote runs to the end
		} {
			if got := find(q); !slices.Equal(got, want) {
				t.Errorf("%s: %q, want %q", q, got, want)
			}
		}
		a.fail("BAD_USER_INPUT", `{ search(query: "\"\" ?") { totalCount } }`, nil)
	})
}

// TestSearchStrayAccents: an accent that is not å, ä or ö changes nothing,
// in the query or in the text, whole words and prefixes alike ("kuntá" is
// "kunta", "kommunér" is "kommuner"), on both databases; å, ä and ö typed
// in a prefix still count ("Åbo" does not find "about").
func TestSearchStrayAccents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := auth.System(context.Background())
		for _, p := range languageCorpus.pilots {
			a.db.Client.Pilot.Create().SetTitle(p[0]).SetDescription(p[1]).ExecX(ctx)
		}
		a.db.Client.Pilot.Create().SetTitle("Kuntá-kokeilú").SetDescription("Kommunér och café.").ExecX(ctx)
		a.db.Client.Pilot.Create().SetTitle("About the pilot").ExecX(ctx)
		a.db.Client.Pilot.Create().SetTitle("Åbo").ExecX(ctx)
		find := func(q string) []string {
			l := labels(a.search(q, map[string]any{"types": []string{"PILOT"}, "first": 100}))
			slices.Sort(l)
			return l
		}
		for stray, plain := range map[string]string{
			"kuntá": "kunta", "kúnnissa": "kunnissa", "kokeilún": "kokeilun", "Kelán": "Kelan", "Lâppi": "Lappi",
			"kommunér": "kommuner", "försökên": "försöken", "tjänstér": "tjänster", "cafe": "café",
			`"kuntá-kokeilu"`: `"kunta kokeilu"`, "kuntá kokeil": "kunta kokeil", "Åbó": "Åbo",
		} {
			got, want := find(stray), find(plain)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("%s: %q; %s: %q", stray, got, plain, want)
			}
		}
		// The text's stray accents fold too.
		for q, want := range map[string]string{"kunta": "Kuntá-kokeilú", "kokeilu": "Kuntá-kokeilú", "kommunerna": "Kuntá-kokeilú", "caf": "Kuntá-kokeilú"} {
			if l := find(q); !slices.Contains(l, want) {
				t.Errorf("%s: %q, want %q among them", q, l, want)
			}
		}
		for q, want := range map[string][]string{"Åbo": {"Åbo"}, "Åb": {"Åbo"}, "abo": {"About the pilot", "Åbo"}} {
			if l := find(q); !slices.Equal(l, want) {
				t.Errorf("%s: %q, want %q", q, l, want)
			}
		}
	})
}

func isSubset(small, big []string) bool {
	for _, s := range small {
		if !slices.Contains(big, s) {
			return false
		}
	}
	return true
}

// referenceHits are the labels of pilots and organisations whose text
// PostgreSQL's finnish or swedish configuration matches with word.
func referenceHits(t *testing.T, a *api, word string) []string {
	t.Helper()
	rows, err := a.db.SQL.Query(`SELECT label FROM (
		SELECT title AS label, title || ' ' || COALESCE(summary, '') || ' ' || COALESCE(description, '') AS text FROM pilots
		UNION ALL SELECT name, name || ' ' || COALESCE(description, '') FROM organizations) t
		WHERE to_tsvector('finnish', text) @@ plainto_tsquery('finnish', $1)
		   OR to_tsvector('swedish', text) @@ plainto_tsquery('swedish', $1)
		ORDER BY label`, word)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// TestSearchPlaces: municipalities, regions, wellbeing services counties
// and themes are found by their names in Finnish, Swedish and English, in
// any inflection, each with its own type filter.
func TestSearchPlaces(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		const q = `query($q: String!, $types: [SearchType!]) { search(query: $q, types: $types, first: 5) { totalCount nodes { __typename
		  ... on Municipality { nameFi } ... on Region { nameFi } ... on WellbeingCounty { nameFi } ... on Theme { nameFi } } } }`
		find := func(query string, types ...string) (out []string) {
			var got struct {
				Search struct {
					Nodes []struct {
						Typename string `json:"__typename"`
						NameFi   string
					}
				}
			}
			vars := map[string]any{"q": query}
			if len(types) > 0 {
				vars["types"] = types
			}
			a.query(&got, q, vars)
			for _, n := range got.Search.Nodes {
				out = append(out, n.Typename+" "+n.NameFi)
			}
			return out
		}
		for _, c := range []struct {
			query, kind, want string
		}{
			{"Helsingfors", "MUNICIPALITY", "Municipality Helsinki"},
			{"Åbo", "MUNICIPALITY", "Municipality Turku"},
			{"abo", "MUNICIPALITY", "Municipality Turku"},
			{"Vanda", "MUNICIPALITY", "Municipality Vantaa"},
			{"Lappland", "REGION", "Region Lappi"},
			{"Lapin", "REGION", "Region Lappi"},
			{"Egentliga Finland", "REGION", "Region Varsinais-Suomi"},
			{"Lapplands välfärdsområde", "WELLBEING_COUNTY", "WellbeingCounty Lapin hyvinvointialue"},
			{"wellbeing services county Lapland", "WELLBEING_COUNTY", "WellbeingCounty Lapin hyvinvointialue"},
		} {
			if got := find(c.query, c.kind); len(got) == 0 || got[0] != c.want {
				t.Errorf("%s (%s): %q, want %q first", c.query, c.kind, got, c.want)
			}
		}
		// Without a filter the same places are found among everything else.
		if got := find("Helsingfors"); !slices.Contains(got, "Municipality Helsinki") {
			t.Errorf("Helsingfors: %q", got)
		}
		// Themes: created through ent, so the hooks index them on write.
		a.db.Client.Theme.Create().SetSlug("asuminen-haku").SetNameFi("Asumisen kokeilut").SetNameSv("Försök med boende").
			SetNameEn("Housing pilots").ExecX(auth.System(context.Background()))
		for _, name := range []string{"asumisen", "boendet", "housing pilot"} {
			if got := find(name, "THEME"); !slices.Equal(got, []string{"Theme Asumisen kokeilut"}) {
				t.Errorf("theme %q: %q", name, got)
			}
		}
	})
}

// TestSearchReadmeExamples: the README's search examples find what it says
// on the demo data.
func TestSearchReadmeExamples(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		for q, want := range map[string]string{
			`"työllisyyden kuntakokeilu" helsin`: "Työllisyyden kuntakokeilu – Helsinki",
			`tyollisyyden kuntakokeiluissa`:      "Työllisyyden kuntakokeilu – Helsinki",
		} {
			got := a.search(q, map[string]any{"types": []string{"PILOT", "NOTICE"}, "first": 20})
			if !slices.Contains(labels(got), want) {
				t.Errorf("%s: %q (total %d), want %q among them", q, labels(got), got.TotalCount, want)
			}
		}
		var got struct {
			Search struct {
				Nodes []struct{ NameFi string }
			}
		}
		a.query(&got, `{ search(query: "Helsingfors", types: [MUNICIPALITY]) { nodes { ... on Municipality { nameFi } } } }`, nil)
		if len(got.Search.Nodes) != 1 || got.Search.Nodes[0].NameFi != "Helsinki" {
			t.Errorf("Helsingfors: %+v", got.Search.Nodes)
		}
	})
}

// TestSearchSnippets: each hit says where it matched: its title when a
// query word is there, else the part of its body around the first match,
// with the matched words (in any of their forms) marked by character
// offsets.
func TestSearchSnippets(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := auth.System(context.Background())
		long := strings.Repeat("Alussa on pitkä johdanto ilman hakusanoja. ", 8) + "Lopuksi Äänekosken kunnissa kokeiltiin kutsuliikennettä."
		a.db.Client.Pilot.Create().SetTitle("Liikkumisen palvelut").SetDescription(long).ExecX(ctx)
		a.db.Client.Pilot.Create().SetTitle("Kunnat kokeilevat yhdessä").SetDescription("Kunta ja kunnat.").ExecX(ctx)
		var got struct {
			Search struct {
				Edges []struct {
					Node    struct{ Title string }
					Snippet struct {
						Text       string
						Highlights []struct{ Start, Length int }
					}
				}
			}
		}
		a.query(&got, `query($q: String!) { search(query: $q, types: [PILOT]) { edges {
			node { ... on Pilot { title } } snippet { text highlights { start length } } } } }`, map[string]any{"q": "kunta"})
		marked := map[string][]string{}
		for _, e := range got.Search.Edges {
			r := []rune(e.Snippet.Text)
			for _, h := range e.Snippet.Highlights {
				marked[e.Node.Title] = append(marked[e.Node.Title], string(r[h.Start:h.Start+h.Length]))
			}
			if e.Node.Title == "Liikkumisen palvelut" && (!strings.HasPrefix(e.Snippet.Text, "…") || len(r) > 162 || !strings.Contains(e.Snippet.Text, "Äänekosken kunnissa")) {
				t.Errorf("body snippet: %q", e.Snippet.Text)
			}
		}
		want := map[string][]string{"Kunnat kokeilevat yhdessä": {"Kunnat"}, "Liikkumisen palvelut": {"kunnissa"}}
		if fmt.Sprint(marked) != fmt.Sprint(want) {
			t.Errorf("marked %q, want %q", marked, want)
		}
	})
}
