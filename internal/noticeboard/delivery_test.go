package noticeboard

import (
	"context"
	"sync"
	"testing"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/pubsub"
	"kokeilu/internal/testdb"
)

// recorder is a transport's Delivery that notes what the board told it.
type recorder struct {
	feed chan *ent.Notice

	mu       sync.Mutex
	attached <-chan *ent.Notice
	wakes    int
	reasons  []string
}

func (r *recorder) Feed() <-chan *ent.Notice {
	if r.feed == nil {
		return nil
	}
	return r.feed
}
func (r *recorder) Attach(ch <-chan *ent.Notice) { r.mu.Lock(); r.attached = ch; r.mu.Unlock() }
func (r *recorder) Wake()                        { r.mu.Lock(); r.wakes++; r.mu.Unlock() }
func (r *recorder) Overflow(reason string) {
	r.mu.Lock()
	r.reasons = append(r.reasons, reason)
	r.mu.Unlock()
}

func (r *recorder) state() (ch <-chan *ent.Notice, wakes int, reasons []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attached, r.wakes, append([]string(nil), r.reasons...)
}

// TestDeliveryContract subscribes through the board with a Delivery on the
// context: the channel returned is the one attached, every notice put on
// it is followed by a wake, a full buffer calls Overflow once and closes
// the channel (one more wake), and a Delivery with a feed gets its feed
// back without joining the board.
func TestDeliveryContract(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		board := New(db.Client, pubsub.NewMemory())
		t.Cleanup(board.Close)
		board.SetBuffer(3)
		ctx := auth.System(context.Background())
		ws := db.Client.Workspace.Create().SetName("Julkinen").SetSlug("julkinen").SetVisibility(workspace.VisibilityPUBLIC).SaveX(ctx)

		sub, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := &recorder{}
		ch, err := board.Subscribe(WithDelivery(sub, r), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if attached, wakes, _ := r.state(); attached != ch || wakes != 0 {
			t.Fatalf("attached %v (want the subscription's channel), %d wakes before any notice", attached, wakes)
		}
		for i := range 3 {
			db.Client.Notice.Create().SetWorkspace(ws).SetTitle("n").SaveX(ctx)
			if err := board.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if _, wakes, _ := r.state(); wakes != i+1 || len(ch) != i+1 {
				t.Fatalf("after notice %d: %d wakes, %d waiting", i+1, wakes, len(ch))
			}
		}
		// The buffer (3) is full: the fourth notice cuts the subscriber off.
		db.Client.Notice.Create().SetWorkspace(ws).SetTitle("n").SaveX(ctx)
		if err := board.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		_, wakes, reasons := r.state()
		if len(reasons) != 1 || reasons[0] == "" || wakes != 4 {
			t.Fatalf("overflow: reasons %q, %d wakes; want one reason and a last wake for the close", reasons, wakes)
		}
		n := 0
		for range ch {
			n++
		}
		if n != 3 {
			t.Errorf("the cut-off channel held %d notices, want 3", n)
		}
		// The transport's Overflow ends the operation's context: then the
		// board lets go of the subscriber.
		cancel()
		for board.Subscribers() != 0 {
			time.Sleep(time.Millisecond)
		}

		fed := &recorder{feed: make(chan *ent.Notice)}
		got, err := board.Subscribe(WithDelivery(context.Background(), fed), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got != (<-chan *ent.Notice)(fed.feed) || board.Subscribers() != 0 {
			t.Error("a Delivery with a feed joined the board")
		}
		if attached, _, _ := fed.state(); attached != nil {
			t.Error("a fed subscription was attached to a board channel")
		}
	})
}
