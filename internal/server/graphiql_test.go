package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// TestGraphiQLPageIsSelfContained reads / as a browser would without
// running it: every script and stylesheet comes from this server and
// matches its integrity hash, and no other URL is loaded.
func TestGraphiQLPageIsSelfContained(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		res, err := http.Get(a.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}
	res, page := get("/")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	tags := regexp.MustCompile(`(?s)<(script|link)\b[^>]*?(?:src|href)="([^"]+)"[^>]*?integrity="([^"]*)"`).FindAllStringSubmatch(string(page), -1)
	if len(tags) != 4 {
		t.Fatalf("want 4 scripts and stylesheets with integrity, found %d in\n%s", len(tags), page)
	}
	for _, tag := range tags {
		src, integrity := html.UnescapeString(tag[2]), html.UnescapeString(tag[3])
		if !strings.HasPrefix(src, "/graphiql/") {
			t.Errorf("%s loads from elsewhere", src)
			continue
		}
		res, body := get(src)
		sum := sha256.Sum256(body)
		if res.StatusCode != 200 || integrity != "sha256-"+base64.StdEncoding.EncodeToString(sum[:]) {
			t.Errorf("%s: status %d, integrity %s does not match the body", src, res.StatusCode, integrity)
		}
	}
	if urls := regexp.MustCompile(`(?:src|href)="(https?:)?//`).FindAllString(string(page), -1); len(urls) > 0 {
		t.Errorf("the page loads from other hosts: %v", urls)
	}
	for _, licence := range []string{"LICENSE.graphiql", "LICENSE.react", "LICENSE.react-dom"} {
		if res, body := get("/graphiql/" + licence); res.StatusCode != 200 || !strings.Contains(string(body), "MIT License") {
			t.Errorf("%s: %d", licence, res.StatusCode)
		}
	}
}
