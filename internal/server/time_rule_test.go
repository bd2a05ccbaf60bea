package server_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"kokeilu/ent/workspace"
	"kokeilu/internal/testdb"
)

// timeRuleSteps are the writes of TestTimesStoredOneWay, each followed by
// a read of the workshop.
var timeRuleSteps = []struct{ name, query string }{
	{"create with an offset and nanoseconds", `mutation($ws: ID!) { w: createWorkshop(input: {workspaceId: $ws, title: "Aika",
		startsAt: "2027-03-01T10:00:00.1234567+02:00", endsAt: "2027-03-01T12:00:00+02:00", capacity: 5}) { id startsAt endsAt createdAt updatedAt } }`},
	{"the same instant in another offset", `mutation($id: ID!) { w: updateWorkshop(id: $id, input: {startsAt: "2027-03-01T08:00:00.123456Z"}) { id startsAt endsAt createdAt updatedAt } }`},
	{"a change under a microsecond", `mutation($id: ID!) { w: updateWorkshop(id: $id, input: {startsAt: "2027-03-01T08:00:00.1234569Z"}) { id startsAt endsAt createdAt updatedAt } }`},
	{"a real change", `mutation($id: ID!) { w: updateWorkshop(id: $id, input: {startsAt: "2027-03-01T09:30:00.0000009+01:00"}) { id startsAt endsAt createdAt updatedAt } }`},
}

// timeRuleResults holds each backend's outcomes, compared across backends
// once both ran.
var timeRuleResults = struct {
	sync.Mutex
	m map[testdb.Backend][]string
}{m: map[testdb.Backend][]string{}}

// TestTimesStoredOneWay: every stored time is UTC, truncated to whole
// microseconds, whichever database stores it. A mutation's answer equals a
// later read of the row; the same instant written in another offset, or
// a value that differs under a microsecond, changes nothing (updatedAt
// stays); and SQLite and PostgreSQL give the same answers. Before, SQLite
// read "+02:00" back where PostgreSQL read "Z", kept the nanoseconds
// PostgreSQL drops (which still moved updatedAt there), and PostgreSQL's
// answers carried nanosecond updatedAt values no read returns.
func TestTimesStoredOneWay(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		admin := p.header("admin")
		type times struct {
			ID, StartsAt, EndsAt, CreatedAt, UpdatedAt string
		}
		var outcomes []string
		vars := map[string]any{"ws": w.Workspace}
		var last times
		for i, step := range timeRuleSteps {
			var answer struct{ W times }
			a.query(&answer, step.query, vars, admin...)
			vars["id"] = answer.W.ID
			var read struct{ Node times }
			a.query(&read, `query($id: ID!) { node(id: $id) { ... on Workshop { id startsAt endsAt createdAt updatedAt } } }`, vars, admin...)
			if answer.W != read.Node {
				t.Errorf("%s: the answer %+v differs from the read %+v", step.name, answer.W, read.Node)
			}
			for _, v := range []string{read.Node.StartsAt, read.Node.EndsAt, read.Node.CreatedAt, read.Node.UpdatedAt} {
				if !strings.HasSuffix(v, "Z") || len(v) > len("2006-01-02T15:04:05.000000Z") {
					t.Errorf("%s: %s is not a UTC time in whole microseconds", step.name, v)
				}
			}
			moved := i > 0 && read.Node.UpdatedAt != last.UpdatedAt
			outcomes = append(outcomes, fmt.Sprintf("%s: startsAt %s endsAt %s updatedAt moved %v", step.name, read.Node.StartsAt, read.Node.EndsAt, moved))
			last = read.Node
		}
		want := []string{
			"create with an offset and nanoseconds: startsAt 2027-03-01T08:00:00.123456Z endsAt 2027-03-01T10:00:00Z updatedAt moved false",
			"the same instant in another offset: startsAt 2027-03-01T08:00:00.123456Z endsAt 2027-03-01T10:00:00Z updatedAt moved false",
			"a change under a microsecond: startsAt 2027-03-01T08:00:00.123456Z endsAt 2027-03-01T10:00:00Z updatedAt moved false",
			"a real change: startsAt 2027-03-01T08:30:00Z endsAt 2027-03-01T10:00:00Z updatedAt moved true",
		}
		if !slices.Equal(outcomes, want) {
			t.Errorf("outcomes:\n%s\nwant:\n%s", strings.Join(outcomes, "\n"), strings.Join(want, "\n"))
		}
		timeRuleResults.Lock()
		defer timeRuleResults.Unlock()
		timeRuleResults.m[b] = outcomes
		if b == testdb.Postgres && os.Getenv("KOKEILU_TEST_POSTGRES") != "" {
			if s := timeRuleResults.m[testdb.SQLite]; !slices.Equal(s, outcomes) {
				t.Errorf("SQLite and PostgreSQL differ:\n%s\n--\n%s", strings.Join(s, "\n"), strings.Join(outcomes, "\n"))
			}
		}
	})
}
