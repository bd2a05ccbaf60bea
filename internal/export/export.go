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
	"kokeilu/ent/region"
	"kokeilu/ent/theme"
	"kokeilu/ent/wellbeingcounty"
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
var Parameters = []string{"status", "theme", "municipality", "region", "county", "startsFrom", "startsTo", "text"}

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
		if perr == nil {
			var where []predicate.Pilot
			if where, perr = parse(q); perr == nil {
				stream(r.Context(), w, client, where, format)
				return
			}
		}
		WriteError(w, http.StatusBadRequest, fault.BadUserInput, perr.Param, perr.Message)
	})
}

// parse turns URL parameters (checked by Params) into pilot predicates.
// Lists are comma-separated or repeated; values within one parameter are
// alternatives (OR), different parameters all apply (AND).
func parse(q url.Values) ([]predicate.Pilot, *ParamError) {
	values := func(name string) []string {
		var out []string
		for _, v := range q[name] {
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
		return out
	}
	var where []predicate.Pilot
	if s := values("status"); len(s) > 0 {
		statuses := make([]pilot.Status, len(s))
		for i, v := range s {
			statuses[i] = pilot.Status(strings.ToUpper(v))
			if err := pilot.StatusValidator(statuses[i]); err != nil {
				return nil, &ParamError{"status", fmt.Sprintf("status %q is not one of PLANNED, ACTIVE, COMPLETED, CANCELLED", v)}
			}
		}
		where = append(where, pilot.StatusIn(statuses...))
	}
	if s := values("theme"); len(s) > 0 {
		where = append(where, pilot.HasThemesWith(theme.SlugIn(s...)))
	}
	// A municipality takes part in a pilot by leading it or participating.
	takesPart := func(p predicate.Municipality) predicate.Pilot {
		return pilot.Or(pilot.HasLeadMunicipalityWith(p), pilot.HasMunicipalitiesWith(p))
	}
	if s := values("municipality"); len(s) > 0 {
		if err := codes("municipality", s, 3); err != nil {
			return nil, err
		}
		where = append(where, takesPart(municipality.CodeIn(s...)))
	}
	if s := values("region"); len(s) > 0 {
		if err := codes("region", s, 2); err != nil {
			return nil, err
		}
		where = append(where, takesPart(municipality.HasRegionWith(region.CodeIn(s...))))
	}
	if s := values("county"); len(s) > 0 {
		if err := codes("county", s, 2); err != nil {
			return nil, err
		}
		where = append(where, takesPart(municipality.HasWellbeingCountyWith(wellbeingcounty.CodeIn(s...))))
	}
	for _, name := range []string{"startsFrom", "startsTo"} {
		s := values(name)
		if len(s) == 0 {
			continue
		}
		if len(s) > 1 {
			return nil, &ParamError{name, name + " takes one date"}
		}
		d, err := time.Parse(scalar.DateLayout, s[0])
		if err != nil {
			return nil, &ParamError{name, fmt.Sprintf("%s %q is not a date like 2015-12-02", name, s[0])}
		}
		if name == "startsFrom" {
			where = append(where, pilot.StartsOnGTE(d))
		} else {
			where = append(where, pilot.StartsOnLTE(d))
		}
	}
	if t := strings.TrimSpace(q.Get("text")); t != "" {
		if n := text.Len(t); n > maxText {
			return nil, &ParamError{"text", fmt.Sprintf("text is %d characters long; at most %d are allowed", n, maxText)}
		}
		where = append(where, pilot.Or(pilot.TitleContainsFold(t), pilot.SummaryContainsFold(t)))
	}
	return where, nil
}

// codes checks classification codes: digits only, of the given length.
func codes(param string, values []string, length int) *ParamError {
	for _, v := range values {
		if len(v) != length || strings.Trim(v, "0123456789") != "" {
			return &ParamError{param, fmt.Sprintf("%s %q is not a %d-digit code", param, v, length)}
		}
	}
	return nil
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
func stream(ctx context.Context, w http.ResponseWriter, client *ent.Client, where []predicate.Pilot, format string) {
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
		batch, err := client.Pilot.Query().Where(where...).Where(pilot.IDGT(last)).
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
