package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestHandlerPanicIsContained: a panic in any HTTP handler (an export, a
// probe) is answered 500 INTERNAL with the request id, and the next request
// is served; one that panics after its status was sent is cut, not answered
// twice.
func TestHandlerPanicIsContained(t *testing.T) {
	calls := 0
	h := withRequestContext(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		switch r.URL.Path {
		case "/before":
			panic("boom before writing")
		case "/after":
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("partial"))
			panic("boom after writing")
		}
		_, _ = w.Write([]byte("ok"))
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/before")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Errors []struct {
			Extensions map[string]any
		}
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if res.StatusCode != http.StatusInternalServerError || len(body.Errors) != 1 || body.Errors[0].Extensions["code"] != "INTERNAL" ||
		body.Errors[0].Extensions["requestId"] != res.Header.Get("X-Request-Id") {
		t.Errorf("a panic before writing: %d %+v", res.StatusCode, body)
	}
	if res, err := http.Get(srv.URL + "/after"); err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("a panic after writing changed the status: %d", res.StatusCode)
		}
	}
	res, err = http.Get(srv.URL + "/fine")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the server after two panics: %v", err)
	}
	res.Body.Close()
	if calls != 3 {
		t.Errorf("%d calls", calls)
	}
}
