package server_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"kokeilu/internal/export"
	"kokeilu/internal/testdb"
)

// TestExportRepeatedParameters: every export route reads its parameters
// with one reader (export.Params). A list parameter given twice counts
// every value, as comma-separated (edgeKinds=LEADS&edgeKinds=PARTICIPATES_IN
// read LEADS alone), and a bad value anywhere in it is 400; a single-valued
// parameter given twice is 400 naming it (a later, even invalid, value was
// ignored). Every parameter of every route is tried.
func TestExportRepeatedParameters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		// Two good values of each parameter and, for lists, a bad one ("" when
		// every value is accepted).
		values := map[string][3]string{
			"nodeTypes": {"PILOT", "MUNICIPALITY", "PERSON"}, "edgeKinds": {"LEADS", "PARTICIPATES_IN", "FOO"},
			"regionCode": {"01", "99"}, "themeSlug": {"a", "b"}, "asOf": {"2020-01-01", "bogus"},
			"from": {"2019-01-01", "2020-01-01"}, "to": {"2021-01-01", "2022-01-01"},
			"projection": {"true", "maybe"}, "maxNodes": {"5", "-3"},
			"status": {"ACTIVE", "PLANNED", "FOO"}, "theme": {"a", "b", ""}, "municipality": {"091", "049", "91"},
			"region": {"01", "02", "x1"}, "county": {"90", "01", "x"},
			"startsFrom": {"2020-01-01", "2021-01-01"}, "startsTo": {"2030-01-01", "2031-01-01"}, "text": {"kokeilu", "zzzz"},
		}
		routes := map[string][]export.Param{"pilots.csv": export.Parameters, "pilots.json": export.Parameters}
		for _, r := range []string{"graph.graphml", "graph.gexf", "nodes.csv", "edges.csv", "graph.zip"} {
			routes[r] = export.GraphParameters
		}
		get := func(route, query string) (int, []byte, string) {
			t.Helper()
			res, err := http.Get(a.srv.URL + "/export/" + route + "?" + query)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if route == "graph.zip" && res.StatusCode == 200 { // zip entries carry times: compare the counts
				body = []byte(res.Header.Get("X-Graph-Nodes") + " " + res.Header.Get("X-Graph-Edges"))
			}
			return res.StatusCode, body, res.Header.Get("X-Graph-Edges")
		}
		differs := 0
		for route, params := range routes {
			for _, p := range params {
				v, ok := values[p.Name]
				if !ok {
					t.Errorf("%s: no values for parameter %s; add some", route, p.Name)
					continue
				}
				refused := func(query string) {
					t.Helper()
					status, body, _ := get(route, query)
					if status != 400 {
						t.Errorf("%s?%s: %d, want 400", route, query, status)
						return
					}
					if code, param := refusal(t, body); code != "BAD_USER_INPUT" || param != p.Name {
						t.Errorf("%s?%s: %s on %q, want BAD_USER_INPUT on %q", route, query, code, param, p.Name)
					}
				}
				if !p.List {
					refused(p.Name + "=" + v[0] + "&" + p.Name + "=" + v[1])
					refused(p.Name + "=" + v[0] + "&" + p.Name + "=" + v[0])
					continue
				}
				sRep, rep, _ := get(route, p.Name+"="+v[0]+"&"+p.Name+"="+v[1])
				sComma, comma, _ := get(route, p.Name+"="+v[0]+","+v[1])
				_, first, _ := get(route, p.Name+"="+v[0])
				if sRep != 200 || sComma != 200 || !bytes.Equal(rep, comma) {
					t.Errorf("%s: %s repeated (%d, %d bytes) differs from comma-separated (%d, %d bytes)", route, p.Name, sRep, len(rep), sComma, len(comma))
				}
				if !bytes.Equal(rep, first) {
					differs++
				}
				if v[2] != "" {
					refused(p.Name + "=" + v[0] + "&" + p.Name + "=" + v[2])
					refused(p.Name + "=" + v[2] + "&" + p.Name + "=" + v[0])
					refused(p.Name + "=" + v[0] + "," + v[2])
				}
			}
		}
		// The repeats must have mattered somewhere, else the data cannot
		// tell reading all values from reading the first.
		if differs < 5 {
			t.Errorf("only %d list parameters gave a different answer for two values than for the first", differs)
		}
	})
}
