package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureProcess runs the kokeilu binary on dsn (cache off, no demo
// content) once per GOGC setting ("" is the binary's default) and prints
// the server process's CPU time per dashboard request over n sequential
// requests (from /proc, Linux), the wall time and the resident size, next
// to the CPU time per request of the hand-written SQL in this process.
// Unlike the in-process benchmarks, the server's heap holds only what the
// server keeps, so the collector runs as often as in production.
func measureProcess(ctx context.Context, binary, dsn string, raw rawQueries, first, n int, gogcs []string) error {
	fmt.Printf("%-14s | %14s %12s %8s\n", "GOGC", "cpu-ms/request", "ms/request", "RSS MB")
	for _, gogc := range gogcs {
		cpu, wall, rss, err := runBinary(binary, dsn, gogc, first, n)
		if err != nil {
			return fmt.Errorf("GOGC=%q: %w", gogc, err)
		}
		name := gogc
		if name == "" {
			name = "(default)"
		}
		fmt.Printf("%-14s | %14.2f %12.2f %8d\n", name, cpu, wall, rss)
	}
	for range 200 {
		if _, err := raw.dashboard(ctx, first); err != nil {
			return err
		}
	}
	start, t := cpuTime(), time.Now()
	for range n {
		if _, err := raw.dashboard(ctx, first); err != nil {
			return err
		}
	}
	fmt.Printf("%-14s | %14.2f %12.2f\n", "raw SQL", float64((cpuTime()-start).Microseconds())/1000/float64(n),
		float64(time.Since(t).Microseconds())/1000/float64(n))
	return nil
}

func runBinary(binary, dsn, gogc string, first, n int) (cpu, wall float64, rssMB int, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, 0, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(binary, "-addr", addr, "-dsn", dsn, "-response-cache-ttl", "0", "-demo=false", "-rate-limit", "0", "-log-level", "warn")
	cmd.Env = append(os.Environ(), "GOGC="+gogc) // GOGC= is unset for the runtime
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { cmd.Process.Signal(syscall.SIGTERM); <-exited }()
	url := "http://" + addr + "/query"
	for i := 0; ; i++ {
		select {
		case err := <-exited: // e.g. another process took the port
			exited <- err
			return 0, 0, 0, fmt.Errorf("%s exited at start: %v", binary, err)
		default:
		}
		if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
			res.Body.Close()
			break
		}
		if i == 300 {
			return 0, 0, 0, fmt.Errorf("%s did not start", binary)
		}
		time.Sleep(100 * time.Millisecond)
	}
	body, _ := json.Marshal(map[string]any{"query": dashboardQuery, "variables": map[string]any{"n": first}})
	for range 200 {
		if err := check(url, body); err != nil {
			return 0, 0, 0, err
		}
	}
	before, err := processCPU(cmd.Process.Pid)
	if err != nil {
		return 0, 0, 0, err
	}
	t := time.Now()
	for range n {
		if err := post(url, body); err != nil {
			return 0, 0, 0, err
		}
	}
	wall = float64(time.Since(t).Microseconds()) / 1000 / float64(n)
	after, err := processCPU(cmd.Process.Pid)
	if err != nil {
		return 0, 0, 0, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0, 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			v, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")))
			rssMB = v / 1024
		}
	}
	return float64((after - before).Microseconds()) / 1000 / float64(n), wall, rssMB, nil
}

// processCPU is a process's user plus system CPU time (/proc/<pid>/stat,
// in clock ticks of 10 ms).
func processCPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// After the command's name, which may hold ") " itself.
	fields := strings.Fields(string(stat[bytes.LastIndex(stat, []byte(") "))+2:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}
