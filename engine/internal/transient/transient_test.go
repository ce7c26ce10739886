package transient

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestIs(t *testing.T) {
	api := func(code jetstream.ErrorCode) error {
		return fmt.Errorf("stream JOBD_RUNS: %w", &jetstream.APIError{Code: 503, ErrorCode: code, Description: "x"})
	}
	cases := []struct {
		name                string
		err                 error
		transient, notDoing bool
	}{
		{"nil", nil, false, false},
		{"no responders (leader elsewhere, interest not propagated)", fmt.Errorf("scan: %w", nats.ErrNoResponders), true, true},
		{"no meta leader", api(10008), true, true},
		{"stream offline", api(10118), true, true},
		{"no peers for placement", api(10005), true, true},
		{"duplicate message id in process (replicas firing one timer)", api(10158), true, false},
		{"request timed out", nats.ErrTimeout, true, false},
		{"context deadline", context.DeadlineExceeded, true, false},
		{"stalled read", fmt.Errorf("read: %w", ErrStalled), true, false},
		{"replicas > 1 on one server (configuration)", api(10074), false, false},
		{"stream not found", jetstream.ErrStreamNotFound, false, false},
		{"plain error", errors.New("bad"), false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Is(c.err); got != c.transient {
				t.Errorf("Is = %v, want %v", got, c.transient)
			}
			if got := NotProcessed(c.err); got != c.notDoing {
				t.Errorf("NotProcessed = %v, want %v", got, c.notDoing)
			}
		})
	}
}

func TestRetry(t *testing.T) {
	t.Run("until it succeeds", func(t *testing.T) {
		n, waits := 0, 0
		err := Retry(context.Background(), nil, func(context.Context) error {
			if n++; n < 4 {
				return nats.ErrNoResponders
			}
			return nil
		}, func(error, time.Duration) { waits++ })
		if err != nil || n != 4 || waits != 3 {
			t.Fatalf("err %v after %d calls, %d waits", err, n, waits)
		}
	})
	t.Run("not a transient error: at once", func(t *testing.T) {
		n := 0
		bad := errors.New("bad config")
		err := Retry(context.Background(), nil, func(context.Context) error { n++; return bad }, nil)
		if !errors.Is(err, bad) || n != 1 {
			t.Fatalf("err %v after %d calls", err, n)
		}
	})
	t.Run("until the context ends, with the last error", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		err := Retry(ctx, nil, func(context.Context) error { return nats.ErrNoResponders }, nil)
		if !errors.Is(err, nats.ErrNoResponders) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestDuplicateInProcess(t *testing.T) {
	if !DuplicateInProcess(fmt.Errorf("fire: %w", &jetstream.APIError{Code: 409, ErrorCode: 10158})) {
		t.Error("409 duplicate message id is in process not recognised")
	}
	if DuplicateInProcess(nats.ErrNoResponders) || DuplicateInProcess(nil) {
		t.Error("other errors taken for a duplicate in process")
	}
}
