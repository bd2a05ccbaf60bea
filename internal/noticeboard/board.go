// Package noticeboard delivers new notices to live subscribers: published
// after their transaction commits, fanned out to every subscriber that may
// read them, replayed from a cursor on resubscription with no gap and no
// duplicate, and cut off when a subscriber cannot keep up.
package noticeboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"kokeilu/ent"
	"kokeilu/ent/hook"
	"kokeilu/ent/notice"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/policy"
	"kokeilu/internal/pubsub"
)

// DefaultBuffer is how many undelivered notices a subscriber may have.
const DefaultBuffer = 64

// Board is the live notice board of one instance.
type Board struct {
	client *ent.Client
	broker pubsub.Broker
	buffer int

	events      chan queued
	unsubscribe func()
	done        chan struct{}

	mu   sync.RWMutex
	subs map[*subscriber]struct{}

	fannedOut atomic.Uint64
}

// FannedOut is how many times a notice was handed to a subscriber.
func (b *Board) FannedOut() uint64 { return b.fannedOut.Load() }

// New starts a board that listens to broker and registers the hook that
// publishes new notices of client to it.
func New(client *ent.Client, broker pubsub.Broker) *Board {
	b := &Board{
		client: client, broker: broker, buffer: DefaultBuffer,
		events: make(chan queued, 1024), done: make(chan struct{}),
		subs: map[*subscriber]struct{}{},
	}
	b.unsubscribe = broker.Subscribe(func(e pubsub.Event) {
		select {
		case b.events <- queued{event: e}:
		case <-b.done:
		}
	})
	client.Notice.Use(b.publishHook())
	go b.run()
	return b
}

// SetBuffer sets the per-subscriber buffer for new subscriptions.
func (b *Board) SetBuffer(n int) { b.buffer = n }

// Close stops the board and ends every subscription.
func (b *Board) Close() {
	b.unsubscribe()
	close(b.done)
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.close()
		delete(b.subs, s)
	}
}

// Subscribers is the number of live subscriptions.
func (b *Board) Subscribers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs)
}

// publishHook publishes a created notice once its transaction commits, so
// a rolled-back notice is never announced.
func (b *Board) publishHook() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.NoticeFunc(func(ctx context.Context, m *ent.NoticeMutation) (ent.Value, error) {
			if tb, ok := b.broker.(pubsub.Transactional); ok {
				return b.publishInTx(ctx, m, next, tb)
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			n := v.(*ent.Notice)
			wsID, _ := m.WorkspaceID()
			e := pubsub.Event{NoticeID: n.ID, WorkspaceID: wsID}
			publish := func() {
				if err := b.broker.Publish(context.WithoutCancel(ctx), e); err != nil {
					slog.Error("publish notice", "notice", n.ID, "err", err)
				}
			}
			if tx, err := m.Tx(); err == nil {
				tx.OnCommit(func(next ent.Committer) ent.Committer {
					return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
						err := next.Commit(ctx, tx)
						if err == nil {
							publish()
						}
						return err
					})
				})
			} else {
				publish()
			}
			return v, nil
		})
	}, ent.OpCreate)
}

// queued is an event waiting for dispatch, or (with synced) a marker.
type queued struct {
	event  pubsub.Event
	synced chan struct{}
}

// publishInTx sends the event inside the notice's own transaction: the
// broker delivers it when (and only if) the transaction commits.
func (b *Board) publishInTx(ctx context.Context, m *ent.NoticeMutation, next ent.Mutator, tb pubsub.Transactional) (ent.Value, error) {
	if _, err := m.ExecContext(ctx, tb.SerializeSQL()); err != nil {
		return nil, err
	}
	v, err := next.Mutate(ctx, m)
	if err != nil {
		return v, err
	}
	wsID, _ := m.WorkspaceID()
	q, args := tb.NotifySQL(pubsub.Event{NoticeID: v.(*ent.Notice).ID, WorkspaceID: wsID})
	if _, err := m.ExecContext(ctx, q, args...); err != nil {
		return nil, err
	}
	return v, nil
}

// Missed reads the events of the notices after afterID from client: the
// catch-up of a broker that lost its connection.
func Missed(client *ent.Client) pubsub.CatchUp {
	return func(ctx context.Context, afterID int) ([]pubsub.Event, error) {
		ns, err := client.Notice.Query().Where(notice.IDGT(afterID)).Order(ent.Asc(notice.FieldID)).
			WithWorkspace(func(q *ent.WorkspaceQuery) { q.Select(workspace.FieldID) }).All(auth.System(ctx))
		if err != nil {
			return nil, err
		}
		events := make([]pubsub.Event, len(ns))
		for i, n := range ns {
			events[i] = pubsub.Event{NoticeID: n.ID, WorkspaceID: n.Edges.Workspace.ID}
		}
		return events, nil
	}
}

// NewestID is the id of the newest notice stored (0 when none): where a
// new listener starts.
func NewestID(ctx context.Context, client *ent.Client) (int, error) {
	id, err := client.Notice.Query().Order(ent.Desc(notice.FieldID)).FirstID(auth.System(ctx))
	if ent.IsNotFound(err) {
		return 0, nil
	}
	return id, err
}

// run fans events out one at a time, so subscribers see them in order.
func (b *Board) run() {
	for {
		select {
		case q := <-b.events:
			if q.synced != nil {
				close(q.synced)
				continue
			}
			b.safely("dispatch", func() { b.dispatch(q.event) })
		case <-b.done:
			return
		}
	}
}

// safely runs fn; a panic is logged and the board goes on.
func (b *Board) safely(what string, fn func()) {
	defer logPanic(what)
	fn()
}

// Sync waits until every event received so far has been dispatched.
func (b *Board) Sync(ctx context.Context) error {
	q := queued{synced: make(chan struct{})}
	select {
	case b.events <- q:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-q.synced:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dispatch reads the notice once and hands it to every subscriber that
// wants its workspace and may read it.
func (b *Board) dispatch(e pubsub.Event) {
	ctx := auth.System(context.Background())
	n, err := b.client.Notice.Query().Where(notice.ID(e.NoticeID)).Only(ctx)
	if err != nil {
		slog.Error("load published notice", "notice", e.NoticeID, "err", err)
		return
	}
	mayRead, err := policy.NoticeReaders(ctx, b.client, e.WorkspaceID)
	if err != nil {
		slog.Error("notice readers", "notice", e.NoticeID, "err", err)
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		if (s.workspaceID == 0 || s.workspaceID == e.WorkspaceID) && n.ID > s.since && mayRead(s.viewer) {
			s.deliver(n)
			b.fannedOut.Add(1)
		}
	}
}

// ErrClosed is returned for subscriptions to a closed board.
var ErrClosed = errors.New("the notice board is closed")

// Subscribe returns the notices the viewer of ctx may read, of one
// workspace (workspaceID > 0) or all. With afterID > 0 it first replays the
// notices after that one, then goes live; the channel closes when ctx ends.
func (b *Board) Subscribe(ctx context.Context, workspaceID, afterID int) (<-chan *ent.Notice, error) {
	select {
	case <-b.done:
		return nil, ErrClosed
	default:
	}
	d := DeliveryOf(ctx)
	if d != nil {
		if feed := d.Feed(); feed != nil {
			return feed, nil
		}
	}
	// A subscriber gets the notices published after it subscribed (or
	// after afterID), never older ones that a listener's catch-up brings
	// in late.
	since := afterID
	if afterID <= 0 {
		newest, err := NewestID(auth.System(ctx), b.client)
		if err != nil {
			return nil, err
		}
		since = newest
	}
	s := newSubscriber(auth.FromContext(ctx), workspaceID, b.buffer, afterID > 0)
	s.since = since
	if d != nil {
		s.delivery = d
		d.Attach(s.out)
	}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { b.safely("unsubscribe", func() { b.remove(s) }) })
	if afterID > 0 {
		go b.safely("replay", func() {
			defer func() {
				if p := recover(); p != nil {
					stop()
					b.remove(s) // the subscription ends; the board goes on
					panic(p)
				}
			}()
			if err := b.replay(ctx, s, afterID); err != nil && ctx.Err() == nil {
				slog.Error("replay notices", "err", err)
				stop()
				b.remove(s)
			}
		})
	}
	return s.out, nil
}

func (b *Board) remove(s *subscriber) {
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
	s.close()
}

// replayPage is how many stored notices one replay query reads.
const replayPage = 100

// replay sends the stored notices after afterID, under the subscriber's
// own permissions and in order, then hands over to live delivery. The
// database is the source of truth: live events that arrive meanwhile only
// mark that another read is due, so nothing is held in memory and nothing
// falls between the last read and going live. Until it hands over, this
// goroutine alone sends on (and closes) s.out.
func (b *Board) replay(ctx context.Context, s *subscriber, afterID int) error {
	defer s.endReplay()
	sent := map[int]bool{}
	for {
		q := b.client.Notice.Query().Where(notice.IDGT(afterID)).Order(ent.Asc(notice.FieldID)).Limit(replayPage)
		if s.workspaceID > 0 {
			q.Where(notice.HasWorkspaceWith(workspaceIs(s.workspaceID)))
		}
		page, err := q.All(ctx)
		if err != nil {
			return err
		}
		for _, n := range page {
			if !s.send(n) {
				return nil
			}
			sent[n.ID] = true
			afterID = n.ID
		}
		if len(page) == replayPage {
			continue
		}
		if s.goLive(sent) {
			return nil
		}
	}
}

// subscriber is one live subscription.
type subscriber struct {
	viewer      *auth.Viewer
	workspaceID int
	since       int      // the newest notice when it subscribed, or its after
	delivery    Delivery // nil: the channel is all there is

	mu        sync.Mutex
	out       chan *ent.Notice
	done      chan struct{} // closed when the subscription ends
	replaying bool
	missed    bool         // a live notice arrived during the replay
	replayed  map[int]bool // sent by the replay: not to be sent again
	closed    bool
}

func newSubscriber(v *auth.Viewer, workspaceID, buffer int, replaying bool) *subscriber {
	return &subscriber{viewer: v, workspaceID: workspaceID, replaying: replaying,
		out: make(chan *ent.Notice, buffer), done: make(chan struct{})}
}

// deliver hands n over without ever blocking the board: a subscriber whose
// buffer is full is cut off.
func (s *subscriber) deliver(n *ent.Notice) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed || s.replayed[n.ID]:
	case s.replaying:
		s.missed = true
	default:
		select {
		case s.out <- n:
			s.woke()
		default:
			s.cutOff()
		}
	}
}

// woke tells the transport that out has news; a panic in it must not stop
// the board's delivery to the other subscribers.
func (s *subscriber) woke() {
	if s.delivery != nil {
		defer logPanic("wake")
		s.delivery.Wake()
	}
}

func logPanic(where string) {
	if p := recover(); p != nil {
		slog.Error("panic in notice board", "where", where, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	}
}

// send is the replay's blocking send; false when the subscription ended.
func (s *subscriber) send(n *ent.Notice) bool {
	select {
	case s.out <- n:
		s.woke()
		return true
	case <-s.done:
		return false
	}
}

// goLive switches to live delivery unless a notice arrived since the last
// read (then the replay reads again). It tells whether the replay is over.
func (s *subscriber) goLive(sent map[int]bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return true // endReplay closes s.out
	}
	if s.missed {
		s.missed = false
		return false
	}
	// Under the same lock as deliver: no notice slips between.
	s.replaying = false
	s.replayed = sent
	return true
}

// endReplay hands s.out back to direct delivery, closing it if the
// subscription ended during the replay.
func (s *subscriber) endReplay() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.replaying {
		return
	}
	s.replaying = false
	if s.closed {
		close(s.out)
		s.woke()
	}
}

// cutOff ends a subscription that fell behind; s.mu is held.
func (s *subscriber) cutOff() {
	if s.delivery != nil {
		func() {
			defer logPanic("overflow")
			s.delivery.Overflow("too many notices waiting: reconnect and resubscribe with after: the cursor of the last notice received")
		}()
	}
	s.closeLocked()
}

func (s *subscriber) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
}

// closeLocked ends the subscription; while a replay runs, the replaying
// goroutine closes s.out itself. s.mu is held.
func (s *subscriber) closeLocked() {
	if s.closed {
		return
	}
	s.closed = true
	close(s.done)
	if !s.replaying {
		close(s.out)
		s.woke()
	}
}
