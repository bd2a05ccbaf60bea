package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsClient speaks a GraphQL WebSocket protocol frame by frame:
// "graphql-transport-ws" (graphql-ws, Apollo, urql) or the legacy
// "graphql-ws" (subscriptions-transport-ws).
type wsClient struct {
	t        testing.TB
	conn     *websocket.Conn
	protocol string
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialWS connects and initialises; token may be empty. It returns the
// error of a refused connection_init instead of failing.
func (a *api) dialWS(protocol, token string, header http.Header) (*wsClient, error) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(a.srv.URL, "http") + "/query"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{protocol}, HTTPHeader: header})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 24)
	c := &wsClient{t: a.t, conn: conn, protocol: protocol}
	payload := map[string]any{}
	if token != "" {
		payload["Authorization"] = "Bearer " + token
	}
	c.send(wsMessage{Type: "connection_init", Payload: mustJSON(payload)})
	for {
		m, err := c.read(5 * time.Second)
		if err != nil {
			return nil, err
		}
		switch m.Type {
		case "connection_ack":
			return c, nil
		case "ka", "ping", "pong":
			continue
		case "connection_error":
			continue // the close frame that follows tells the code
		default:
			return nil, errors.New("unexpected " + m.Type)
		}
	}
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, mustJSON(m)); err != nil {
		c.t.Fatalf("websocket write: %v", err)
	}
}

func (c *wsClient) read(timeout time.Duration) (wsMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, data, err := c.conn.Read(ctx)
	if err != nil {
		return wsMessage{}, err
	}
	var m wsMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return wsMessage{}, err
	}
	return m, nil
}

// subscribe starts operation id.
func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	typ := "subscribe"
	if c.protocol == "graphql-ws" {
		typ = "start"
	}
	c.send(wsMessage{ID: id, Type: typ, Payload: mustJSON(map[string]any{"query": query, "variables": vars})})
}

// next waits for the next data message, skipping keep-alives and answering
// pings; it returns the payload's data.
func (c *wsClient) next(timeout time.Duration) (json.RawMessage, error) {
	deadline := time.Now().Add(timeout)
	for {
		m, err := c.read(time.Until(deadline))
		if err != nil {
			return nil, err
		}
		switch m.Type {
		case "next", "data":
			var p struct {
				Data   json.RawMessage
				Errors []gqlError
			}
			_ = json.Unmarshal(m.Payload, &p)
			if len(p.Errors) > 0 {
				return nil, errors.New(p.Errors[0].Message)
			}
			return p.Data, nil
		case "ping":
			c.send(wsMessage{Type: "pong"})
		case "ka", "pong":
		case "error", "complete":
			return nil, errors.New(m.Type + " " + string(m.Payload))
		}
	}
}

// closeStatus reads until the connection ends and returns its close code.
func (c *wsClient) closeStatus(timeout time.Duration) websocket.StatusCode {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, err := c.read(time.Until(deadline)); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return stillOpen
			}
			return websocket.CloseStatus(err) // -1: dropped without a close frame
		}
	}
	return stillOpen
}

// stillOpen is closeStatus's answer for a connection that did not end.
const stillOpen websocket.StatusCode = 0

// noticeOf decodes a noticePosted payload.
type postedNotice struct {
	NoticePosted struct {
		ID, Title, Cursor string
		Workspace         struct{ Slug string }
	}
}

func decodeNotice(t testing.TB, data json.RawMessage) postedNotice {
	t.Helper()
	var n postedNotice
	if err := json.Unmarshal(data, &n); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return n
}

// sseClient is a graphql-sse (distinct connections) subscriber.
type sseClient struct {
	res    *http.Response
	events chan string
}

func (a *api) subscribeSSE(query string, vars map[string]any, header ...string) *sseClient {
	a.t.Helper()
	body := mustJSON(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		a.t.Fatalf("SSE status %d", res.StatusCode)
	}
	s := &sseClient{res: res, events: make(chan string, 100)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "next":
				s.events <- strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return s
}

// next returns the data of the next "next" event, or false when the stream
// ended or timed out.
func (s *sseClient) next(timeout time.Duration) (json.RawMessage, bool) {
	select {
	case e, ok := <-s.events:
		if !ok {
			return nil, false
		}
		var p struct{ Data json.RawMessage }
		_ = json.Unmarshal([]byte(e), &p)
		return p.Data, true
	case <-time.After(timeout):
		return nil, false
	}
}
