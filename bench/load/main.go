// Command load drives a Kokeilu server process on loopback: it measures
// the peak throughput of a dashboard query (closed loop), then sends twice
// that rate (open loop) mixed with writes, with the server's rate limit on,
// and reports what came back — answered, RATE_LIMITED, timeouts, 5xx — the
// latency, the server's memory before and after, and whether every write
// the server accepted is stored.
//
//	go run ./bench/load -seconds 5
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"kokeilu/internal/fault"
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
)

const dashboard = `query Dashboard { pilots(first: 20) { totalCount nodes { title leadMunicipality { name region { name } } municipalities(first: 5) { totalCount nodes { code } } } } }`

func main() {
	seconds := flag.Int("seconds", 5, "length of each phase")
	workers := flag.Int("workers", 8, "concurrent clients when measuring the peak")
	bin := flag.String("server", "", "server binary (default: build this module)")
	flag.Parse()
	if err := run(time.Duration(*seconds)*time.Second, *workers, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(phase time.Duration, workers int, bin string) error {
	dir, err := os.MkdirTemp("", "kokeilu-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "kokeilu")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v\n%s", err, out)
		}
	}

	// Phase 1: the peak, without a rate limit.
	base, stop, err := start(bin, filepath.Join(dir, "peak.db"), "0")
	if err != nil {
		return err
	}
	peak, lat := closedLoop(base, workers, phase)
	stop()
	fmt.Printf("peak (closed loop, %d clients): %.0f requests/s, p50 %v, p99 %v\n", workers, peak, pct(lat, .5), pct(lat, .99))

	// Phase 2: twice the peak, with the rate limit at half the peak.
	limit := strconv.Itoa(int(peak / 2))
	base, stop, err = start(bin, filepath.Join(dir, "overload.db"), limit)
	if err != nil {
		return err
	}
	defer stop()
	token, ws, err := setUp(base)
	if err != nil {
		return err
	}
	before := rss(base)
	res := openLoop(base, token, ws, 2*peak, phase)
	time.Sleep(500 * time.Millisecond)
	after := rss(base)
	stored, err := storedTitles(base, token, ws)
	if err != nil {
		return err
	}
	lost := 0
	for _, title := range res.acceptedWrites {
		if !stored[title] {
			lost++
		}
	}
	total := res.ok + res.limited + res.timeouts + res.serverErrors + res.other
	fmt.Printf("overload (open loop at %.0f requests/s for %v, server rate limit %s/s per client):\n", 2*peak, phase, limit)
	fmt.Printf("  sent %d: answered %d, RATE_LIMITED %d, timeouts %d, 5xx %d, other %d\n",
		total, res.ok, res.limited, res.timeouts, res.serverErrors, res.other)
	fmt.Printf("  answered p50 %v, p99 %v; server RSS %d MiB before, %d MiB after\n",
		pct(res.latency, .5), pct(res.latency, .99), before>>20, after>>20)
	fmt.Printf("  writes accepted %d, stored %d, lost %d\n", len(res.acceptedWrites), len(res.acceptedWrites)-lost, lost)
	if res.timeouts > 0 || res.serverErrors > 0 || lost > 0 {
		return errors.New("the server did not hold: see above")
	}
	return nil
}

var client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}

func start(bin, dsn, rateLimit string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "-addr", addr, "-dsn", dsn, "-log-level", "warn", "-rate-limit", rateLimit)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				pids[base] = cmd.Process.Pid
				return base, stop, nil
			}
		}
	}
	stop()
	return "", nil, errors.New("server not ready")
}

var pids = map[string]int{}

func rss(base string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pids[base]))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// post sends one GraphQL request; it returns the HTTP status, the first
// error code, and the data.
func post(ctx context.Context, base, token, query string, vars map[string]any) (int, string, json.RawMessage, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer res.Body.Close()
	var out struct {
		Data   json.RawMessage
		Errors []struct{ Extensions map[string]any }
	}
	_ = json.NewDecoder(res.Body).Decode(&out)
	code := ""
	if len(out.Errors) > 0 {
		code, _ = out.Errors[0].Extensions["code"].(string)
		if code == "" {
			code = "NO_CODE"
		}
	}
	return res.StatusCode, code, out.Data, nil
}

func closedLoop(base string, workers int, d time.Duration) (float64, []time.Duration) {
	var mu sync.Mutex
	var lat []time.Duration
	var n atomic.Int64
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				t0 := time.Now()
				status, code, _, err := post(context.Background(), base, "", dashboard, nil)
				if err == nil && status == 200 && code == "" {
					n.Add(1)
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds(), lat
}

type outcome struct {
	ok, limited, timeouts, serverErrors, other int
	latency                                    []time.Duration
	acceptedWrites                             []string
}

// openLoop sends requests at rate regardless of answers (in-flight capped
// at 2,000); one in ten is a write (a notice) by a signed-in user.
func openLoop(base, token, ws string, rate float64, d time.Duration) outcome {
	var mu sync.Mutex
	var res outcome
	inflight := make(chan struct{}, 2000)
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	sent := 0
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for now := range tick.C {
		if now.After(end) {
			break
		}
		due := int(rate * now.Sub(start).Seconds()) // what the schedule has sent by now
		for ; sent < due; sent++ {
			i := sent
			select {
			case inflight <- struct{}{}:
			default:
				mu.Lock()
				res.other++ // over 2,000 in flight: counted, not sent
				mu.Unlock()
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-inflight }()
				query, vars, auth, title := dashboard, map[string]any(nil), "", ""
				if i%10 == 0 {
					title = fmt.Sprintf("load-%d", i)
					query = `mutation($ws: ID!, $t: String!) { postNotice(input: {workspaceId: $ws, title: $t}) { id } }`
					vars, auth = map[string]any{"ws": ws, "t": title}, token
				}
				t0 := time.Now()
				status, code, _, err := post(context.Background(), base, auth, query, vars)
				took := time.Since(t0)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					res.timeouts++
				case status >= 500:
					res.serverErrors++
				case code == fault.RateLimited:
					res.limited++
				case status == 200 && code == "":
					res.ok++
					res.latency = append(res.latency, took)
					if title != "" {
						res.acceptedWrites = append(res.acceptedWrites, title)
					}
				default:
					res.other++
				}
			}()
		}
	}
	wg.Wait()
	return res
}

func setUp(base string) (token, ws string, err error) {
	ctx := context.Background()
	_, code, data, err := post(ctx, base, "", `mutation { register(input: {email: "load@example.org", password: "load test password", displayName: "Load"}) { token } }`, nil)
	if err != nil || code != "" {
		return "", "", fmt.Errorf("register: %v %s", err, code)
	}
	var r struct{ Register struct{ Token string } }
	_ = json.Unmarshal(data, &r)
	_, code, data, err = post(ctx, base, r.Register.Token, `mutation { createWorkspace(input: {name: "Load"}) { id } }`, nil)
	if err != nil || code != "" {
		return "", "", fmt.Errorf("workspace: %v %s", err, code)
	}
	var w struct{ CreateWorkspace struct{ ID string } }
	_ = json.Unmarshal(data, &w)
	return r.Register.Token, w.CreateWorkspace.ID, nil
}

// storedTitles lists the notices of the workspace, 100 at a time.
func storedTitles(base, token, ws string) (map[string]bool, error) {
	titles := map[string]bool{}
	var after any
	for {
		_, code, data, err := post(context.Background(), base, token,
			`query($ws: ID!, $after: Cursor) { notices(first: 100, after: $after, where: {hasWorkspaceWith: {id: $ws}}) { pageInfo { hasNextPage endCursor } nodes { title } } }`,
			map[string]any{"ws": ws, "after": after})
		if err != nil || code != "" {
			if code == fault.RateLimited {
				time.Sleep(time.Second)
				continue
			}
			return nil, fmt.Errorf("read back: %v %s", err, code)
		}
		var page struct {
			Notices struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Nodes []struct{ Title string }
			}
		}
		_ = json.Unmarshal(data, &page)
		for _, n := range page.Notices.Nodes {
			titles[n.Title] = true
		}
		if !page.Notices.PageInfo.HasNextPage {
			return titles, nil
		}
		after = page.Notices.PageInfo.EndCursor
	}
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(p*float64(len(s)-1))].Round(100 * time.Microsecond)
}
