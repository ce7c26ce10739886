package timers_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/natstest"
	"github.com/jobd-dev/jobd/engine/internal/timers"
)

const (
	timerStream = "TIMERS"
	prefix      = "t.timers."
	outStream   = "OUT"
)

// setup creates the timer stream and a target stream capturing out.>.
func setup(t *testing.T) *natstest.Server {
	t.Helper()
	s := natstest.Start(t)
	ctx := context.Background()
	for _, c := range []jetstream.StreamConfig{
		{Name: timerStream, Subjects: []string{prefix + ">"}, Duplicates: 2 * time.Minute},
		{Name: outStream, Subjects: []string{"out.>"}, Duplicates: 2 * time.Minute},
	} {
		if _, err := s.JS.CreateStream(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func newStore(s *natstest.Server, slot, horizon time.Duration) *timers.Store {
	return timers.New(timers.Options{JS: s.JS, Stream: timerStream, Prefix: prefix, Slot: slot, Horizon: horizon})
}

func start(t *testing.T, st *timers.Store) {
	t.Helper()
	if err := st.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Stop(context.Background()) })
}

// arrival is one message seen on the target stream.
type arrival struct {
	body string
	at   time.Time
	id   string
}

// watch records what reaches out.> (as stored, so duplicates a stream
// drops are not seen).
func watch(t *testing.T, s *natstest.Server) func() []arrival {
	t.Helper()
	var mu sync.Mutex
	var got []arrival
	cons, err := s.JS.OrderedConsumer(context.Background(), outStream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		mu.Lock()
		got = append(got, arrival{string(m.Data()), time.Now(), m.Headers().Get(nats.MsgIdHdr)})
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Stop)
	return func() []arrival {
		mu.Lock()
		defer mu.Unlock()
		return append([]arrival(nil), got...)
	}
}

const (
	// patience multiplies the deadlines tests poll with, so that a machine
	// several times slower than an idle one (shared CI, -race) passes.
	patience = 6
	// lateness is how late a timer may fire on a busy machine: an idle one
	// fires within milliseconds.
	lateness = 3 * time.Second
)

// waitFor polls ok until it holds, for up to patience times d: d is what an
// idle machine needs, and a deadline only bounds a failure.
func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience * d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFiresEachTimerAtItsTimeAndPurgesIt(t *testing.T) {
	s := setup(t)
	got := watch(t, s)
	st := newStore(s, time.Second, 2*time.Second)
	start(t, st)
	ctx := context.Background()
	base := time.Now()
	// The last lies beyond the horizon when added: it is read from its slot
	// when the horizon reaches it.
	dues := map[string]time.Time{
		"a": base.Add(400 * time.Millisecond),
		"b": base.Add(1700 * time.Millisecond),
		"c": base.Add(4500 * time.Millisecond),
	}
	for _, k := range []string{"c", "a", "b"} {
		if err := st.Add(ctx, "out."+k, "id-"+k, dues[k], []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three timers to fire", 10*time.Second, func() bool { return len(got()) == 3 })
	for i, a := range got() {
		if want := []string{"a", "b", "c"}[i]; a.body != want {
			t.Errorf("fired #%d = %q, want %q (in due order)", i, a.body, want)
		}
		late := a.at.Sub(dues[a.body])
		if late < 0 {
			t.Errorf("timer %s fired %v early", a.body, -late)
		}
		if late > lateness {
			t.Errorf("timer %s fired %v late", a.body, late)
		}
		if a.id != "id-"+a.body {
			t.Errorf("timer %s fired with message id %q", a.body, a.id)
		}
	}
	waitFor(t, "fired timers to be purged", 5*time.Second, func() bool { return natstest.Msgs(t, s.JS, timerStream) == 0 })
}

func TestDueTimerIsPublishedAtOnce(t *testing.T) {
	s := setup(t)
	got := watch(t, s)
	st := newStore(s, time.Second, time.Second)
	if err := st.Add(context.Background(), "out.now", "x", time.Now().Add(-time.Hour), []byte("now")); err != nil {
		t.Fatal(err)
	}
	// Not started: a due timer does not wait for the store to run.
	waitFor(t, "the due message", 5*time.Second, func() bool { return len(got()) == 1 })
	if a := got()[0]; a.body != "now" || a.id != "x/now" {
		t.Errorf("got %+v", a)
	}
	if n := natstest.Msgs(t, s.JS, timerStream); n != 0 {
		t.Errorf("%d timers stored for a due message", n)
	}
}

func TestTimersOutliveTheProcessAndFireOnStart(t *testing.T) {
	s := setup(t)
	got := watch(t, s)
	ctx := context.Background()
	// Stored while no store runs (the engine was down): two fell due during
	// the downtime, one is due soon, one far off.
	st := newStore(s, time.Second, 2*time.Second)
	now := time.Now()
	for i, d := range []time.Duration{300 * time.Millisecond, 600 * time.Millisecond, 2500 * time.Millisecond, time.Hour} {
		if err := st.Add(ctx, fmt.Sprintf("out.%d", i), fmt.Sprintf("r%d", i), now.Add(d), []byte{byte('0' + i)}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second)
	if n := len(got()); n != 0 {
		t.Fatalf("%d fired with no store running", n)
	}
	start(t, newStore(s, time.Second, 2*time.Second))
	waitFor(t, "the missed and the near timers", 10*time.Second, func() bool { return len(got()) == 3 })
	time.Sleep(500 * time.Millisecond)
	if n := len(got()); n != 3 {
		t.Errorf("%d fired, want 3 (the one an hour away waits)", n)
	}
	waitFor(t, "the fired ones purged", 5*time.Second, func() bool { return natstest.Msgs(t, s.JS, timerStream) == 1 })
}

func TestReplicasFireEachTimerOnce(t *testing.T) {
	s := setup(t)
	got := watch(t, s)
	ctx := context.Background()
	var stores []*timers.Store
	for range 3 {
		st := newStore(s, time.Second, 2*time.Second)
		start(t, st)
		stores = append(stores, st)
	}
	const n = 300
	due := time.Now().Add(1500 * time.Millisecond)
	for i := range n {
		// Added through different replicas.
		if err := stores[i%3].Add(ctx, "out.r", fmt.Sprintf("run-%d", i), due.Add(time.Duration(i)*time.Millisecond), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every timer", 10*time.Second, func() bool { return len(got()) >= n })
	time.Sleep(time.Second)
	seen := map[string]int{}
	for _, a := range got() {
		seen[a.body]++
	}
	if len(got()) != n || len(seen) != n {
		t.Errorf("%d messages for %d distinct timers, want %d once each", len(got()), len(seen), n)
	}
}

func TestFarTimersCostNoMemory(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	st := newStore(s, 10*time.Second, time.Minute)
	for i := range 200 {
		if err := st.Add(ctx, "out.far", fmt.Sprint(i), time.Now().Add(time.Hour+time.Duration(i)*time.Second), nil); err != nil {
			t.Fatal(err)
		}
	}
	start(t, st)
	if err := st.Add(ctx, "out.near", "near", time.Now().Add(30*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the near timer held", 5*time.Second, func() bool { return st.Pending() == 1 })
	time.Sleep(300 * time.Millisecond)
	if n := st.Pending(); n != 1 {
		t.Errorf("%d timers in memory, want only the one within the horizon", n)
	}
	if n := natstest.Msgs(t, s.JS, timerStream); n != 201 {
		t.Errorf("%d timers stored, want 201", n)
	}
}

func TestSlotWidthMayChangeBetweenRuns(t *testing.T) {
	s := setup(t)
	got := watch(t, s)
	// Stored with 3-second slots beyond the horizon, fired by a store
	// with 2-second slots: the old slot lies off the new grid.
	due := time.Now().Add(7 * time.Second)
	if err := newStore(s, 3*time.Second, 3*time.Second).Add(context.Background(), "out.x", "x", due, []byte("x")); err != nil {
		t.Fatal(err)
	}
	start(t, newStore(s, 2*time.Second, 2*time.Second))
	waitFor(t, "the timer", 15*time.Second, func() bool { return len(got()) == 1 })
	if late := got()[0].at.Sub(due); late < 0 || late > lateness {
		t.Errorf("fired %v after its time", late)
	}
}

// After a long downtime everything is due at once: the slots are read
// oldest first, a few at a time, and every timer still fires.
func TestBacklogIsReadInParts(t *testing.T) {
	s := setup(t)
	got := watch(t, s)
	ctx := context.Background()
	writer := newStore(s, time.Second, time.Second)
	base := time.Now()
	const slots, per = 5, 20
	for k := range slots {
		for i := range per {
			at := base.Add(time.Duration(k)*time.Second + 300*time.Millisecond)
			if err := writer.Add(ctx, "out.b", fmt.Sprintf("b-%d-%d", k, i), at, []byte(fmt.Sprint(k))); err != nil {
				t.Fatal(err)
			}
		}
	}
	time.Sleep(time.Until(base.Add(slots * time.Second)))
	st := timers.New(timers.Options{JS: s.JS, Stream: timerStream, Prefix: prefix, Slot: time.Second, Horizon: time.Second, MaxHeld: 10})
	start(t, st)
	most := 0
	waitFor(t, "the whole backlog", 15*time.Second, func() bool {
		most = max(most, st.Pending())
		return len(got()) == slots*per
	})
	if most > 10+per {
		t.Errorf("%d timers held at once, want at most MaxHeld plus one slot (%d)", most, 10+per)
	}
	// Oldest first.
	prev := ""
	for _, a := range got() {
		if a.body < prev {
			t.Fatalf("slot %s fired after slot %s", a.body, prev)
		}
		prev = a.body
	}
}
