package storagegate

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestRefused(t *testing.T) {
	for err, want := range map[error]bool{
		&jetstream.APIError{ErrorCode: 10023, Description: "insufficient resources"}: true,
		errors.New("nats: insufficient resources"):                                   true,
		errors.New("write: no space left on device"):                                 true,
		errors.New("nats: timeout"):                                                  false,
		nil:                                                                          false,
	} {
		if got := Refused(err); got != want {
			t.Errorf("Refused(%v) = %v", err, got)
		}
	}
}

// Refusals pause work once and log once; the gate reopens when the probe
// succeeds, and work resumes.
func TestGateShutsAndReopens(t *testing.T) {
	var pauses, resumes atomic.Int32
	var full atomic.Bool
	full.Store(true)
	logs := &lockedBuf{}
	g := New(Options{
		Probe: func(context.Context) error {
			if full.Load() {
				return errors.New("insufficient resources")
			}
			return nil
		},
		Pause:    func() { pauses.Add(1) },
		Resume:   func() { resumes.Add(1) },
		Logger:   slog.New(slog.NewTextHandler(logs, nil)),
		ProbeMin: time.Millisecond, ProbeMax: 5 * time.Millisecond,
	})
	defer g.Stop(context.Background())
	if g.Observe(errors.New("nats: timeout")) {
		t.Fatal("a timeout shut the gate")
	}
	for i := 0; i < 100; i++ {
		if !g.Observe(errors.New("nats: insufficient resources")) {
			t.Fatal("a refusal was not taken")
		}
	}
	if ok, why := g.Ready(); ok || !strings.Contains(why, "insufficient resources") {
		t.Fatalf("Ready = %v %q", ok, why)
	}
	if pauses.Load() != 1 || strings.Count(logs.String(), "level=ERROR") != 1 {
		t.Fatalf("%d pauses, log:\n%s", pauses.Load(), logs.String())
	}
	full.Store(false)
	for deadline := time.Now().Add(30 * time.Second); resumes.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("never resumed")
		}
	}
	if ok, _ := g.Ready(); !ok {
		t.Fatal("still shut after resuming")
	}
}
