package server_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"kokeilu/internal/database"
	"kokeilu/internal/noticeboard"
	"kokeilu/internal/pubsub"
	"kokeilu/internal/seed"
	"kokeilu/internal/testdb"
)

// seededPostgres is the DSN of a new PostgreSQL database with the schema
// and reference data, for tests that start instances on it; without
// KOKEILU_TEST_POSTGRES the test is skipped, naming what it would run.
func seededPostgres(t *testing.T, what string) string {
	t.Helper()
	if os.Getenv("KOKEILU_TEST_POSTGRES") == "" {
		t.Skip("set KOKEILU_TEST_POSTGRES to a PostgreSQL DSN to run " + what)
	}
	dsn := testdb.DSN(t, testdb.Postgres)
	boot, err := database.Open(context.Background(), dsn) // migrates and seeds once
	if err != nil {
		t.Fatal(err)
	}
	if err := seed.Reference(context.Background(), boot.Client); err != nil {
		t.Fatal(err)
	}
	boot.Close()
	return dsn
}

// instance is one Kokeilu server of a cluster on a shared PostgreSQL.
func instance(t *testing.T, dsn string, backoff time.Duration) (*api, *pubsub.Postgres) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a := &api{t: t}
	db, err := database.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a.db = db
	newest, err := noticeboard.NewestID(ctx, db.Client)
	if err != nil {
		t.Fatal(err)
	}
	broker := pubsub.NewPostgres(ctx, dsn, db.SQL, newest, noticeboard.Missed(db.Client),
		func(p *pubsub.Postgres) { p.Backoff = backoff })
	readyCtx, done := context.WithTimeout(ctx, 5*time.Second)
	defer done()
	if err := broker.Ready(readyCtx); err != nil {
		t.Fatal(err)
	}
	a.serve(broker)
	return a, broker
}

// TestNoticesCrossInstances runs two instances on one PostgreSQL database:
// a notice posted on A reaches a subscriber on B; when B's listener loses
// its connection, the notices posted meanwhile arrive once each, in order.
func TestNoticesCrossInstances(t *testing.T) {
	dsn := seededPostgres(t, "the multi-instance test")

	a, _ := instance(t, dsn, 50*time.Millisecond)
	b, brokerB := instance(t, dsn, 700*time.Millisecond)
	token, _ := a.register("owner@example.org", "Owner")
	var ws struct{ CreateWorkspace struct{ ID string } }
	a.query(&ws, `mutation { createWorkspace(input: {name: "Klusteri"}) { id } }`, nil, bearer(token)...)
	post := func(title string) {
		a.query(&struct{}{}, postNotice, map[string]any{"ws": ws.CreateWorkspace.ID, "title": title}, bearer(token)...)
	}

	c, err := b.dialWS("graphql-transport-ws", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.subscribe("1", subscription, map[string]any{"ws": ws.CreateWorkspace.ID})
	waitSubscribers(t, b, 1)
	start := time.Now()
	post("A to B")
	data, err := c.next(time.Second)
	if err != nil {
		t.Fatalf("not received on B within 1 s: %v", err)
	}
	if got := decodeNotice(t, data).NoticePosted.Title; got != "A to B" {
		t.Fatalf("received %q", got)
	}
	t.Logf("A to B in %v", time.Since(start))

	// Cut B's listener off; post three notices while it reconnects.
	pid := brokerB.ListenerPID()
	if _, err := a.db.SQL.Exec("SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	for _, title := range []string{"1", "2", "3"} {
		post(title)
	}
	var got []string
	for range 3 {
		data, err := c.next(5 * time.Second)
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		got = append(got, decodeNotice(t, data).NoticePosted.Title)
	}
	if strings.Join(got, ",") != "1,2,3" {
		t.Errorf("after the listener's reconnection: %v, want 1,2,3", got)
	}
	if brokerB.ListenerPID() == pid {
		t.Error("the listener did not reconnect")
	}
	post("4")
	data, err = c.next(2 * time.Second)
	if err != nil || decodeNotice(t, data).NoticePosted.Title != "4" {
		t.Errorf("live again: %s %v", data, err)
	}
	if _, err := c.next(300 * time.Millisecond); err == nil {
		t.Error("a notice arrived twice")
	}
}
