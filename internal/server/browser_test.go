package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kokeilu/ent/workspace"
	"kokeilu/internal/testdb"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, installed by .ci/run.
const chromiumPath = "/usr/bin/chromium"

// TestBrowserGraphiQLOffline drives GraphiQL at / in headless Chromium with
// every request to another host failed: the page loads from the binary,
// runs a typed query with a header from the Headers tab, opens the docs
// explorer and receives a notice over a subscription. It saves a screenshot
// in $KOKEILU_SCREENSHOTS (or a temporary directory) and logs its path.
// Without chromium it is skipped, unless CI=true.
func TestBrowserGraphiQLOffline(t *testing.T) {
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is needed for the browser test (.ci/run installs it): %v", err)
		}
		t.Skipf("no %s: the browser test needs chromium", chromiumPath)
	}
	a := newAPI(t, testdb.SQLite, false)
	p := a.people()
	w := a.newWorld(p, workspace.VisibilityPUBLIC)
	origin, _ := url.Parse(a.srv.URL)

	b := newBrowser(t, origin.Host)
	ctx := b.ctx
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			b.screenshot(t, "failed")
			t.Fatalf("%s: %v\nconsole: %s", what, err, b.console())
		}
	}
	// editorValue is the text of the CodeMirror editor under sel.
	editorValue := func(sel string) string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).CodeMirror.getValue()`, sel+" .CodeMirror")))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}
	// typeInto empties the editor under sel and types text into it, key by key.
	typeInto := func(sel, text string) {
		t.Helper()
		step("type into "+sel,
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).CodeMirror.setValue("")`, sel+" .CodeMirror")),
			chromedp.Click(sel+" .CodeMirror-lines"),
			chromedp.KeyEvent(text))
		if got := editorValue(sel); got != text {
			t.Fatalf("%s holds %q after typing %q", sel, got, text)
		}
		// GraphiQL takes edits into its tab state (the operation to run,
		// the headers to send) after a debounce: wait for it, or the run
		// button sends the previous operation's name.
		field := map[bool]string{true: "query", false: "headers"}[sel == ".graphiql-query-editor"]
		want, _ := json.Marshal(text)
		step("wait for GraphiQL to take the edit", chromedp.Poll[chromedp.Void](fmt.Sprintf(
			`(() => { const s = JSON.parse(localStorage.getItem("kokeilu:graphiql:tabState") || "null"); return s && s.tabs[s.activeTabIndex].%s === %s })()`, field, want),
			chromedp.WithPollingInterval(20*time.Millisecond)))
	}
	// result waits until the result pane holds JSON with want in it.
	result := func(want string) json.RawMessage {
		t.Helper()
		var got string
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(got, want) {
			if time.Now().After(deadline) {
				b.screenshot(t, "failed")
				t.Fatalf("the result pane never showed %q; it shows %q\nconsole: %s", want, got, b.console())
			}
			time.Sleep(50 * time.Millisecond)
			got = editorValue(".graphiql-response")
		}
		if !json.Valid([]byte(got)) {
			t.Fatalf("the result pane is not JSON: %q", got)
		}
		return json.RawMessage(got)
	}

	step("open GraphiQL", chromedp.Navigate(a.srv.URL+"/"), chromedp.WaitVisible(".graphiql-query-editor .CodeMirror"))

	// A query with the member's token from the Headers tab: the answer is
	// the viewer's, as the API gives it.
	var want struct {
		Viewer  struct{ DisplayName string }
		Regions struct{ TotalCount int }
	}
	const query = `query Me { viewer { displayName } regions { totalCount } }`
	a.query(&want, query, nil, p.header("member")...)
	if want.Viewer.DisplayName == "" || want.Regions.TotalCount == 0 {
		t.Fatalf("the API's own answer is empty: %+v", want)
	}
	step("open the Headers tab", chromedp.Click(`//button[normalize-space()="Headers"]`), chromedp.WaitVisible(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"))
	headers := `{"Authorization": "Bearer ` + p.token["member"] + `"}`
	typeInto(".graphiql-editor-tool .graphiql-editor:not(.hidden)", headers)
	typeInto(".graphiql-query-editor", query)
	step("run the query", chromedp.Click(".graphiql-execute-button"))
	var got struct {
		Data   json.RawMessage
		Errors []gqlError
	}
	if err := json.Unmarshal(result(want.Viewer.DisplayName), &got); err != nil || len(got.Errors) > 0 {
		t.Fatalf("result: %v %+v", err, got.Errors)
	}
	b.screenshot(t, "query")
	wantData, _ := json.Marshal(map[string]any{"viewer": map[string]any{"displayName": want.Viewer.DisplayName},
		"regions": map[string]any{"totalCount": want.Regions.TotalCount}})
	if !jsonEqual(got.Data, wantData) {
		t.Errorf("GraphiQL shows %s, the API answers %s", got.Data, wantData)
	}

	// The docs explorer reads the schema by introspection.
	step("open the docs explorer",
		chromedp.Click(`button[aria-label="Show Documentation Explorer"]`),
		chromedp.WaitVisible(".graphiql-doc-explorer"),
		chromedp.Click(`//div[contains(@class,"graphiql-doc-explorer")]//a[normalize-space()="Query"]`),
		chromedp.WaitVisible(`//div[contains(@class,"graphiql-doc-explorer")]//a[normalize-space()="regions"]`))

	// A subscription over GraphiQL's WebSocket fetcher gets a notice posted
	// meanwhile.
	typeInto(".graphiql-query-editor", `subscription { noticePosted { title workspace { slug } } }`)
	step("start the subscription", chromedp.Click(".graphiql-execute-button"))
	waitSubscribers(t, a, 1)
	title := "Selaimen kautta " + time.Now().Format("15:04:05.000")
	a.query(&struct{}{}, postNotice, map[string]any{"ws": w.Workspace, "title": title}, p.header("owner")...)
	var notice struct {
		Data struct {
			NoticePosted struct {
				Title     string
				Workspace struct{ Slug string }
			}
		}
	}
	if err := json.Unmarshal(result(title), &notice); err != nil {
		t.Fatal(err)
	}
	if n := notice.Data.NoticePosted; n.Title != title || n.Workspace.Slug != w.slug {
		t.Errorf("GraphiQL shows notice %+v, want %q in %s", n, title, w.slug)
	}
	b.screenshot(t, "subscription")

	b.checkOffline(t, origin.Host)
	// The guard itself: a request the page makes to another host is
	// failed and reported.
	const canary = "https://cdn.jsdelivr.net/npm/graphiql/graphiql.min.js"
	outcome, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch("`+canary+`").then(() => "fetched", e => "failed: " + e)`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(outcome, "failed") {
		t.Errorf("a request to another host: %q %v", outcome, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.blocked) != 1 || b.blocked[0] != canary {
		t.Errorf("blocked %q, want the canary alone", b.blocked)
	}
}

// browser is a headless Chromium whose requests to any host but the test
// server fail; it records every request it saw.
type browser struct {
	ctx context.Context

	mu       sync.Mutex
	urls     []string // every request and WebSocket, in order
	blocked  []string // requests failed for going elsewhere
	messages []string // console messages and exceptions
}

func newBrowser(t *testing.T, host string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1400, 900),
		// A second wall: no name resolves, so even a request the
		// interception missed cannot leave the machine.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	sent := chromedp.Events(ctx, network.RequestWillBeSent)
	sockets := chromedp.Events(ctx, network.WebSocketCreated)
	console := chromedp.Console(ctx)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			u, perr := url.Parse(ev.Request.URL)
			if perr == nil && u.Host == host {
				_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			b.record(&b.blocked, ev.Request.URL)
			_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		}
	}()
	go func() {
		for ev, err := range sent {
			if err != nil {
				return
			}
			b.record(&b.urls, ev.Request.URL)
		}
	}()
	go func() {
		for ev, err := range sockets {
			if err != nil {
				return
			}
			b.record(&b.urls, ev.URL)
		}
	}()
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			b.record(&b.messages, m.String())
		}
	}()
	return b
}

func (b *browser) record(list *[]string, s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*list = append(*list, s)
}

func (b *browser) console() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.messages, "\n")
}

// checkOffline fails the test if the page asked for anything but host, or
// never asked for its own scripts.
func (b *browser) checkOffline(t *testing.T, host string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.blocked) > 0 {
		t.Errorf("the page asked other hosts for %q", b.blocked)
	}
	var scripts, sockets int
	for _, raw := range b.urls {
		u, err := url.Parse(raw)
		if err == nil && (u.Scheme == "data" || u.Scheme == "blob") {
			continue // inline (fonts in the stylesheet): nothing is fetched
		}
		if err != nil || u.Host != host {
			t.Errorf("request to another host: %s", raw)
			continue
		}
		switch {
		case strings.HasPrefix(u.Path, "/graphiql/"):
			scripts++
		case u.Scheme == "ws" && u.Path == "/query":
			sockets++
		}
	}
	if scripts < 4 || sockets == 0 {
		t.Errorf("want the 4 GraphiQL assets and a WebSocket from %s; saw %q", host, b.urls)
	}
	t.Logf("%d requests, all to %s (%d GraphiQL assets, %d WebSockets)", len(b.urls), host, scripts, sockets)
}

// screenshot saves the page as name.png in $KOKEILU_SCREENSHOTS, or in a
// temporary directory, and logs where.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("KOKEILU_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", path)
}

// jsonEqual says whether two JSON texts hold the same value.
func jsonEqual(x, y []byte) bool {
	var a, b any
	if json.Unmarshal(x, &a) != nil || json.Unmarshal(y, &b) != nil {
		return false
	}
	ax, _ := json.Marshal(a)
	bx, _ := json.Marshal(b)
	return string(ax) == string(bx)
}
