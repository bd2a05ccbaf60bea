package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"kokeilu/internal/fault"

	"github.com/99designs/gqlgen/graphql"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The two GraphQL-over-WebSocket protocols a socket may speak.
const (
	transportWS = "graphql-transport-ws"
	legacyWS    = "graphql-ws"
)

// wsMessage is a message of either protocol.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// init reads connection_init, authenticates its payload and acknowledges.
// The init timeout closes the socket with 4408 from a timer: a read
// deadline would make coder/websocket drop the connection without a close
// frame.
func (s *socket) init() bool {
	timer := time.AfterFunc(s.t.initTimeout, func() {
		defer survive(s.ctx, "init timeout")
		s.close(4408, "Connection initialisation timeout")
	})
	defer timer.Stop()
	m, err := s.read(context.WithoutCancel(s.ctx))
	if !timer.Stop() {
		return false // closed with 4408
	}
	if errors.Is(err, errBadMessage) {
		s.close(4400, "invalid message")
		return false
	}
	if err != nil {
		return false
	}
	switch m.Type {
	case "connection_init":
	case "subscribe", "start":
		s.close(4401, "Unauthorized: send connection_init first")
		return false
	default:
		s.close(4400, "expected connection_init")
		return false
	}
	authorization, err := initAuthorization(m.Payload)
	if errors.Is(err, errBadMessage) {
		s.close(4400, "Invalid message: the connection_init payload must be an object")
		return false
	}
	if err == nil && authorization != "" {
		var authed context.Context
		if authed, err = s.t.auth(s.ctx, authorization); err == nil {
			s.ctx = authed
			s.authorization = authorization
		}
	}
	if err != nil {
		code, status, reason := fault.Unauthenticated, coderws.StatusCode(4403), "Forbidden: the token is invalid or has expired"
		if errors.Is(err, errAuthorizationType) {
			reason = "Forbidden: Authorization must be a string"
		} else if _, ok := fault.As(err); !ok { // the database failed the lookup: retry later
			slog.ErrorContext(s.ctx, "authenticate", "err", err)
			code, status, reason = fault.Unavailable, coderws.StatusTryAgainLater, "Try Again Later: the database is unavailable"
			err = errors.New("the database is unavailable; retry shortly")
		}
		if s.protocol == legacyWS {
			s.send(wsMessage{Type: "connection_error", Payload: errorPayload(code, err.Error())})
		}
		s.close(status, reason)
		return false
	}
	s.send(wsMessage{Type: "connection_ack"})
	if s.protocol == legacyWS {
		s.send(wsMessage{Type: "ka"})
	}
	return true
}

// errAuthorizationType refuses a connection_init whose Authorization is
// not a string: it would otherwise sign the socket in anonymously.
var errAuthorizationType = fault.Unauthenticatedf("the Authorization of connection_init must be a string: \"Bearer <token>\"")

// initAuthorization reads connection_init's payload, which graphql-ws
// requires to be an object, null or absent (errBadMessage: 4400), and its
// Authorization (or authorization): a string, or null or absent for an
// anonymous socket.
func initAuthorization(payload json.RawMessage) (string, error) {
	if len(payload) == 0 || string(payload) == "null" {
		return "", nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(payload, &fields) != nil {
		return "", errBadMessage
	}
	for _, key := range []string{"Authorization", "authorization"} {
		raw, ok := fields[key]
		if !ok || string(raw) == "null" {
			continue
		}
		var authorization string
		if json.Unmarshal(raw, &authorization) != nil {
			return "", errAuthorizationType
		}
		if authorization != "" {
			return authorization, nil
		}
	}
	return "", nil
}

func errorPayload(code, message string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"message": message, "extensions": map[string]string{"code": code}})
	return b
}

func (s *socket) read(ctx context.Context) (wsMessage, error) {
	var m wsMessage
	typ, data, err := s.conn.Read(ctx)
	if err != nil {
		return m, err
	}
	if typ != coderws.MessageText || json.Unmarshal(data, &m) != nil {
		return m, errBadMessage
	}
	return m, nil
}

var errBadMessage = errors.New("not a JSON text message")

// readLoop handles the client's messages until the socket closes. Reads
// do not take s.ctx: coder/websocket drops the connection at once when a
// read's context ends, and an ending stream must first send its close code.
func (s *socket) readLoop() {
	ctx := context.WithoutCancel(s.ctx)
	for {
		m, err := s.read(ctx)
		if errors.Is(err, errBadMessage) {
			s.close(4400, "invalid message")
			return
		}
		if err != nil {
			s.cancel()
			return
		}
		switch m.Type {
		case "subscribe", "start":
			if m.ID == "" {
				s.close(4400, "a subscription needs an id")
				return
			}
			if !s.sessionLives() || !s.start(m) {
				return
			}
		case "complete", "stop":
			s.stop(m.ID)
		case "ping":
			s.send(wsMessage{Type: "pong", Payload: m.Payload})
		case "pong":
			s.lastPong.Store(time.Now().UnixNano())
		case "connection_terminate":
			s.close(coderws.StatusNormalClosure, "terminated")
			return
		case "connection_init":
			s.close(4429, "Too many initialisation requests")
			return
		default:
			s.close(4400, "unknown message type "+m.Type)
			return
		}
	}
}

// start registers operation m.ID and runs it on a goroutine of its own, so
// the deep work of parsing and resolving does not grow the reader's stack.
func (s *socket) start(m wsMessage) bool {
	ctx, cancel := context.WithCancel(s.ctx)
	sub := &subscription{s: s, id: m.ID, cancel: cancel}
	s.mu.Lock()
	if old, dup := s.subs[m.ID]; dup {
		if s.protocol == transportWS {
			s.mu.Unlock()
			cancel()
			s.close(4409, "Subscriber for "+m.ID+" already exists")
			return false
		}
		// subscriptions-transport-ws replaces the operation: the old one
		// ends as if stopped.
		delete(s.subs, m.ID)
		s.mu.Unlock()
		old.mu.Lock()
		old.stopped = true
		old.mu.Unlock()
		old.cancel()
		s.mu.Lock()
	}
	if ok, wait := s.t.rates.take(s.ctx, s.addr); !ok {
		s.mu.Unlock()
		cancel()
		secs, message := retryIn(wait)
		s.fail(sub, gqlerror.List{{Message: message, Extensions: map[string]any{"code": fault.RateLimited, "retryAfter": secs}}})
		return true
	}
	if s.t.perSocket > 0 && len(s.subs) >= s.t.perSocket {
		s.mu.Unlock()
		cancel()
		s.fail(sub, gqlerror.List{{Message: fmt.Sprintf("at most %d operations at once on one connection", s.t.perSocket),
			Extensions: map[string]any{"code": fault.RateLimited}}})
		return true
	}
	s.subs[m.ID] = sub
	s.mu.Unlock()
	go s.run(ctx, sub, m.Payload)
	return true
}

// stop ends a subscription at the client's request.
func (s *socket) stop(id string) {
	s.mu.Lock()
	sub := s.subs[id]
	s.mu.Unlock()
	if sub == nil {
		return
	}
	sub.mu.Lock()
	sub.stopped = true
	sub.mu.Unlock()
	sub.cancel()
	s.forget(sub)
}

// finish ends a subscription, telling the client unless it asked to stop
// or the socket is being ended on purpose (shutdown 1012, overflow 1013):
// then the close code alone speaks, since a complete would tell graphql-ws
// that the subscription is over and it would not subscribe again.
func (s *socket) finish(sub *subscription, always bool) {
	if stopped, first := s.end(sub); first && (!stopped || always) && !s.endedOnPurpose() {
		s.send(wsMessage{ID: sub.id, Type: "complete"})
	}
}

func (s *socket) endedOnPurpose() bool {
	if s.slow.Load() {
		return true
	}
	if s.stream == nil {
		return false
	}
	_, _, ok := s.stream.closeCode()
	return ok
}

// fail ends an operation with an error message. graphql-transport-ws
// forbids a complete after it; the legacy protocol's clients expect one.
func (s *socket) fail(sub *subscription, errs gqlerror.List) {
	if stopped, first := s.end(sub); !first || stopped {
		return // the client stopped it (or replaced it): it hears no more
	}
	s.sendErrors(sub.id, errs)
	if s.protocol == legacyWS {
		s.send(wsMessage{ID: sub.id, Type: "complete"})
	}
}

// end releases what an operation holds; first is false when it had ended
// already (its last message is sent).
func (s *socket) end(sub *subscription) (stopped, first bool) {
	sub.mu.Lock()
	stopped, first = sub.stopped, !sub.ended
	sub.ended = true
	group := sub.group
	sub.group = nil
	sub.mu.Unlock()
	sub.cancel()
	s.forget(sub)
	if group != nil {
		s.t.leave(group)
	}
	return stopped, first
}

func (s *socket) forget(sub *subscription) {
	s.mu.Lock()
	if s.subs[sub.id] == sub {
		delete(s.subs, sub.id)
	}
	s.mu.Unlock()
}

// sendResponse sends a result as next (data).
func (s *socket) sendResponse(id string, resp *graphql.Response) {
	payload, err := responsePayload(resp)
	if err != nil {
		slog.Error("marshal response", "err", err)
		return
	}
	s.sendPayload(id, payload)
}

// responsePayload is the JSON of a result; the common case of data alone is
// framed without re-encoding the data.
func responsePayload(resp *graphql.Response) ([]byte, error) {
	if len(resp.Errors) > 0 || len(resp.Extensions) > 0 || resp.Data == nil {
		return json.Marshal(resp)
	}
	b := make([]byte, 0, len(resp.Data)+10)
	b = append(b, `{"data":`...)
	b = append(b, resp.Data...)
	return append(b, '}'), nil
}

// sendPayload frames a result for this socket's protocol: the hot path of
// fan-out, where the payload is shared by many sockets.
func (s *socket) sendPayload(id string, payload []byte) {
	typ := "next"
	if s.protocol == legacyWS {
		typ = "data"
	}
	quotedID, _ := json.Marshal(id)
	msg := make([]byte, 0, len(payload)+len(quotedID)+32)
	msg = append(msg, `{"id":`...)
	msg = append(msg, quotedID...)
	msg = append(msg, `,"type":"`...)
	msg = append(msg, typ...)
	msg = append(msg, `","payload":`...)
	msg = append(msg, payload...)
	msg = append(msg, '}')
	s.write(msg)
}

func (s *socket) sendErrors(id string, errs gqlerror.List) {
	var payload any = errs
	if s.protocol == legacyWS && len(errs) > 0 {
		payload = errs[0]
	}
	b, _ := json.Marshal(payload)
	s.send(wsMessage{ID: id, Type: "error", Payload: b})
}

// send queues one message.
func (s *socket) send(m wsMessage) {
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	s.write(b)
}
