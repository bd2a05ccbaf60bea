package pubsub

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Channel is the PostgreSQL notification channel of new notices.
const Channel = "kokeilu_notices"

// CatchUp lists the events after notice afterID, in order, from the
// database: what a listener missed while it was disconnected.
type CatchUp func(ctx context.Context, afterID int) ([]Event, error)

// Postgres is the broker of several instances sharing one PostgreSQL
// database: events go out as NOTIFY (ids only, far below the 8000-byte
// payload limit) and come in on a dedicated LISTEN connection. When that
// connection drops, the listener reconnects with backoff and catches up
// from the database, so each event is delivered once, in order.
type Postgres struct {
	dsn     string
	db      *sql.DB
	catchUp CatchUp

	mu     sync.RWMutex
	next   int
	subs   map[int]func(Event)
	lastID int // the newest notice delivered; older or equal ones are dropped

	// Backoff is the first wait before reconnecting; it doubles up to 2 s.
	Backoff time.Duration
	// Heartbeat is how long the listener waits for a notification before
	// it proves the link with a round trip (that may take as long again);
	// a link that froze without a FIN or RST is replaced after at most
	// twice this. 0 means 3 s.
	Heartbeat time.Duration

	healthMu sync.Mutex
	lastBeat time.Time // the last round trip on the LISTEN connection

	connected chan struct{} // closed at the first LISTEN
	once      sync.Once
	pidMu     sync.Mutex
	pid       uint32
}

// NewPostgres starts listening on dsn. Events are published through db;
// startID is the newest notice that needs no delivery (usually the newest
// stored); catchUp reads what was missed during a reconnection.
func NewPostgres(ctx context.Context, dsn string, db *sql.DB, startID int, catchUp CatchUp, options ...func(*Postgres)) *Postgres {
	p := &Postgres{dsn: dsn, db: db, catchUp: catchUp, subs: map[int]func(Event){}, lastID: startID,
		Backoff: 50 * time.Millisecond, Heartbeat: 3 * time.Second, connected: make(chan struct{})}
	for _, o := range options {
		o(p)
	}
	go p.listen(ctx)
	return p
}

// Ready waits until the listener is connected the first time.
func (p *Postgres) Ready(ctx context.Context) error {
	select {
	case <-p.connected:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Healthy tells whether the LISTEN connection answered within the last
// three heartbeats; /readyz reports it.
func (p *Postgres) Healthy() error {
	p.healthMu.Lock()
	last := p.lastBeat
	p.healthMu.Unlock()
	if last.IsZero() {
		return errors.New("the notice listener has not connected yet")
	}
	if age := time.Since(last); age > 3*p.Heartbeat {
		return fmt.Errorf("the notice listener last answered %s ago", age.Round(time.Second))
	}
	return nil
}

func (p *Postgres) beat() {
	p.healthMu.Lock()
	p.lastBeat = time.Now()
	p.healthMu.Unlock()
}

// ListenerPID is the backend process id of the LISTEN connection (for
// operators and tests: pg_terminate_backend makes it reconnect).
func (p *Postgres) ListenerPID() uint32 {
	p.pidMu.Lock()
	defer p.pidMu.Unlock()
	return p.pid
}

// Publish sends e to every instance, this one included. Notices made in a
// transaction use NotifySQL instead, so they go out as it commits.
func (p *Postgres) Publish(ctx context.Context, e Event) error {
	q, args := p.NotifySQL(e)
	_, err := p.db.ExecContext(ctx, q, args...)
	return err
}

// noticeLock is the advisory lock that orders notice inserts.
const noticeLock = 7274_2015

// SerializeSQL takes a transaction-scoped lock before a notice is inserted:
// notices then commit in the order of their ids, which is the order
// listeners receive them and the order catch-up reads them.
func (p *Postgres) SerializeSQL() string {
	return "SELECT pg_advisory_xact_lock(" + strconv.Itoa(noticeLock) + ")"
}

// NotifySQL is the NOTIFY of e; inside a transaction it is sent at commit
// (and never for a rolled-back one).
func (p *Postgres) NotifySQL(e Event) (string, []any) {
	payload, _ := json.Marshal(e)
	return "SELECT pg_notify($1, $2)", []any{Channel, string(payload)}
}

// Subscribe registers fn.
func (p *Postgres) Subscribe(fn func(Event)) func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := p.next
	p.next++
	p.subs[id] = fn
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.subs, id)
	}
}

// deliver hands e to the subscribers unless it was delivered already.
func (p *Postgres) deliver(e Event) {
	p.mu.Lock()
	if e.NoticeID <= p.lastID {
		p.mu.Unlock()
		return
	}
	p.lastID = e.NoticeID
	subs := make([]func(Event), 0, len(p.subs))
	for _, fn := range p.subs {
		subs = append(subs, fn)
	}
	p.mu.Unlock()
	for _, fn := range subs {
		fn(e)
	}
}

func (p *Postgres) last() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.lastID
}

// listen keeps a LISTEN connection until ctx ends.
func (p *Postgres) listen(ctx context.Context) {
	backoff := p.Backoff
	for ctx.Err() == nil {
		connectedBefore := p.ListenerPID()
		err := p.safeSession(ctx)
		if ctx.Err() != nil {
			return
		}
		slog.Warn("notice listener disconnected; reconnecting", "err", err, "in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, 2*time.Second)
		if connectedBefore != p.ListenerPID() {
			backoff = p.Backoff // it had connected: start over
		}
	}
}

// safeSession is session with a panic turned into an error: the listener
// reconnects and catches up instead of taking the process down.
func (p *Postgres) safeSession(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			slog.Error("panic in notice listener", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return p.session(ctx)
}

// session is one LISTEN connection: listen, catch up, then wait. A quiet
// link is proven by a round trip every Heartbeat; one that does not answer
// in time ends the session, and listen reconnects and catches up.
func (p *Postgres) session(ctx context.Context) error {
	config, err := pgx.ParseConfig(p.dsn)
	if err != nil {
		return err
	}
	config.DialFunc = KeepAliveDialer().DialContext
	if config.ConnectTimeout == 0 || config.ConnectTimeout > 2*p.Heartbeat {
		config.ConnectTimeout = 2 * p.Heartbeat // a frozen link must not hold the reconnection
	}
	conn, err := pgx.ConnectConfig(ctx, config)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := p.roundTrip(ctx, conn, "LISTEN "+Channel); err != nil {
		return err
	}
	p.pidMu.Lock()
	p.pid = conn.PgConn().PID()
	p.pidMu.Unlock()
	p.once.Do(func() { close(p.connected) })
	// Anything committed while no connection listened is in the database.
	catchCtx, cancel := context.WithTimeout(ctx, 2*p.Heartbeat)
	missed, err := p.catchUp(catchCtx, p.last())
	cancel()
	if err != nil {
		return fmt.Errorf("catch up: %w", err)
	}
	for _, e := range missed {
		p.deliver(e)
	}
	for {
		wait, cancel := context.WithTimeout(ctx, p.Heartbeat)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
			p.beat()
		case ctx.Err() == nil && wait.Err() != nil && pgconn.Timeout(err):
			// Quiet: prove the link (notifications that arrive meanwhile
			// are kept by pgx and returned by the next wait).
			if err := p.roundTrip(ctx, conn, "SELECT 1"); err != nil {
				return fmt.Errorf("heartbeat: %w", err)
			}
			continue
		default:
			return err
		}
		var e Event
		if err := json.Unmarshal([]byte(n.Payload), &e); err != nil {
			slog.Warn("bad notice notification", "payload", n.Payload)
			continue
		}
		p.deliver(e)
	}
}

// roundTrip runs sql on conn within one Heartbeat.
func (p *Postgres) roundTrip(ctx context.Context, conn *pgx.Conn, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, p.Heartbeat)
	defer cancel()
	if _, err := conn.Exec(ctx, sql); err != nil {
		return err
	}
	p.beat()
	return nil
}

// KeepAliveDialer dials PostgreSQL with TCP keepalives that notice a dead
// peer in about 20 s (the system default is two hours), for connections
// that sit idle in a pool or in LISTEN.
func KeepAliveDialer() *net.Dialer {
	return &net.Dialer{
		Timeout:         5 * time.Second,
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 5 * time.Second, Interval: 5 * time.Second, Count: 3},
	}
}
