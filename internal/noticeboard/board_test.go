package noticeboard

import (
	"testing"

	"kokeilu/ent"
	"kokeilu/internal/auth"
)

// TestSlowSubscriberIsCutOffOthersKeepUp fills one subscriber that never
// reads while another reads everything: the slow one is cut off (with its
// overflow callback) and the other loses nothing.
func TestSlowSubscriberIsCutOffOthersKeepUp(t *testing.T) {
	slow := newSubscriber(nil, 0, 8, false)
	var reason string
	slow.delivery = CutOff(func(r string) { reason = r })
	fast := newSubscriber(&auth.Viewer{ID: 1}, 0, 8, false)
	got := 0
	for i := 1; i <= 1000; i++ {
		n := &ent.Notice{ID: i}
		slow.deliver(n)
		fast.deliver(n)
		for len(fast.out) > 0 {
			<-fast.out
			got++
		}
	}
	if got != 1000 {
		t.Errorf("the fast subscriber got %d of 1000", got)
	}
	if reason == "" || !slow.closed {
		t.Error("the slow subscriber was not cut off")
	}
	n := 0
	for range slow.out { // buffered notices, then closed: memory stayed bounded
		n++
	}
	if n != 8 {
		t.Errorf("the slow subscriber held %d notices, want its buffer of 8", n)
	}
}

// TestReplayHandOverMissesNothing delivers live notices while a replay runs:
// they only mark another read, and after going live they flow directly,
// except those the replay already sent.
func TestReplayHandOverMissesNothing(t *testing.T) {
	s := newSubscriber(nil, 0, 8, true)
	s.deliver(&ent.Notice{ID: 5}) // during the replay
	if len(s.out) != 0 || !s.missed {
		t.Fatal("a live notice went out during the replay")
	}
	if s.goLive(map[int]bool{5: true}) {
		t.Fatal("went live although a notice arrived during the read")
	}
	if !s.goLive(map[int]bool{5: true}) {
		t.Fatal("did not go live")
	}
	s.deliver(&ent.Notice{ID: 5}) // already replayed
	s.deliver(&ent.Notice{ID: 6})
	if len(s.out) != 1 || (<-s.out).ID != 6 {
		t.Error("after going live: want exactly notice 6")
	}
}
