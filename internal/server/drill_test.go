package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestRestartDrillRealClients is the restart drill with the real npm
// clients (graphql-ws and graphql-sse, pinned in test/drill): the built
// kokeilu binary runs on PostgreSQL, 50 subscribers (25 WebSocket, 25 SSE)
// configured as the README says — retry always, resume with `after` — watch
// one workspace while 60 notices are posted; after the 30th the server gets
// SIGTERM and a new process starts on the same port and database, and the
// posting goes on. Every subscriber must receive every notice exactly once,
// in order. It needs node and `npm ci` in test/drill (.ci/run does both);
// without them it skips, except under CI.
func TestRestartDrillRealClients(t *testing.T) {
	node, dir := nodePackages(t, "drill", "graphql-sse")
	dsn := seededPostgres(t, "the restart drill")
	bin := filepath.Join(t.TempDir(), "kokeilu")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	base := "http://" + addr

	logs := &drillLog{} // both processes' and the clients' logs, shown when the drill fails
	start := func(name string) *exec.Cmd {
		cmd := exec.Command(bin, "-addr", addr, "-dsn", dsn, "-demo=false", "-log-level", "warn")
		cmd.Stdout, cmd.Stderr = logs.as(name), logs.as(name)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		deadline := time.Now().Add(30 * time.Second)
		for {
			if res, err := http.Get(base + "/readyz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return cmd
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s is not ready after 30 s\n%s", name, logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	first := start("first")

	a := &api{t: t, srv: &httptest.Server{URL: base}}
	token, _ := a.register("drill@example.org", "Drill")
	var ws struct{ CreateWorkspace struct{ ID string } }
	a.query(&ws, `mutation { createWorkspace(input: {name: "Harjoitus"}) { id } }`, nil, bearer(token)...)

	const subscribers, notices, restartAfter = 50, 60, 30
	cfg, _ := json.Marshal(map[string]any{"url": base + "/query", "token": token, "workspace": ws.CreateWorkspace.ID,
		"ws": subscribers / 2, "sse": subscribers - subscribers/2, "expect": notices, "timeoutMs": 90_000})
	drill := exec.Command(node, filepath.Join(dir, "drill.mjs"), string(cfg))
	var out bytes.Buffer
	drill.Stdout, drill.Stderr = &out, logs.as("node")
	if err := drill.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = drill.Process.Kill(); _ = drill.Wait() })
	waitActive := func(n int) time.Duration {
		began := time.Now()
		for activeSubscriptions(base) != n {
			if time.Since(began) > 30*time.Second {
				t.Fatalf("%d subscriptions active, want %d\n%s", activeSubscriptions(base), n, logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return time.Since(began)
	}
	waitActive(subscribers)

	var killed time.Time
	var ready, resubscribed time.Duration
	for i := 1; i <= notices; i++ {
		title := fmt.Sprintf("n%02d", i)
		for {
			err := postOnce(base, token, ws.CreateWorkspace.ID, title)
			if err == nil {
				break
			}
			// Only a refused connection is retried: that request never
			// reached a server, so it cannot have posted the notice.
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("post %s: %v\n%s", title, err, logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if i == restartAfter {
			killed = time.Now()
			if err := first.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := first.Wait(); err != nil {
				t.Errorf("the first process exited with %v", err)
			}
			start("second")
			ready = time.Since(killed)
			resubscribed = waitActive(subscribers) + ready
		}
		time.Sleep(30 * time.Millisecond)
	}
	if err := drill.Wait(); err != nil {
		t.Fatalf("drill: %v\n%s", err, logs)
	}
	var report struct {
		Subscribers []struct {
			Kind      string
			Titles    []string
			Retries   int
			Errors    []string
			Completed bool
		}
		Ms int
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("drill report: %v\n%s\n%s", err, out.String(), logs)
	}
	var received, duplicates, missing, retries int
	for i, s := range report.Subscribers {
		seen := map[string]int{}
		for _, title := range s.Titles {
			seen[title]++
		}
		for n := 1; n <= notices; n++ {
			switch c := seen[fmt.Sprintf("n%02d", n)]; {
			case c == 0:
				missing++
			case c > 1:
				duplicates += c - 1
			}
		}
		received += len(s.Titles)
		retries += s.Retries
		want := make([]string, notices)
		for n := range want {
			want[n] = fmt.Sprintf("n%02d", n+1)
		}
		if strings.Join(s.Titles, " ") != strings.Join(want, " ") || len(s.Errors) > 0 || s.Completed {
			t.Errorf("subscriber %d (%s, %d retries): received %v, errors %v, completed %v", i, s.Kind, s.Retries, s.Titles, s.Errors, s.Completed)
		}
	}
	t.Logf("%d subscribers, %d notices: %d received of %d, %d missing, %d duplicates, %d reconnections; "+
		"SIGTERM to new process ready %s, to all %d resubscribed %s; drill %d ms",
		len(report.Subscribers), notices, received, len(report.Subscribers)*notices, missing, duplicates, retries,
		ready.Round(time.Millisecond), subscribers, resubscribed.Round(time.Millisecond), report.Ms)
	if len(report.Subscribers) != subscribers {
		t.Errorf("%d subscribers reported, want %d", len(report.Subscribers), subscribers)
	}
	if t.Failed() {
		t.Logf("logs:\n%s", logs)
	}
}

// nodePackages finds node and the npm packages installed in test/<name>
// (pkg is one of them): it skips when either is missing, except under CI,
// where it fails. It returns node's path and the folder.
func nodePackages(t *testing.T, name, pkg string) (node, dir string) {
	t.Helper()
	dir, _ = filepath.Abs(filepath.Join("../../test", name))
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(dir, "node_modules", pkg)); err != nil || statErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("test/%s needs node and `npm ci` in it: %v %v", name, err, statErr)
		}
		t.Skipf("node or test/%s/node_modules missing: run `npm ci` in test/%s", name, name)
	}
	return node, dir
}

// postOnce posts one notice through /query.
func postOnce(base, token, workspaceID, title string) error {
	body, _ := json.Marshal(map[string]any{"query": postNotice, "variables": map[string]any{"ws": workspaceID, "title": title}})
	req, _ := http.NewRequest(http.MethodPost, base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || res.StatusCode != http.StatusOK || len(r.Errors) > 0 {
		return fmt.Errorf("status %d, errors %v, decoding %v", res.StatusCode, r.Errors, err)
	}
	return nil
}

// activeSubscriptions reads kokeilu_subscriptions_active from /metrics (-1
// when the server does not answer).
func activeSubscriptions(base string) int {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		var n float64
		if _, err := fmt.Sscanf(sc.Text(), "kokeilu_subscriptions_active %g", &n); err == nil {
			return int(n)
		}
	}
	return -1
}

// drillLog gathers the output of the drill's processes, line by line,
// each line after its process's name.
type drillLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *drillLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *drillLog) as(name string) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, line := range strings.SplitAfter(string(p), "\n") {
			if line != "" {
				l.b.WriteString(name + ": " + line)
			}
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
