// Package storecheck notices when the embedded NATS server's store lost
// data: a stream that comes back from disk shorter than jobd left it, or a
// warning of the server about a corrupt or missing block. Each finding is
// an ERROR naming the stream and what was lost, counts in
// jobd_store_damaged_total{stream}, and keeps /readyz at 503 until an
// operator acknowledges it (jobd run --accept-damaged-store).
package storecheck

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// StateFile is where jobd records, in server.data_dir, how it left each
// stream.
const StateFile = "jobd-streams.json"

// Stream is what jobd knows of a stream's extent.
type Stream struct {
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
	Msgs  uint64 `json:"msgs"`
}

// State is StateFile: the streams as jobd left them, and whether it left
// them by a clean stop (nothing changed them afterwards).
type State struct {
	Clean   bool              `json:"clean"`
	Streams map[string]Stream `json:"streams"`
	// Damage found and not yet acknowledged, by stream: reported again at
	// every start until jobd runs with --accept-damaged-store.
	Damage map[string][]string `json:"damage,omitempty"`
}

// Load reads the state in dir; none is an empty state.
func Load(dir string) (State, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if os.IsNotExist(err) {
		return State{}, nil
	}
	if err != nil {
		return State{}, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("%s: %w", filepath.Join(dir, StateFile), err)
	}
	return s, nil
}

// Save writes the state into dir, replacing the previous one atomically.
func Save(dir string, s State) error {
	b, _ := json.MarshalIndent(s, "", "  ")
	tmp := filepath.Join(dir, StateFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, StateFile))
}

// Damage is data a stream lost.
type Damage struct {
	Stream string
	// Lost is how many messages were lost, 0 when unknown.
	Lost uint64
	// Detail says what was found.
	Detail string
}

// Compare says what a stream lost between how jobd left it (was) and how
// the server loaded it (now). The last sequence never goes back by
// itself; after a clean stop, nothing may leave the middle of a stream
// either (only the oldest messages expire, which moves First).
func Compare(name string, was, now Stream, clean bool) (Damage, bool) {
	if now.Last < was.Last {
		from := max(now.Last+1, was.First)
		lost := was.Last - from + 1
		return Damage{Stream: name, Lost: lost, Detail: fmt.Sprintf("the stream ends at sequence %d, but held messages up to %d: sequences %d to %d are lost (%d messages)",
			now.Last, was.Last, from, was.Last, lost)}, true
	}
	if !clean || was.Last == 0 {
		return Damage{}, false
	}
	// Gaps inside the stream: positions between First and Last that hold
	// no message. Expiry only removes the oldest messages, so the gaps can
	// only shrink while jobd is stopped.
	gaps := func(s Stream) uint64 {
		if s.Last < s.First || s.Msgs > s.Last-s.First+1 {
			return 0
		}
		return s.Last - s.First + 1 - s.Msgs
	}
	if g, w := gaps(now), gaps(was); g > w {
		return Damage{Stream: name, Lost: g - w, Detail: fmt.Sprintf("%d messages between sequences %d and %d are gone (the stream holds %d, %d when jobd stopped)",
			g-w, now.First, now.Last, now.Msgs, was.Msgs)}, true
	}
	return Damage{}, false
}

// A NATS warning that says data is damaged, and the stream it names:
// "Filestore [JOBD_TIMERS] indexCacheBuf corrupt record state in …" or a
// path …/streams/JOBD_TIMERS/msgs/3.blk.
var (
	damageWords  = regexp.MustCompile(`(?i)corrupt|could not locate msg block|malformed|lost data|checksum`)
	streamInWarn = regexp.MustCompile(`Filestore \[([^\]]+)\]|/streams/([^/]+)/`)
)

// FromWarning returns the damage a NATS server warning reports, if it
// reports one.
func FromWarning(msg string) (Damage, bool) {
	if !damageWords.MatchString(msg) {
		return Damage{}, false
	}
	m := streamInWarn.FindStringSubmatch(msg)
	if m == nil {
		return Damage{Stream: "unknown", Detail: "NATS: " + msg}, true
	}
	name := m[1]
	if name == "" {
		name = m[2]
	}
	return Damage{Stream: name, Detail: "NATS: " + msg}, true
}

// Tracker keeps the damage found since start.
type Tracker struct {
	log      *slog.Logger
	accepted bool
	// Counter is jobd_store_damaged_total{stream}.
	Counter *prometheus.CounterVec

	mu     sync.Mutex
	damage map[string][]string
}

// NewTracker returns a tracker; accepted (jobd run --accept-damaged-store)
// keeps damage from making jobd unready.
func NewTracker(log *slog.Logger, accepted bool) *Tracker {
	return &Tracker{log: log, accepted: accepted, damage: map[string][]string{},
		Counter: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobd_store_damaged_total", Help: "Damage found in the embedded server's store, by stream (see /readyz and the log).",
		}, []string{"stream"})}
}

// Report records damage: an ERROR, the metric, and /readyz.
func (t *Tracker) Report(d Damage) {
	if t == nil {
		return
	}
	t.Counter.WithLabelValues(d.Stream).Inc()
	t.mu.Lock()
	t.damage[d.Stream] = append(t.damage[d.Stream], d.Detail)
	t.mu.Unlock()
	hint := "acknowledge with jobd run --accept-damaged-store once you have restored a backup or accepted the loss"
	if t.accepted {
		hint = "accepted (--accept-damaged-store)"
	}
	t.log.Error("stored data is damaged", "stream", d.Stream, "lost_messages", d.Lost, "detail", d.Detail, "action", hint)
}

// Carry reports again damage found at an earlier start and not
// acknowledged (it is not counted again).
func (t *Tracker) Carry(stream string, details []string) {
	if t == nil || len(details) == 0 {
		return
	}
	t.mu.Lock()
	t.damage[stream] = append(t.damage[stream], details...)
	t.mu.Unlock()
	if t.accepted {
		t.log.Warn("stored data was damaged; accepted (--accept-damaged-store)", "stream", stream, "detail", strings.Join(details, "; "))
		return
	}
	t.log.Error("stored data is damaged (found at an earlier start, not acknowledged)", "stream", stream, "detail", strings.Join(details, "; "),
		"action", "acknowledge with jobd run --accept-damaged-store once you have restored a backup or accepted the loss")
}

// Pending returns the damage not acknowledged, to carry to the next start.
func (t *Tracker) Pending() map[string][]string {
	if t == nil || t.accepted {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.damage) == 0 {
		return nil
	}
	out := make(map[string][]string, len(t.damage))
	for k, v := range t.damage {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// Ready reports whether no unacknowledged damage was found, and what was.
func (t *Tracker) Ready() (bool, string) {
	if t == nil {
		return true, ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.damage) == 0 {
		return true, ""
	}
	names := make([]string, 0, len(t.damage))
	for n := range t.damage {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, n+": "+strings.Join(t.damage[n], "; "))
	}
	msg := strings.Join(parts, " | ")
	if t.accepted {
		return true, "damaged, accepted: " + msg
	}
	return false, "damaged (acknowledge with jobd run --accept-damaged-store): " + msg
}
