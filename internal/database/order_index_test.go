package database_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"kokeilu/internal/paging"
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
