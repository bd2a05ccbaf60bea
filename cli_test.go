package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"kokeilu/internal/config"
)

// runCLI runs cli in process and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	code = cli(context.Background(), args, func(string) string { return "" }, &out, &errs)
	return code, out.String(), errs.String()
}

func TestCLIHelpListsCommandsAndEnvironment(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"serve", "-h"}, {"migrate", "-help"}} {
		code, out, errs := runCLI(t, args...)
		if code != 0 || errs != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
		for _, want := range []string{"serve", "migrate", "generate", "-addr", "KOKEILU_ADDR", "-dsn", "KOKEILU_DSN",
			"-shutdown-grace", "KOKEILU_SHUTDOWN_GRACE", "-db-max-conns", config.EnvName("db-max-conns")} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: help has no %q:\n%s", args, want, out)
			}
		}
	}
	if code, _, _ := runCLI(t, "generate", "-h"); code != 0 {
		t.Errorf("generate -h: exit %d", code)
	}
}

func TestCLIRefusesMistakes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"migrat"}, 2, `unknown command "migrat"; did you mean "migrate"?`},
		{[]string{"serv", "-addr", ":0"}, 2, `did you mean "serve"?`},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"-no-such-flag"}, 2, "flag provided but not defined: -no-such-flag"},
		{[]string{"-dsn", "mysql://kokeilu:s3cret@db/kokeilu"}, 1, `unsupported scheme "mysql"`},
		{[]string{"migrate", "-dsn", "mongodb://db/kokeilu"}, 1, `unsupported scheme "mongodb"`},
		{[]string{"generate", "-dsn", "mysql://db/kokeilu"}, 1, `unsupported scheme "mysql"`},
		{[]string{"-dsn", filepath.Join(dir, "missing", "k.db")}, 1, "no such file or directory"},
		// Where SQLite would look, not the DSN's text (a hostile review):
		// these started, then failed or served another file.
		{[]string{"-dsn", ":memory:"}, 1, "needs cache=shared"},
		{[]string{"-dsn", filepath.Join(dir, "k.db") + "?mode=memory"}, 1, "needs cache=shared"},
		{[]string{"-dsn", ""}, 1, "names no file"},
		{[]string{"-dsn", filepath.Join(dir, "we?ird.db")}, 1, `parameter "ird.db" has no value`},
		{[]string{"-dsn", "file:" + filepath.Join(dir, "p%41", "y.db")}, 1, filepath.Join(dir, "pA")},
		{[]string{"-dsn", "file://db.example/k.db"}, 1, "no host but localhost"},
		{[]string{"-dsn", "POSTGRES://u@127.0.0.1:1/x?connect_timeout=1"}, 1, "connect to postgres"},
	} {
		code, out, errs := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) || out != "" {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q), stdout %q", c.args, code, c.code, errs, c.want, out)
		}
		if strings.Contains(errs, "s3cret") {
			t.Errorf("%v: the password is printed: %s", c.args, errs)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://kokeilu:s3cret@db:5432/k?sslmode=disable": "postgres://kokeilu:xxxxx@db:5432/k?sslmode=disable",
		"postgres://db/k?password=s3cret&sslmode=disable":     "postgres://db/k?password=xxxxx&sslmode=disable",
		"kokeilu.db":               "kokeilu.db",
		"sqlite:///var/k.db?_fk=1": "sqlite:///var/k.db?_fk=1",
	} {
		if got := redactDSN(dsn); got != want {
			t.Errorf("redactDSN(%q) = %q, want %q", dsn, got, want)
		}
	}
}

// TestPortInUseIsReportedFirst: with the port taken, kokeilu fails at once
// and has not created the database (it binds before migrating).
func TestPortInUseIsReportedFirst(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dsn := filepath.Join(t.TempDir(), "k.db")
	start := time.Now()
	code, _, errs := runCLI(t, "-addr", ln.Addr().String(), "-dsn", dsn)
	if code != 1 || !strings.Contains(errs, "address already in use") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(dsn); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the database was opened before the port was bound: %v", err)
	}
	t.Logf("refused in %s", time.Since(start).Round(time.Millisecond))
}

// TestMain removes the binary that the process tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binaryPath != "" {
		os.RemoveAll(filepath.Dir(binaryPath))
	}
	os.Exit(code)
}

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// binary builds kokeilu once for the tests that run it as a process.
func binary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kokeilu-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "kokeilu")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
		_ = os.Chmod(dir, 0o755) // the permission test runs it as another user
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// TestUnwritableDirectorySaysPermissionDenied runs kokeilu with its
// database in a directory it may not write: as root, the binary runs as
// nobody in a root-owned directory; otherwise the directory is read-only.
func TestUnwritableDirectorySaysPermissionDenied(t *testing.T) {
	dir, err := os.MkdirTemp("", "kokeilu-readonly-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755); os.RemoveAll(dir) })
	cmd := exec.Command(binary(t), "-addr", "127.0.0.1:0", "-dsn", filepath.Join(dir, "k.db"))
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		_ = os.Chmod(dir, 0o755)
	} else {
		_ = os.Chmod(dir, 0o555)
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "permission denied") {
		t.Fatalf("exit %v: %s", err, out)
	}
	t.Logf("%s", out)
}

// process is kokeilu running as a child, its JSON log lines kept as they
// come.
type process struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	all []map[string]any
	buf []byte // a partial line
}

// Write takes the child's stderr (exec copies it until the child exits,
// so Wait returns only once every line is here).
func (p *process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		var line map[string]any
		if json.Unmarshal(p.buf[:i], &line) == nil {
			p.all = append(p.all, line)
		}
		p.buf = p.buf[i+1:]
	}
}

func startProcess(t *testing.T, args ...string) (*process, string) {
	t.Helper()
	p := &process{cmd: exec.Command(binary(t), args...)}
	p.cmd.Stderr = p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	start := p.waitLog(t, "serving GraphQL", 60*time.Second)
	addr, _ := start["addr"].(string)
	return p, addr
}

// waitLog waits for the first log line with message msg.
func (p *process) waitLog(t *testing.T, msg string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if l := p.find(msg); l != nil {
			return l
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Fatalf("no %q in the log:\n%v", msg, p.all)
	return nil
}

func (p *process) find(msg string) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.all {
		if l["msg"] == msg {
			return l
		}
	}
	return nil
}

// TestStartLineNamesBackendOriginsAndLimits reads the start line of the
// binary.
func TestStartLineNamesBackendOriginsAndLimits(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "k.db")
	p, _ := startProcess(t, "-addr", "127.0.0.1:0", "-dsn", dsn, "-demo=false", "-origins", "https://app.example.fi",
		"-rate-limit", "7", "-request-timeout", "4s", "-shutdown-grace", "3s")
	start := p.find("serving GraphQL")
	for key, want := range map[string]any{"dsn": dsn, "dialect": "sqlite3", "origins": []any{"https://app.example.fi"},
		"rate_limit_per_s": 7.0, "request_timeout": "4s", "shutdown_grace": "3s", "max_body_bytes": float64(1 << 20)} {
		if got := start[key]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("start line %s = %v, want %v", key, got, want)
		}
	}
	for _, key := range []string{"sockets_per_address", "db_max_conns", "cost_limits", "response_cache_ttl", "introspection"} {
		if _, ok := start[key]; !ok {
			t.Errorf("start line has no %s: %v", key, start)
		}
	}
}

// TestSIGTERMDuringLongExport sends SIGTERM while a client is in the
// middle of a 10 MB export: with a long grace period the export finishes
// whole; with a short one it is cut, a log line says so; kokeilu exits 0
// both times.
func TestSIGTERMDuringLongExport(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a data set")
	}
	dsn := filepath.Join(t.TempDir(), "big.db")
	out, err := exec.Command(binary(t), "generate", "-dsn", dsn, "--pilots", "2500", "--networks", "100", "--organizations", "50",
		"--links", "10000", "--workspaces", "5", "--discussions", "5", "--posts", "5", "--notices", "5", "--users", "5").CombinedOutput()
	if err != nil {
		t.Fatalf("generate: %v\n%s", err, out)
	}
	for _, c := range []struct {
		grace string
		whole bool
	}{{"60s", true}, {"1s", false}} {
		t.Run("grace "+c.grace, func(t *testing.T) {
			p, addr := startProcess(t, "-addr", "127.0.0.1:0", "-dsn", dsn, "-shutdown-grace", c.grace)
			// The client reads the headers and stalls: the export, larger
			// than the socket buffers, waits on it.
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "GET /export/graph.graphml HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr)
			head := make([]byte, 512)
			if _, err := io.ReadFull(conn, head); err != nil || !bytes.HasPrefix(head, []byte("HTTP/1.1 200")) {
				t.Fatalf("export: %v %q", err, head)
			}
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			down := p.waitLog(t, "shutting down: closing subscriptions, finishing in-flight requests", 10*time.Second)
			if down["requests"] != 1.0 {
				t.Errorf("the export was not in flight at SIGTERM: %v", down)
			}
			if !c.whole { // the client stalls on past the grace period
				p.waitLog(t, "shutdown grace period over: cutting the requests still running", 10*time.Second)
			}
			rest, _ := io.ReadAll(conn)
			body := append(head, rest...)
			complete := bytes.Contains(body, []byte("</graphml>")) // the last line
			if complete != c.whole {
				t.Errorf("export of %d bytes complete=%v, want %v", len(body), complete, c.whole)
			}
			waited := make(chan error, 1)
			go func() { waited <- p.cmd.Wait() }()
			select {
			case err := <-waited:
				if err != nil {
					t.Errorf("kokeilu exited with %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("kokeilu did not exit")
			}
			cut := p.find("shutdown grace period over: cutting the requests still running")
			if (cut != nil) == c.whole {
				t.Errorf("grace %s: cut line %v", c.grace, cut)
			}
			if cut != nil && cut["requests"] != 1.0 {
				t.Errorf("cut line: %v", cut)
			}
			if p.find("stopped") == nil {
				t.Error("no stopped line")
			}
			t.Logf("grace %s: %d bytes sent, cut line %v", c.grace, len(body), cut)
		})
	}
}
