package server

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"kokeilu/ent"
	"kokeilu/internal/revision"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// responseCache answers repeated anonymous queries (dashboards polling the
// same numbers) from memory, as Hasura's and PostGraphile's response caches
// do. An entry is served only while the data's revision is the one it was
// made at, so any write on any instance retires it at once; ttl bounds the
// few answers that change with the clock alone (a survey opening).
// Signed-in requests, mutations, subscriptions and answers with errors are
// never cached.
type responseCache struct {
	client   *ent.Client
	ttl      time.Duration
	maxBytes int

	mu      sync.Mutex
	entries map[[32]byte]*list.Element
	order   *list.List // front: most recently used
	bytes   int
}

type cachedResponse struct {
	key      [32]byte
	revision int64
	expires  time.Time
	body     []byte
}

const maxCachedResponse = 1 << 20

func newResponseCache(client *ent.Client, ttl time.Duration, maxBytes int) *responseCache {
	return &responseCache{client: client, ttl: ttl, maxBytes: maxBytes,
		entries: map[[32]byte]*list.Element{}, order: list.New()}
}

// cacheable is set by cacheableQueries when the operation may be cached.
type cacheable struct{ ok bool }

type cacheableKey struct{}

// middleware serves hits and records misses of cacheable requests.
func (c *responseCache) middleware(next http.Handler) http.Handler {
	if c == nil || c.ttl <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("Upgrade") != "" ||
			r.Header.Get("Accept") == "text/event-stream" || (r.Method != http.MethodPost && r.Method != http.MethodGet) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			next.ServeHTTP(w, r) // the body limit answers
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		key := sha256.Sum256([]byte(r.Method + "\x00" + r.Header.Get("Accept-Language") + "\x00" +
			r.Header.Get("Content-Type") + "\x00" + r.URL.RawQuery + "\x00" + string(body)))
		rev, err := revision.Current(r.Context(), c.client)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		if hit := c.get(key, rev); hit != nil {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Cache", "HIT")
			w.Header().Set("Content-Length", strconv.Itoa(len(hit)))
			_, _ = w.Write(hit)
			return
		}
		flag := &cacheable{}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		w.Header().Set("X-Cache", "MISS")
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), cacheableKey{}, flag)))
		if flag.ok && rec.status == http.StatusOK && !rec.overflow {
			c.put(key, rev, rec.body.Bytes())
		}
	})
}

func (c *responseCache) get(key [32]byte, rev int64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil
	}
	e := el.Value.(*cachedResponse)
	if e.revision != rev || time.Now().After(e.expires) {
		c.remove(el)
		return nil
	}
	c.order.MoveToFront(el)
	return e.body
}

func (c *responseCache) put(key [32]byte, rev int64, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.remove(el)
	}
	e := &cachedResponse{key: key, revision: rev, expires: time.Now().Add(c.ttl), body: bytes.Clone(body)}
	c.entries[key] = c.order.PushFront(e)
	c.bytes += len(e.body)
	for c.bytes > c.maxBytes && c.order.Len() > 0 {
		c.remove(c.order.Back())
	}
}

func (c *responseCache) remove(el *list.Element) {
	e := c.order.Remove(el).(*cachedResponse)
	delete(c.entries, e.key)
	c.bytes -= len(e.body)
}

// recorder passes a response through and keeps a copy of it, up to
// maxCachedResponse.
type recorder struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	overflow bool
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.body.Len()+len(p) > maxCachedResponse {
		r.overflow = true
	} else if !r.overflow {
		r.body.Write(p)
	}
	return r.ResponseWriter.Write(p)
}

// cacheableQueries tells the response cache which answers it may keep:
// those of queries (not mutations or subscriptions) without errors.
type cacheableQueries struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = cacheableQueries{}

func (cacheableQueries) ExtensionName() string                   { return "ResponseCache" }
func (cacheableQueries) Validate(graphql.ExecutableSchema) error { return nil }
func (cacheableQueries) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	// A request that failed before an operation existed (an undecodable
	// body on some transport) has no operation context: not cacheable.
	if flag, ok := ctx.Value(cacheableKey{}).(*cacheable); ok && resp != nil && graphql.HasOperationContext(ctx) {
		op := graphql.GetOperationContext(ctx).Operation
		flag.ok = op != nil && op.Operation == ast.Query && len(resp.Errors) == 0
	}
	return resp
}
