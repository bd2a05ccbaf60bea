// Package pubsub carries "a notice was posted" events between the parts of
// Kokeilu and, with a shared backend, between instances. Events carry ids
// only: every receiver reads the notice itself, under its own permissions.
package pubsub

import (
	"context"
	"sync"
)

// Event says that notice NoticeID was posted in workspace WorkspaceID.
type Event struct {
	NoticeID    int `json:"n"`
	WorkspaceID int `json:"w"`
}

// Broker delivers every published event to every subscriber, on every
// instance that shares the broker's backend.
type Broker interface {
	// Publish sends e; call it after the notice's transaction committed.
	Publish(ctx context.Context, e Event) error
	// Subscribe calls fn for each event until cancel is called. fn must
	// return quickly: it runs on the broker's delivery path.
	Subscribe(fn func(Event)) (cancel func())
}

// Transactional is a broker whose events travel inside the transaction
// that made them (PostgreSQL NOTIFY): delivered at commit, in commit order.
type Transactional interface {
	Broker
	// SerializeSQL runs in the transaction before the notice is inserted.
	SerializeSQL() string
	// NotifySQL runs in the transaction after the notice is inserted.
	NotifySQL(e Event) (query string, args []any)
}

// Memory is the in-process broker of a single instance.
type Memory struct {
	mu   sync.RWMutex
	next int
	subs map[int]func(Event)
}

// NewMemory returns an in-process broker.
func NewMemory() *Memory { return &Memory{subs: map[int]func(Event){}} }

// Publish calls every subscriber with e.
func (m *Memory) Publish(_ context.Context, e Event) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, fn := range m.subs {
		fn(e)
	}
	return nil
}

// Subscribe registers fn.
func (m *Memory) Subscribe(fn func(Event)) func() {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.next
	m.next++
	m.subs[id] = fn
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.subs, id)
	}
}
