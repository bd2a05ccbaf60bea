// Package export streams pilots as CSV or JSON (GET /export/pilots.csv,
// /export/pilots.json) with the pilots list's filters as URL parameters.
// Rows are read in keyset batches through the ent client with the request's
// viewer, and written and flushed batch by batch, so a 100,000-row export
// holds one batch in memory, never the whole result.
package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"kokeilu/internal/fault"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/ent/pilot"
	"kokeilu/ent/predicate"
	"kokeilu/ent/theme"
	"kokeilu/internal/analytics"
	"kokeilu/internal/policy"
	"kokeilu/internal/scalar"
	"kokeilu/internal/text"
)

// Columns are the export's columns, in order: the CSV header and the JSON
// keys. They are a public contract (README, "Data dictionary"): add new
// ones at the end, never rename.
var Columns = []string{
	"id", "slug", "title", "status", "starts_on", "ends_on",
	"lead_municipality_code", "lead_municipality_name", "municipality_codes", "theme_slugs",
	"summary", "source_url", "created_at", "updated_at",
}

// BatchSize is how many pilots are read and written at a time.
var BatchSize = 1000

// Parameters are the accepted URL parameters; anything else is refused, so
// a misspelt filter never silently exports everything.
var Parameters = []Param{{"status", true}, {"theme", true}, {"municipality", true}, {"region", true}, {"county", true},
	{"startsFrom", false}, {"startsTo", false}, {"text", false}}

// maxText is the longest text= search, in characters.
const maxText = 200

// Handler serves /export/pilots.csv and /export/pilots.json.
func Handler(client *ent.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var format string
		switch r.PathValue("file") {
		case "pilots.csv":
			format = "csv"
		case "pilots.json":
			format = "json"
		default:
			WriteError(w, http.StatusNotFound, fault.NotFound, "", "exports are /export/pilots.csv and /export/pilots.json")
			return
		}
		q, perr := Params(r, Parameters)
		var where *ent.PilotWhereInput
		if perr == nil {
			where, perr = Where(q)
		}
		if perr != nil {
			WriteError(w, http.StatusBadRequest, fault.BadUserInput, perr.Param, perr.Message)
			return
		}
		// As in GraphQL: has…With filters see only what the viewer may read.
		policy.ScopeWhere(r.Context(), where)
		p, err := analytics.Predicate(where)
		if err != nil {
			WriteError(w, http.StatusBadRequest, fault.BadUserInput, "", err.Error())
			return
		}
		stream(r.Context(), w, client, p, format)
	})
}

// Where is the pilots query's where input (PilotWhereInput, as the API
// takes it) for the URL parameters of an export, read by Params (lists
// come split): each parameter sets the field it stands for (filters);
// values within one parameter are alternatives (…In), different parameters
// all apply (AND).
func Where(q url.Values) (*ent.PilotWhereInput, *ParamError) {
	w := &ent.PilotWhereInput{}
	for _, p := range Parameters {
		name := p.Name
		values, ok := q[name]
		if !ok {
			continue
		}
		if err := filters[name](w, values); err != nil {
			return nil, &ParamError{name, name + " " + err.Error()}
		}
	}
	return w, nil
}

// filters set the where input's field of each parameter from its values;
// their errors follow the parameter's name.
var filters = map[string]func(w *ent.PilotWhereInput, values []string) error{
	"status": func(w *ent.PilotWhereInput, values []string) error {
		for _, v := range list(values) {
			s := pilot.Status(strings.ToUpper(v))
			if pilot.StatusValidator(s) != nil {
				return fmt.Errorf("%q is not one of PLANNED, ACTIVE, COMPLETED, CANCELLED", v)
			}
			w.StatusIn = append(w.StatusIn, s)
		}
		return nil
	},
	"theme": func(w *ent.PilotWhereInput, values []string) error {
		if slugs := list(values); slugs != nil {
			w.HasThemesWith = append(w.HasThemesWith, &ent.ThemeWhereInput{SlugIn: slugs})
		}
		return nil
	},
	// The areas are the where input's municipalityCodeIn, regionCodeIn and
	// wellbeingCountyCodeIn: one meaning, analytics.Area.
	"municipality": area(analytics.Municipality),
	"region":       area(analytics.Region),
	"county":       area(analytics.WellbeingCounty),
	"startsFrom":   date(func(w *ent.PilotWhereInput, d time.Time) { w.StartsOnGTE = &d }),
	"startsTo":     date(func(w *ent.PilotWhereInput, d time.Time) { w.StartsOnLTE = &d }),
	"text": func(w *ent.PilotWhereInput, values []string) error {
		t := strings.TrimSpace(values[0]) // one value: Params refuses more
		if t == "" {
			return nil
		}
		if n := text.Len(t); n > maxText {
			return fmt.Errorf("is %d characters long; at most %d are allowed", n, maxText)
		}
		w.Or = append(w.Or, &ent.PilotWhereInput{TitleContainsFold: &t}, &ent.PilotWhereInput{SummaryContainsFold: &t})
		return nil
	},
}

// list is the values of a list parameter: comma-separated or repeated,
// blanks dropped; nil when none is left.
func list(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// area is the filter of an area parameter.
func area(dim analytics.Dimension) func(*ent.PilotWhereInput, []string) error {
	return func(w *ent.PilotWhereInput, values []string) error {
		return analytics.FilterPilots(w, "", dim, list(values))
	}
}

// date is the filter of a date parameter, which takes one date.
func date(set func(*ent.PilotWhereInput, time.Time)) func(*ent.PilotWhereInput, []string) error {
	return func(w *ent.PilotWhereInput, values []string) error {
		s := list(values)
		switch {
		case len(s) == 0:
			return nil
		case len(s) > 1:
			return fmt.Errorf("takes one date")
		}
		// The Date scalar's rule (format and years), as the where input
		// of the pilots query has it.
		d, err := scalar.ParseDate("", s[0])
		if err != nil {
			return err
		}
		set(w, d)
		return nil
	}
}

// row is one pilot as exported.
func row(p *ent.Pilot) []string {
	date := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(scalar.DateLayout)
	}
	var leadCode, leadName string
	if m := p.Edges.LeadMunicipality; m != nil {
		leadCode, leadName = m.Code, m.NameFi
	}
	munis := make([]string, len(p.Edges.Municipalities))
	for i, m := range p.Edges.Municipalities {
		munis[i] = m.Code
	}
	themes := make([]string, len(p.Edges.Themes))
	for i, t := range p.Edges.Themes {
		themes[i] = t.Slug
	}
	return []string{
		scalar.EncodeID(p.ID), p.Slug, p.Title, string(p.Status), date(p.StartsOn), date(p.EndsOn),
		leadCode, leadName, strings.Join(munis, ";"), strings.Join(themes, ";"),
		p.Summary, p.SourceURL, p.CreatedAt.UTC().Format(time.RFC3339), p.UpdatedAt.UTC().Format(time.RFC3339),
	}
}

// stream writes the pilots matching where, batch by batch in id order.
func stream(ctx context.Context, w http.ResponseWriter, client *ent.Client, where predicate.Pilot, format string) {
	var out rowWriter
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		out = &csvWriter{w: NewCSV(w)}
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		out = &jsonWriter{w: w}
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="pilots.%s"`, format))
	flusher, _ := w.(http.Flusher)
	rc := http.NewResponseController(w)
	if err := out.begin(); err != nil {
		return
	}
	last := 0
	for {
		q := client.Pilot.Query()
		if where != nil {
			q.Where(where)
		}
		batch, err := q.Where(pilot.IDGT(last)).
			Order(ent.Asc(pilot.FieldID)).Limit(BatchSize).
			WithLeadMunicipality(func(q *ent.MunicipalityQuery) { q.Select(municipality.FieldCode, municipality.FieldNameFi) }).
			WithMunicipalities(func(q *ent.MunicipalityQuery) {
				q.Select(municipality.FieldCode).Order(ent.Asc(municipality.FieldCode))
			}).
			WithThemes(func(q *ent.ThemeQuery) { q.Select(theme.FieldSlug).Order(ent.Asc(theme.FieldSlug)) }).
			All(ctx)
		if err != nil {
			// The status line is gone: cut the response short, so the client
			// sees a broken transfer, not a complete-looking partial file.
			slog.ErrorContext(ctx, "export failed", "err", err, "after_id", last)
			panic(http.ErrAbortHandler)
		}
		for _, p := range batch {
			if err := out.write(row(p)); err != nil {
				return // the client went away
			}
		}
		if err := out.flush(); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		} else {
			_ = rc.Flush()
		}
		if len(batch) < BatchSize {
			break
		}
		last = batch[len(batch)-1].ID
	}
	_ = out.end()
}

type rowWriter interface {
	begin() error
	write(values []string) error
	flush() error
	end() error
}

type csvWriter struct{ w *CSV }

func (c *csvWriter) begin() error           { return c.w.Write(Columns) }
func (c *csvWriter) write(v []string) error { return c.w.Write(v) }
func (c *csvWriter) flush() error           { return c.w.Flush() }
func (c *csvWriter) end() error             { return c.flush() }

// jsonWriter writes one array of objects with Columns as keys; lists
// (municipality_codes, theme_slugs) are arrays, empty values null.
type jsonWriter struct {
	w     io.Writer
	count int
}

func (j *jsonWriter) begin() error { _, err := io.WriteString(j.w, "[\n"); return err }

func (j *jsonWriter) write(v []string) error {
	var b strings.Builder
	if j.count > 0 {
		b.WriteString(",\n")
	}
	j.count++
	b.WriteByte('{')
	for i, col := range Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(col)
		b.Write(key)
		b.WriteByte(':')
		var value any = v[i]
		switch {
		case col == "municipality_codes" || col == "theme_slugs":
			list := []string{}
			if v[i] != "" {
				list = strings.Split(v[i], ";")
			}
			value = list
		case v[i] == "":
			value = nil
		}
		enc, err := json.Marshal(value)
		if err != nil {
			return err
		}
		b.Write(enc)
	}
	b.WriteByte('}')
	_, err := io.WriteString(j.w, b.String())
	return err
}

func (j *jsonWriter) flush() error { return nil }
func (j *jsonWriter) end() error   { _, err := io.WriteString(j.w, "\n]\n"); return err }
