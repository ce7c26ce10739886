package storecheck

import (
	"log/slog"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	for _, c := range []struct {
		name     string
		was, now Stream
		clean    bool
		lost     uint64
	}{
		{"unchanged", Stream{1, 100, 100}, Stream{1, 100, 100}, true, 0},
		{"grew after a crash", Stream{1, 100, 100}, Stream{1, 150, 120}, false, 0},
		{"oldest expired", Stream{1, 100, 100}, Stream{41, 100, 60}, true, 0},
		{"expired with gaps", Stream{1, 100, 90}, Stream{50, 100, 51}, true, 0},
		{"tail cut", Stream{1, 20000, 20000}, Stream{1, 6678, 6678}, true, 13322},
		{"tail cut after a crash", Stream{1, 20000, 20000}, Stream{1, 6678, 6678}, false, 13322},
		{"middle gone", Stream{1, 20000, 20000}, Stream{1, 20000, 10016}, true, 9984},
		{"middle gone, not clean: unknown", Stream{1, 20000, 20000}, Stream{1, 20000, 10016}, false, 0},
		{"new stream", Stream{}, Stream{1, 5, 5}, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, bad := Compare("S", c.was, c.now, c.clean)
			if bad != (c.lost > 0) || d.Lost != c.lost {
				t.Fatalf("Compare = %+v, %v; want %d lost", d, bad, c.lost)
			}
		})
	}
}

func TestFromWarning(t *testing.T) {
	for msg, stream := range map[string]string{
		"Filestore [JOBD_TIMERS] indexCacheBuf corrupt record state in /d/jetstream/$G/streams/JOBD_TIMERS/msgs/1.blk: dlen 1": "JOBD_TIMERS",
		"could not locate msg block /d/jetstream/$G/streams/JOBD_RESULTS/msgs/4.blk":                                           "JOBD_RESULTS",
		"Filestore [JOBD_RUNS] Stream state outdated, last block has additional entries, will rebuild":                         "",
		"Filestore [JOBD_RUNS] Recovering stream state from index errored: prior state file":                                   "",
	} {
		d, bad := FromWarning(msg)
		if bad != (stream != "") || d.Stream != stream && stream != "" {
			t.Errorf("FromWarning(%q) = %+v, %v; want stream %q", msg, d, bad, stream)
		}
	}
}

func TestTrackerReadiness(t *testing.T) {
	tr := NewTracker(discard(), false)
	if ok, _ := tr.Ready(); !ok {
		t.Fatal("unready with no damage")
	}
	tr.Report(Damage{Stream: "JOBD_TIMERS", Lost: 3, Detail: "3 lost"})
	if ok, msg := tr.Ready(); ok || !strings.Contains(msg, "JOBD_TIMERS: 3 lost") || !strings.Contains(msg, "--accept-damaged-store") {
		t.Fatalf("Ready = %v %q", ok, msg)
	}
	acc := NewTracker(discard(), true)
	acc.Report(Damage{Stream: "JOBD_TIMERS", Detail: "x"})
	if ok, msg := acc.Ready(); !ok || !strings.Contains(msg, "accepted") {
		t.Fatalf("accepted: Ready = %v %q", ok, msg)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
