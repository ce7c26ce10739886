package ingest

import "testing"

// Run ids are stored (results, records, Nats-Msg-Id dedupe): the same event
// and job must give the same id in every version, or an event redelivered
// across an upgrade would run twice.
func TestRunIDIsStable(t *testing.T) {
	for _, c := range []struct {
		seq         uint64
		msgID, want string
	}{
		{1234567, "", "6b9ccf5991a32b03068b705969927ea5"},
		{1, "booking-1234", "ad28eee69ceb92329689a0bbe902a9e4"},
	} {
		if got := RunID("JOBD_EVENTS", "2026-01-01T00:00:00Z", c.seq, c.msgID, "send_notification"); got != c.want {
			t.Errorf("RunID(seq %d, msg id %q) = %s, want %s", c.seq, c.msgID, got, c.want)
		}
	}
	long := string(make([]byte, 300)) // longer than the stack buffer
	if RunID(long, "e", 1, "", "x") == RunID(long, "e", 2, "", "x") {
		t.Error("different sequences gave the same id")
	}
}
