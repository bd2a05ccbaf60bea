package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"kokeilu/internal/server"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"kokeilu/internal/cost"
	"kokeilu/internal/testdb"
)

// BenchmarkRefusal measures, through the HTTP handler, how long the
// documents of issue 13 take to be refused, and how long the largest
// documents within the limits take to be answered (validation included:
// the work the limits bound).
//
//	go test ./internal/server -run '^$' -bench Refusal -benchtime 20x
func BenchmarkRefusal(b *testing.B) {
	server.SetCollector(os.Getenv) // as the binary runs
	a := newAPI(b, testdb.SQLite, false)
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil))) // the request log would drown the figures
	b.Cleanup(func() { slog.SetDefault(prev) })
	fields := cost.Default.Fields
	q, err := os.ReadFile("../../testdata/introspection.graphql")
	if err != nil {
		b.Fatal(err)
	}
	introspection := string(q)
	type doc struct{ name, query, want string }
	var docs []doc
	for _, d := range hostileDocuments() {
		docs = append(docs, doc{"refused/" + d.name, d.query, "COST_LIMIT_EXCEEDED"})
	}
	var args, aliases strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&args, "a%d: 1 ", i)
	}
	for i := range 100 {
		fmt.Fprintf(&aliases, "a%d: __typename ", i)
	}
	var unknown strings.Builder
	for i := range fields {
		fmt.Fprintf(&unknown, "x%d ", i)
	}
	docs = append(docs,
		doc{"refused/3,000 unknown arguments (errors capped)", "{ __typename(" + args.String() + ") }", "GRAPHQL_VALIDATION_FAILED"},
		doc{"refused/distinct unknown fields at the field limit (validation)", "{ " + unknown.String() + "}", "GRAPHQL_VALIDATION_FAILED"},
		doc{"accepted/__typename at the overlaps limit", "{ " + strings.Repeat("__typename ", 141) + "}", ""},
		doc{"accepted/100 aliases", "{ " + aliases.String() + "}", ""},
		doc{"accepted/100 directives", "{ " + strings.Repeat("__typename @skip(if: false) ", 100) + "}", ""},
		doc{"accepted/introspection", introspection, ""},
	)
	for _, d := range docs {
		body, _ := json.Marshal(map[string]string{"query": d.query})
		b.Run(d.name, func(b *testing.B) {
			// CPU time as well as wall time: the machine is shared, and
			// the CPU a refusal burns is what the limits bound.
			cpu := cpuTime()
			defer func() { b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op") }()
			for i := 0; i < b.N; i++ {
				// A new text each time: gqlgen's cache of validated documents must not answer.
				q := string(body[:len(body)-2]) + strings.Repeat(" ", i%1000) + `"}`
				res := postBody(b, a.srv.URL+"/query", q, "")
				if res.status != http.StatusOK || res.code() != d.want {
					b.Fatalf("%d %s, want %s: %.300s", res.status, res.code(), d.want, res.body)
				}
			}
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
