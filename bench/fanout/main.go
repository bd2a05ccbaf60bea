// Command fanout measures the live notice board under load: it starts a
// Kokeilu server process on loopback, opens N WebSocket subscribers
// (graphql-transport-ws), posts notices, and reports the delay from each
// notice's publishedAt (set in its transaction) to its receipt by every
// subscriber — p50, p99, max — and the server's resident memory per idle
// subscriber (RSS delta / N). Next to each row it prints a baseline
// measured in the same run: the same frames written straight to N plain
// WebSocket connections (coder/websocket, one goroutine per write, no
// GraphQL, no database), the floor of any WebSocket fan-out on this
// machine. Targets (issue 14): p99 ≤ 250 ms and ≤ 32 KiB per idle
// subscriber at 10,000 subscribers.
//
//	go run ./bench/fanout -n 1000,5000,10000
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

func main() {
	counts := flag.String("n", "1000,5000,10000", "subscriber counts to measure, comma-separated")
	notices := flag.Int("notices", 5, "notices posted per measurement")
	bin := flag.String("server", "", "server binary (default: build this module)")
	flag.Parse()
	if addr := os.Getenv("FANOUT_BASELINE_SERVER"); addr != "" {
		raiseFileLimit()
		if err := serveBaseline(addr); err != nil {
			fmt.Fprintln(os.Stderr, "fanout baseline:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*counts, *notices, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "fanout:", err)
		os.Exit(1)
	}
}

func run(counts string, notices int, bin string) error {
	raiseFileLimit()
	dir, err := os.MkdirTemp("", "kokeilu-fanout")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "kokeilu")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build server: %w", err)
		}
	}
	fmt.Printf("%-26s %-12s %10s %10s %10s %10s %14s\n", "", "subscribers", "received", "p50", "p99", "max", "KiB/idle sub")
	for i, field := range strings.Split(counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil {
			return err
		}
		if err := measure(filepath.Join(dir, strconv.Itoa(i)), bin, n, notices); err != nil {
			return fmt.Errorf("%d subscribers: %w", n, err)
		}
		if err := baseline(n, notices); err != nil {
			return fmt.Errorf("baseline, %d subscribers: %w", n, err)
		}
	}
	return nil
}

// measure runs one server with n subscribers.
func measure(dir, bin string, n, notices int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	srv := exec.Command(bin, "-addr", "127.0.0.1:"+strconv.Itoa(port),
		"-dsn", filepath.Join(dir, fmt.Sprintf("fanout-%d.db", n)), "-demo=false", "-log-level", "warn",
		"-rate-limit", "0", "-sockets-per-address", "0") // one address opens every subscriber
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	}()
	if err := waitReady(base); err != nil {
		return err
	}
	token, ws, err := setUp(base)
	if err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	before, err := rss(srv.Process.Pid)
	if err != nil {
		return err
	}

	subs := make([]*subscriber, n)
	var dialErr atomic.Value
	var wg sync.WaitGroup
	sem := make(chan struct{}, 100) // within the listen backlog
	for i := range subs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s, err := subscribe(base, ws)
			if err != nil {
				dialErr.Store(err)
				return
			}
			subs[i] = s
		}()
	}
	wg.Wait()
	if err, ok := dialErr.Load().(error); ok {
		return err
	}
	defer func() {
		for _, s := range subs {
			s.conn.CloseNow()
		}
	}()
	// Warm-up notices until every subscription has proven live (the last
	// subscribe messages may still be on their way).
	for try := 0; ; try++ {
		if _, err := post(base, token, ws, "warm-up"); err != nil {
			return err
		}
		err := waitAll(subs, func(*subscriber) int { return 1 }, 10*time.Second)
		if err == nil {
			break
		}
		if try == 5 {
			return err
		}
	}
	runtimeSettle()
	after, err := rss(srv.Process.Pid)
	if err != nil {
		return err
	}

	var delays []time.Duration
	base0 := map[*subscriber]int{}
	for _, s := range subs {
		base0[s] = s.count()
	}
	for k := 0; k < notices; k++ {
		published, err := post(base, token, ws, fmt.Sprintf("notice %d", k))
		if err != nil {
			return err
		}
		if err := waitAll(subs, func(s *subscriber) int { return base0[s] + k + 1 }, 60*time.Second); err != nil {
			return err
		}
		for _, s := range subs {
			delays = append(delays, s.last().Sub(published))
		}
		time.Sleep(200 * time.Millisecond)
	}
	printRow("kokeilu (server process)", n, delays, fmt.Sprintf("%.1f", float64(after-before)/float64(n)/1024))
	return nil
}

func printRow(what string, n int, delays []time.Duration, perSub string) {
	slices.Sort(delays)
	pct := func(p float64) time.Duration { return delays[int(p*float64(len(delays)-1))] }
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
	fmt.Printf("%-26s %-12d %10d %10s %10s %10s %14s\n", what, n, len(delays), r(pct(0.50)), r(pct(0.99)), r(delays[len(delays)-1]), perSub)
}

// baseline writes a notice-sized frame straight to n plain WebSocket
// connections served by a child process (this program again: the
// open-file limit is per process), one goroutine per write, and measures
// the delay from asking for the fan-out to each receipt.
func baseline(n, notices int) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.Command(self)
	child.Env = append(os.Environ(), "FANOUT_BASELINE_SERVER="+addr)
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		return err
	}
	defer func() {
		_ = child.Process.Kill()
		_ = child.Wait()
	}()
	if err := waitReady("http://" + addr); err != nil {
		return err
	}
	subs := make([]*subscriber, n)
	var dialErr atomic.Value
	var wg sync.WaitGroup
	sem := make(chan struct{}, 100)
	for i := range subs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws", nil)
			if err != nil {
				dialErr.Store(err)
				return
			}
			subs[i] = listen(c)
		}()
	}
	wg.Wait()
	if err, ok := dialErr.Load().(error); ok {
		return err
	}
	defer func() {
		for _, s := range subs {
			s.conn.CloseNow()
		}
	}()
	var delays []time.Duration
	for k := 0; k < notices; k++ {
		start := time.Now()
		res, err := http.Post("http://"+addr+"/fan", "text/plain", nil)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("fan-out: %s", res.Status)
		}
		if err := waitAll(subs, func(*subscriber) int { return k + 1 }, 60*time.Second); err != nil {
			return err
		}
		for _, s := range subs {
			delays = append(delays, s.last().Sub(start))
		}
		time.Sleep(200 * time.Millisecond)
	}
	printRow("baseline (raw websocket)", n, delays, "-")
	return nil
}

// serveBaseline is the child process of baseline: it keeps every
// WebSocket connection made to /ws and writes one frame to all of them on
// each POST /fan, answering once the writes have started.
func serveBaseline(addr string) error {
	var mu sync.Mutex
	var conns []*websocket.Conn
	frame := []byte(`{"id":"1","type":"next","payload":{"data":{"noticePosted":{"id":"T3RpY2U6MTIz","title":"notice 1"}}}}`)
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		<-c.CloseRead(context.Background()).Done()
	})
	mux.HandleFunc("/fan", func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		all := slices.Clone(conns)
		mu.Unlock()
		for _, c := range all {
			go func() { _ = c.Write(context.Background(), websocket.MessageText, frame) }()
		}
	})
	return http.ListenAndServe(addr, mux)
}

func runtimeSettle() { time.Sleep(2 * time.Second) }

type subscriber struct {
	conn *websocket.Conn

	mu       sync.Mutex
	received int
	at       time.Time
}

func (s *subscriber) last() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.at
}

func (s *subscriber) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received
}

// subscribe opens one graphql-transport-ws subscriber and reads in the
// background, noting when each notice arrives.
func subscribe(base, ws string) (*subscriber, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/query",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	write := func(v any) error {
		b, _ := json.Marshal(v)
		return conn.Write(ctx, websocket.MessageText, b)
	}
	if err := write(map[string]any{"type": "connection_init"}); err != nil {
		return nil, err
	}
	if _, _, err := conn.Read(ctx); err != nil { // connection_ack
		return nil, err
	}
	err = write(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($ws: ID) { noticePosted(workspaceId: $ws) { id title } }`,
		"variables": map[string]any{"ws": ws},
	}})
	if err != nil {
		return nil, err
	}
	return listen(conn), nil
}

// listen reads conn in the background, noting when each next message
// arrives and answering pings.
func listen(conn *websocket.Conn) *subscriber {
	s := &subscriber{conn: conn}
	go func() {
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			now := time.Now()
			switch { // a lean client: the server is what is measured
			case bytes.Contains(data, []byte(`"type":"next"`)):
				s.mu.Lock()
				s.received++
				s.at = now
				s.mu.Unlock()
			case bytes.Contains(data, []byte(`"type":"ping"`)):
				_ = conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"pong"}`))
			}
		}
	}()
	return s
}

// waitAll waits until every subscriber has received want(s) notices.
func waitAll(subs []*subscriber, want func(*subscriber) int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		missing := 0
		for _, s := range subs {
			if s.count() < want(s) {
				missing++
			}
		}
		if missing == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d subscribers missed a notice", missing, len(subs))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// setUp registers a user and makes its public workspace.
func setUp(base string) (token, workspace string, err error) {
	var reg struct {
		Register struct{ Token string }
	}
	err = gql(base, "", `mutation { register(input: {email: "bench@example.org", password: "benchmark password", displayName: "Bench"}) { token } }`, nil, &reg)
	if err != nil {
		return "", "", err
	}
	var ws struct {
		CreateWorkspace struct{ ID string }
	}
	err = gql(base, reg.Register.Token, `mutation { createWorkspace(input: {name: "Fan-out"}) { id } }`, nil, &ws)
	return reg.Register.Token, ws.CreateWorkspace.ID, err
}

// post posts a notice and returns its publishedAt.
func post(base, token, ws, title string) (time.Time, error) {
	var out struct {
		PostNotice struct{ PublishedAt time.Time }
	}
	err := gql(base, token, `mutation($ws: ID!, $t: String!) { postNotice(input: {workspaceId: $ws, title: $t}) { publishedAt } }`,
		map[string]any{"ws": ws, "t": title}, &out)
	return out.PostNotice.PublishedAt, err
}

func gql(base, token, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return err
	}
	if len(r.Errors) > 0 {
		return errors.New(r.Errors[0].Message)
	}
	return json.Unmarshal(r.Data, out)
}

func waitReady(base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("server not ready")
}

// rss is a process's resident memory in bytes.
func rss(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// raiseFileLimit lifts the open-file limit to its maximum: every subscriber
// is a socket here and in the server (Go raises the server's on its own).
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
