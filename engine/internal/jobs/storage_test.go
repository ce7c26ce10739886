package jobs

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/engine/internal/schedule"
)

// gate takes every error as a storage refusal and keeps them.
type gate struct{ seen []error }

func (g *gate) Observe(err error) bool { g.seen = append(g.seen, err); return true }

// A write that storage refuses while a series advances goes to the
// storage gate, which reports it once a minute, instead of an ERROR per
// run; the run is redelivered later as before.
func TestRefusedWriteGoesToTheStorageGate(t *testing.T) {
	f := newFixture(t)
	var logs bytes.Buffer
	g := &gate{}
	f.m = New(Options{Store: f.recs, Timers: f.timers, Fail: f.fails, Clock: f.clock,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Storage: g})
	f.create("j1", schedule.Raw{Every: "1h", Limit: 3})
	tm := f.lastTimer()
	f.timers.err = errors.New("nats: insufficient resources")
	f.clock.Advance(tm.at.Sub(f.clock.Now()))
	_, ok, d := f.fire(tm, 1)
	if ok || len(d.settled) != 1 || d.settled[0] {
		t.Fatalf("Advance = %v, settled %v; want the run redelivered", ok, d.settled)
	}
	if len(g.seen) != 1 {
		t.Fatalf("the gate saw %v", g.seen)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("logged an ERROR of its own:\n%s", logs.String())
	}
}
