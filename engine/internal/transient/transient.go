// Package transient tells the JetStream errors that pass by themselves (a
// leader election, a server restarting, interest in a new consumer not yet
// known on every server, a cluster without quorum for a while) from those
// that do not (a bad configuration, a refused request), and retries the
// first kind with backoff.
package transient

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrStalled is wrapped by a read that got nothing while messages were
// still pending (a consumer whose leader moved, a server catching up): the
// read is worth starting again.
var ErrStalled = errors.New("read stalled")

// JetStream error codes that pass by themselves (nats-server's
// errors.json).
var passing = map[jetstream.ErrorCode]bool{
	10008: true, // JetStream system temporarily unavailable (no meta leader)
	10009: true, // JetStream cluster can not handle request
	10004: true, // incomplete results
	10005: true, // no suitable peers for placement (servers down)
	10075: true, // peer remap failed
	10118: true, // stream is offline
	10119: true, // consumer is offline
	10158: true, // duplicate message id is in process
	10163: true, // expected last sequence per subject temporarily unavailable
}

// notProcessed are the codes of the errors above that mean the request was
// not carried out at all, so repeating a write cannot do it twice.
var notProcessed = map[jetstream.ErrorCode]bool{
	10008: true, 10009: true, 10005: true, 10118: true, 10119: true,
}

// Is reports whether err passes by itself, so the operation is worth
// repeating: no responders (no leader yet, or interest not yet
// propagated), a request that timed out, a connection that is
// reconnecting, a cluster without a leader or quorum, a stalled read.
func Is(err error) bool {
	if err == nil {
		return false
	}
	if NotProcessed(err) {
		return true
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return passing[apiErr.ErrorCode]
	}
	return errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, ErrStalled) || errors.Is(err, jetstream.ErrNoHeartbeat)
}

// NotProcessed reports whether err is a transient error that also
// guarantees the request was not carried out (nobody received it, or the
// cluster refused it before doing anything): a write may be repeated after
// it without risk of doing it twice. A timeout is not one: the write may
// have happened.
func NotProcessed(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, nats.ErrDisconnected) || errors.Is(err, nats.ErrNoServers) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && notProcessed[apiErr.ErrorCode]
}

// Cause names the kind of a transient error in a few words, for logs and
// for rate limiting them (lograte): two errors with the same cause are the
// same problem.
func Cause(err error) string {
	var apiErr *jetstream.APIError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, nats.ErrNoResponders):
		return "no responders"
	case errors.As(err, &apiErr):
		return fmt.Sprintf("jetstream error %d", apiErr.ErrorCode)
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrStalled):
		return "stalled read"
	case errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, nats.ErrDisconnected), errors.Is(err, nats.ErrNoServers):
		return "not connected"
	}
	return err.Error()
}

// Backoff of Retry: exponential from Initial by a factor 2 up to Max, each
// wait jittered by ±20%.
const (
	Initial = 50 * time.Millisecond
	Max     = 2 * time.Second
)

// Retry calls fn until it succeeds, fails with an error retryable does not
// accept (nil means Is), or ctx ends; between attempts it waits with
// backoff and calls waiting (when not nil) with the error and the wait.
// When ctx ends first, the error wraps the last one fn returned and says
// for how long it was tried.
func Retry(ctx context.Context, retryable func(error) bool, fn func(context.Context) error, waiting func(err error, wait time.Duration)) error {
	if retryable == nil {
		retryable = Is
	}
	start := time.Now()
	wait := Initial
	for {
		err := fn(ctx)
		if err == nil || !retryable(err) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (still failing after %v)", err, time.Since(start).Round(time.Millisecond))
		}
		d := time.Duration(float64(wait) * (0.8 + 0.4*rand.Float64()))
		if waiting != nil {
			waiting(err, d)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (still failing after %v)", err, time.Since(start).Round(time.Millisecond))
		case <-t.C:
		}
		wait = min(2*wait, Max)
	}
}

// DuplicateInProcess reports whether err is JetStream's "duplicate message
// id is in process" (409, 10158): another publisher (another replica
// firing the same timer) is storing a message with the same id right now.
// It is the expected race of replicas, not a problem; repeating the
// publish a moment later gets the duplicate's acknowledgement.
func DuplicateInProcess(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == 10158
}
