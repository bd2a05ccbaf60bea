package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/export"
	"kokeilu/internal/search"
	"kokeilu/internal/testdb"
)

// exportColumns is the documented header (README, data dictionary); it is
// spelt out here, not read from the code, so a rename fails this test.
var exportColumns = []string{"id", "slug", "title", "status", "starts_on", "ends_on",
	"lead_municipality_code", "lead_municipality_name", "municipality_codes", "theme_slugs",
	"summary", "source_url", "created_at", "updated_at"}

// get fetches an export; it returns the status, the body and the error code
// and parameter of a refused request.
func (a *api) get(path string) (int, []byte) {
	a.t.Helper()
	res, err := http.Get(a.srv.URL + path)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return res.StatusCode, body
}

func (a *api) exportCSV(params string) [][]string {
	a.t.Helper()
	status, body := a.get("/export/pilots.csv?" + params)
	if status != http.StatusOK {
		a.t.Fatalf("export %s: %d %s", params, status, body)
	}
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		a.t.Fatal(err)
	}
	if !slices.Equal(records[0], exportColumns) {
		a.t.Fatalf("header %v, want %v", records[0], exportColumns)
	}
	return records[1:]
}

// pilotCount asks GraphQL how many pilots match where.
func (a *api) pilotCount(where map[string]any) int {
	a.t.Helper()
	var got struct{ Pilots struct{ TotalCount int } }
	a.query(&got, `query($w: PilotWhereInput) { pilots(where: $w, first: 1) { totalCount } }`, map[string]any{"w": where})
	return got.Pilots.TotalCount
}

// TestExportPilots: the export has the documented columns, every pilot,
// the same rows as the pilots query for each filter, is read in batches,
// and refuses bad parameters with 400 naming the parameter.
func TestExportPilots(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := search.WithoutIndexing(auth.System(context.Background()))
		if err := dataset.Generate(ctx, a.db.Client, dataset.Size{Pilots: 1200, Networks: 10, Organizations: 10, Themes: 5}, 7); err != nil {
			t.Fatal(err)
		}
		defer func(n int) { export.BatchSize = n }(export.BatchSize)
		export.BatchSize = 500

		before := a.statements.Load()
		rows := a.exportCSV("")
		// Three batches of 500, each one statement for pilots and one per
		// eager-loaded edge (lead municipality, municipalities, themes).
		if got := a.statements.Load() - before; got != 3*4 {
			t.Errorf("export ran %d statements, want 12 (3 batches)", got)
		}
		if len(rows) != 1200 {
			t.Fatalf("%d rows, want 1200", len(rows))
		}
		ids := map[string]bool{}
		for _, r := range rows {
			ids[r[0]] = true
			if r[2] == "" || r[3] == "" || r[6] == "" || r[8] == "" {
				t.Fatalf("incomplete row %v", r)
			}
		}
		if len(ids) != 1200 {
			t.Errorf("%d distinct ids in 1200 rows", len(ids))
		}

		lead := rows[0][6]
		for _, c := range []struct {
			params string
			where  map[string]any
		}{
			{"status=ACTIVE", map[string]any{"status": "ACTIVE"}},
			{"status=active,cancelled", map[string]any{"statusIn": []string{"ACTIVE", "CANCELLED"}}},
			{"theme=synthetic-theme-1", map[string]any{"hasThemesWith": []any{map[string]any{"slug": "synthetic-theme-1"}}}},
			{"municipality=" + lead, map[string]any{"municipalityCode": lead}},
			{"region=01", map[string]any{"regionCode": "01"}},
			{"region=01,02&county=90", map[string]any{"regionCodeIn": []string{"01", "02"}, "wellbeingCountyCode": "90"}},
			{"text=KOTIHOITO", map[string]any{"or": []any{
				map[string]any{"titleContainsFold": "kotihoito"}, map[string]any{"summaryContainsFold": "kotihoito"}}}},
			{"startsFrom=2015-01-01&startsTo=2016-12-31&status=COMPLETED", map[string]any{
				"startsOnGTE": "2015-01-01", "startsOnLTE": "2016-12-31", "status": "COMPLETED"}},
		} {
			want := a.pilotCount(c.where)
			if got := len(a.exportCSV(c.params)); got != want || want == 0 {
				t.Errorf("%s: %d rows, pilots query counts %d", c.params, got, want)
			}
		}

		// JSON: the same rows, the same keys, lists as arrays.
		status, body := a.get("/export/pilots.json?status=ACTIVE")
		if status != http.StatusOK {
			t.Fatalf("json: %d %s", status, body)
		}
		var objects []map[string]any
		if err := json.Unmarshal(body, &objects); err != nil {
			t.Fatal(err)
		}
		if len(objects) != a.pilotCount(map[string]any{"status": "ACTIVE"}) {
			t.Errorf("json: %d objects", len(objects))
		}
		for k := range objects[0] {
			if !slices.Contains(exportColumns, k) {
				t.Errorf("json key %q is not a documented column", k)
			}
		}
		if _, ok := objects[0]["municipality_codes"].([]any); !ok || len(objects[0]) != len(exportColumns) {
			t.Errorf("json object %v", objects[0])
		}

		for _, c := range []struct{ params, param string }{
			{"status=FOO", "status"},
			{"startsFrom=2020-13-01", "startsFrom"},
			{"municipality=91", "municipality"},
			{"region=x1", "region"},
			{"colour=red", "colour"},
		} {
			status, body := a.get("/export/pilots.csv?" + c.params)
			var e struct {
				Errors []struct {
					Message    string
					Extensions struct{ Code, Parameter string }
				}
			}
			_ = json.Unmarshal(body, &e)
			if status != http.StatusBadRequest || len(e.Errors) != 1 || e.Errors[0].Extensions.Code != "BAD_USER_INPUT" || e.Errors[0].Extensions.Parameter != c.param {
				t.Errorf("%s: %d %s", c.params, status, body)
			}
		}
		if status, _ := a.get("/export/networks.csv"); status != http.StatusNotFound {
			t.Errorf("unknown export: %d", status)
		}
	})
}
