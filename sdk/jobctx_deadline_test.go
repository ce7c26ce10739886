package sdk

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Waiting on Done arms the deadline; it must not end a job whose deadline
// is still ahead.
func TestJobContextDoneWaitsForAFutureDeadline(t *testing.T) {
	c := newJobCtx(context.Background(), time.Now().Add(time.Hour).UnixNano())
	select {
	case <-c.Done():
		t.Fatalf("Done closed an hour before the deadline (Err %v)", c.Err())
	default:
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err an hour before the deadline: %v", err)
	}
	if c.timer == nil {
		t.Error("Done armed no timer for a future deadline")
	}
	c.cancel(context.Canceled)
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("Err after a cancel before the deadline: %v", c.Err())
	}
}

// A job without a deadline ends only when cancelled.
func TestJobContextWithoutDeadline(t *testing.T) {
	c := newJobCtx(context.Background(), 0)
	if d, ok := c.Deadline(); ok || !d.IsZero() {
		t.Errorf("Deadline() = %v, %v, want none", d, ok)
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err of a job without a deadline: %v", err)
	}
	select {
	case <-c.Done():
		t.Fatalf("Done closed for a job without a deadline (Err %v)", c.Err())
	default:
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err after Done of a job without a deadline: %v", err)
	}
	if c.timer != nil {
		t.Error("a timer armed for a job without a deadline")
	}
	c.cancel(context.Canceled)
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed by a cancel")
	}
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("Err after a cancel: %v", c.Err())
	}
}

// A context cancelled before anyone waits hands out a closed Done.
func TestJobContextDoneAfterCancel(t *testing.T) {
	c := newJobCtx(context.Background(), time.Now().Add(time.Hour).UnixNano())
	c.cancel(context.Canceled)
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after a cancel")
	}
	if c.timer != nil {
		t.Error("a timer armed for a cancelled job")
	}
	if got := c.String(); got != "sdk.jobContext" {
		t.Errorf("String() = %q", got)
	}
}
