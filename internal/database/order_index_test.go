package database_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"kokeilu/internal/paging"
	"kokeilu/internal/seed"
	"kokeilu/internal/testdb"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// TestOrdersReadFromAnIndex: on PostgreSQL a page of pilots in a
// connection's own order (internal/paging: NULLs last, then the id) is read
// from an index, forwards and backwards, descending too: no full Sort node
// even with sorting priced out. Before the NULLS LAST indexes (and before
// NOT NULL columns lost their NULLS clause) a descending page sorted the
// whole table.
func TestOrdersReadFromAnIndex(t *testing.T) {
	requirePostgres(t)
	db := testdb.Open(t, testdb.Postgres)
	ctx := context.Background()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET enable_sort = off"); err != nil {
		t.Fatal(err)
	}
	fullSort := regexp.MustCompile(`^(->\s*)?Sort\s+\(`)
	for _, k := range []paging.Key{
		{Column: "starts_on", Desc: true, Null: true},
		{Column: "ends_on", Desc: true, Null: true},
		{Column: "starts_on", Null: true},
		{Column: "title", Desc: true},
		{Column: "title"},
	} {
		for _, reverse := range []bool{false, true} {
			q, args := sql.Dialect(dialect.Postgres).Select("id").From(sql.Table("pilots")).
				OrderExpr(paging.OrderExpr([]paging.Key{k}, "id", reverse)).Limit(51).Query()
			rows, err := conn.QueryContext(ctx, "EXPLAIN "+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			rows.Close()
			for _, line := range plan {
				if fullSort.MatchString(strings.TrimSpace(line)) {
					t.Errorf("%s sorts the table:\n%s", q, strings.Join(plan, "\n"))
					break
				}
			}
		}
	}
}

// TestEntCountsAWholeTableSo: ent counts a whole table in the form that
// the SQLite driver reads as COUNT(*) (TestWholeCount), and the count is
// right. If ent changes the form, the speed-up is lost silently: this
// fails instead.
func TestEntCountsAWholeTableSo(t *testing.T) {
	var seen []string
	db := testdb.Open(t, testdb.SQLite, func(d dialect.Driver) dialect.Driver { return &recordQueries{Driver: d, seen: &seen} })
	ctx := context.Background()
	if err := seed.Reference(ctx, db.Client); err != nil {
		t.Fatal(err)
	}
	n, err := db.Client.Municipality.Query().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want int
	if err := db.SQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM municipalities").Scan(&want); err != nil {
		t.Fatal(err)
	}
	if n != want || n == 0 {
		t.Errorf("ent counts %d municipalities, SQL %d (the reference data has 308)", n, want)
	}
	if last := seen[len(seen)-1]; last != "SELECT COUNT(`municipalities`.`id`) FROM `municipalities`" {
		t.Errorf("ent counts a whole table as %q", last)
	}
}

type recordQueries struct {
	dialect.Driver
	seen *[]string
}

func (r *recordQueries) Query(ctx context.Context, query string, args, v any) error {
	*r.seen = append(*r.seen, query)
	return r.Driver.Query(ctx, query, args, v)
}
