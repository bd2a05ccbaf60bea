package noticeboard

import (
	"context"
	"testing"
	"time"

	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/pubsub"
	"kokeilu/internal/testdb"

	_ "kokeilu/ent/runtime"
)

// TestBoardSurvivesPanics: a panic while dispatching a notice (here in a
// subscriber's wake callback) or in a replay was a panic in a goroutine of
// the board: the process ended. The board logs it and goes on: the next
// notice reaches the other subscribers.
func TestBoardSurvivesPanics(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		board := New(db.Client, pubsub.NewMemory())
		t.Cleanup(board.Close)
		ctx := auth.System(context.Background())
		ws := db.Client.Workspace.Create().SetName("Julkinen").SetSlug("julkinen").SetVisibility(workspace.VisibilityPUBLIC).SaveX(ctx)
		first := db.Client.Notice.Create().SetWorkspace(ws).SetTitle("Ensimmäinen").SaveX(ctx)
		if err := board.Sync(ctx); err != nil {
			t.Fatal(err)
		}

		sub, cancel := context.WithCancel(context.Background())
		defer cancel()
		bad := WithDelivery(sub, panicky{})
		if _, err := board.Subscribe(bad, 0, 0); err != nil {
			t.Fatal(err)
		}
		// A replay that panics (its wake) ends its subscription only.
		if _, err := board.Subscribe(bad, 0, first.ID-1); err != nil {
			t.Fatal(err)
		}
		good, err := board.Subscribe(sub, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, title := range []string{"Toinen", "Kolmas"} {
			db.Client.Notice.Create().SetWorkspace(ws).SetTitle(title).SaveX(ctx)
			select {
			case n := <-good:
				if n.Title != title {
					t.Errorf("got %q, want %q", n.Title, title)
				}
			case <-time.After(3 * time.Second):
				t.Fatalf("%q never reached the healthy subscriber", title)
			}
		}
		if err := board.Sync(ctx); err != nil {
			t.Fatalf("the board stopped dispatching: %v", err)
		}
	})
}

// panicky is a Delivery whose Wake panics.
type panicky struct{ CutOff }

func (panicky) Wake() { panic("injected wake panic") }
