// Package seed loads Kokeilu's data at start: the reference data — Finnish
// regions, wellbeing services counties and municipalities (Reference) and
// the verified experiments (Experiments), each an idempotent upsert by key
// at every start — and the demo content (Demo, first start only). The CSV
// files and their sources (data/SOURCES.md) are shipped inside the binary.
package seed

import (
	"context"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/ent/region"
	"kokeilu/ent/wellbeingcounty"
	"kokeilu/internal/analytics"
	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/revision"
)

//go:embed data/*.csv data/SOURCES.md
var files embed.FS

// record is one CSV row addressed by column name.
type record map[string]string

func (r record) int(col string) int {
	n, _ := strconv.Atoi(r[col])
	return n
}

func (r record) float(col string) *float64 {
	f, err := strconv.ParseFloat(r[col], 64)
	if err != nil {
		return nil
	}
	return &f
}

// readCSV reads an embedded CSV file into records keyed by its header.
func readCSV(name string) ([]record, error) {
	f, err := files.Open("data/" + name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseCSV(name, f)
}

// parseCSV reads CSV text into records keyed by its header.
func parseCSV(name string, in io.Reader) ([]record, error) {
	r := csv.NewReader(in)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []record
	for {
		row, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		rec := make(record, len(header))
		for i, col := range header {
			rec[col] = strings.TrimSpace(row[i])
		}
		out = append(out, rec)
	}
}

// Reference upserts every region, wellbeing services county and municipality
// by code in one transaction: a restart duplicates nothing and a name or
// kind changed in the CSV updates the row, and the kept counts with it.
//
// Instances already serving write meanwhile: their transactions hold
// municipalities' rows (foreign keys of pilots' participants) and then
// take the data revision's row. So the upsert raises the revision once,
// after its commit (revision.Deferred), never holding that row while it
// waits for theirs (on PostgreSQL that deadlocked 9 starts in 10 under
// three writers); a deadlock between rows of the upsert itself is
// retried. The kept counts then move the municipalities that changed,
// in short transactions of their own.
func Reference(ctx context.Context, client *ent.Client) error {
	ctx = auth.System(ctx) // reference data is read-only to everyone else
	regions, err := readCSV("regions.csv")
	if err != nil {
		return err
	}
	counties, err := readCSV("wellbeing_counties.csv")
	if err != nil {
		return err
	}
	municipalities, err := readCSV("municipalities.csv")
	if err != nil {
		return err
	}
	upsert := func() error {
		ctx := revision.Deferred(ctx)
		return inTx(ctx, client, func(tx *ent.Tx) error {
			if err := upsertRegions(ctx, tx, regions); err != nil {
				return err
			}
			regionIDs, err := idsByCode(ctx, tx.Region.Query().Select(region.FieldID, region.FieldCode).All, func(r *ent.Region) (string, int) { return r.Code, r.ID })
			if err != nil {
				return err
			}
			if err := upsertCounties(ctx, tx, counties, regionIDs); err != nil {
				return err
			}
			countyIDs, err := idsByCode(ctx, tx.WellbeingCounty.Query().Select(wellbeingcounty.FieldID, wellbeingcounty.FieldCode).All, func(c *ent.WellbeingCounty) (string, int) { return c.Code, c.ID })
			if err != nil {
				return err
			}
			return upsertMunicipalities(ctx, tx, municipalities, regionIDs, countyIDs)
		})
	}
	for attempt := 1; ; attempt++ {
		err = upsert()
		if attempt == 5 || !database.RolledBack(err) {
			break
		}
		time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	if err := revision.Bump(ctx, client); err != nil {
		return err
	}
	// The upserts are creates to the counts' hooks: a municipality that
	// changed area or population (a new release's data) moves now.
	return analytics.SyncMovedMunicipalities(ctx, client)
}

func upsertRegions(ctx context.Context, tx *ent.Tx, rows []record) error {
	creates := make([]*ent.RegionCreate, len(rows))
	for i, r := range rows {
		creates[i] = tx.Region.Create().
			SetCode(r["region_code"]).SetNameFi(r["name_fi"]).SetNameSv(r["name_sv"]).SetNameEn(r["name_en"]).
			SetIsAland(r["is_aland"] == "true").
			SetPopulation(r.int("population")).SetPopulationYear(r.int("population_year"))
	}
	return tx.Region.CreateBulk(creates...).OnConflictColumns(region.FieldCode).UpdateNewValues().Exec(ctx)
}

func upsertCounties(ctx context.Context, tx *ent.Tx, rows []record, regionIDs map[string]int) error {
	creates := make([]*ent.WellbeingCountyCreate, len(rows))
	for i, r := range rows {
		regionID, ok := regionIDs[r["region_codes"]]
		if !ok {
			return fmt.Errorf("wellbeing county %s: unknown region %q", r["wellbeing_county_code"], r["region_codes"])
		}
		kind := wellbeingcounty.Kind(r["kind"])
		if err := wellbeingcounty.KindValidator(kind); err != nil {
			return fmt.Errorf("wellbeing county %s: %w", r["wellbeing_county_code"], err)
		}
		creates[i] = tx.WellbeingCounty.Create().
			SetCode(r["wellbeing_county_code"]).SetNameFi(r["name_fi"]).SetNameSv(r["name_sv"]).SetNameEn(r["name_en"]).
			SetKind(kind).
			SetPopulation(r.int("population")).SetPopulationYear(r.int("population_year")).
			SetRegionID(regionID)
	}
	return tx.WellbeingCounty.CreateBulk(creates...).OnConflictColumns(wellbeingcounty.FieldCode).UpdateNewValues().Exec(ctx)
}

var (
	languageStatuses = map[string]municipality.LanguageStatus{
		"0": municipality.LanguageStatusFINNISH,
		"1": municipality.LanguageStatusBILINGUAL_FINNISH_MAJORITY,
		"2": municipality.LanguageStatusSWEDISH,
		"3": municipality.LanguageStatusBILINGUAL_SWEDISH_MAJORITY,
	}
	municipalityGroups = map[string]municipality.MunicipalityGroup{
		"1": municipality.MunicipalityGroupURBAN,
		"2": municipality.MunicipalityGroupSEMI_URBAN,
		"3": municipality.MunicipalityGroupRURAL,
	}
)

func upsertMunicipalities(ctx context.Context, tx *ent.Tx, rows []record, regionIDs, countyIDs map[string]int) error {
	creates := make([]*ent.MunicipalityCreate, len(rows))
	for i, r := range rows {
		code := r["municipality_code"]
		regionID, ok := regionIDs[r["region_code"]]
		if !ok {
			return fmt.Errorf("municipality %s: unknown region %q", code, r["region_code"])
		}
		countyID, ok := countyIDs[r["wellbeing_county_code"]]
		if !ok {
			return fmt.Errorf("municipality %s: unknown wellbeing county %q", code, r["wellbeing_county_code"])
		}
		// The administrative centre is the municipality's point; Tuusula has
		// none in the source, so its area centroid stands in (SOURCES.md).
		lat, lon := r.float("admin_centre_lat"), r.float("admin_centre_lon")
		if lat == nil || lon == nil {
			lat, lon = r.float("centroid_lat"), r.float("centroid_lon")
		}
		creates[i] = tx.Municipality.Create().
			SetCode(code).SetNameFi(r["name_fi"]).SetNameSv(r["name_sv"]).SetNameEn(r["name_en"]).
			SetSubregionCode(r["subregion_code"]).SetSubregionNameFi(r["subregion_name_fi"]).SetSubregionNameSv(r["subregion_name_sv"]).
			SetLanguageStatus(languageStatuses[r["language_status_code"]]).
			SetMunicipalityGroup(municipalityGroups[r["municipality_group_code"]]).
			SetPopulation(r.int("population")).SetPopulationYear(r.int("population_year")).
			SetNillableLatitude(lat).SetNillableLongitude(lon).
			SetRegionID(regionID).SetWellbeingCountyID(countyID)
	}
	return tx.Municipality.CreateBulk(creates...).OnConflictColumns(municipality.FieldCode).UpdateNewValues().Exec(ctx)
}

// idsByCode maps codes to IDs of the rows a query returns.
func idsByCode[T any](ctx context.Context, all func(context.Context) ([]T, error), key func(T) (string, int)) (map[string]int, error) {
	rows, err := all(ctx)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]int, len(rows))
	for _, r := range rows {
		code, id := key(r)
		ids[code] = id
	}
	return ids, nil
}

// inTx runs fn in a transaction, rolling back on error.
func inTx(ctx context.Context, client *ent.Client, fn func(*ent.Tx) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
