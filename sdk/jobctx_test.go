package sdk

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

type ctxKey struct{}

func TestJobContextDeadline(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")
	c := newJobCtx(parent, time.Now().Add(50*time.Millisecond).UnixNano())
	if d, ok := c.Deadline(); !ok || d.IsZero() {
		t.Fatalf("Deadline() = %v, %v", d, ok)
	}
	if c.Value(ctxKey{}) != "v" {
		t.Error("the parent's values are lost")
	}
	if c.Err() != nil {
		t.Fatalf("Err before the deadline: %v", c.Err())
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed at the deadline")
	}
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Errorf("Err after the deadline: %v", c.Err())
	}

	// Past its deadline, Err says so even if nobody waited on Done, and
	// Done is then closed.
	past := newJobCtx(parent, time.Now().Add(-time.Millisecond).UnixNano())
	if !errors.Is(past.Err(), context.DeadlineExceeded) {
		t.Errorf("Err past the deadline without Done: %v", past.Err())
	}
	select {
	case <-past.Done():
	default:
		t.Error("Done not closed past the deadline")
	}
}

// jobd cancels a job it gave up on at its deadline plus a grace period; a
// handler that never waited on Done must still see the deadline as the
// reason, as with context.WithDeadline.
func TestJobContextCancelAfterDeadlineIsDeadline(t *testing.T) {
	c := newJobCtx(context.Background(), time.Now().Add(-time.Second).UnixNano())
	c.cancel(context.Canceled)
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Errorf("Err after a cancel past the deadline: %v", c.Err())
	}
	if !errors.Is(context.Cause(c), context.DeadlineExceeded) {
		t.Errorf("Cause after a cancel past the deadline: %v", context.Cause(c))
	}
	// Before the deadline, a cancel is a cancel.
	early := newJobCtx(context.Background(), time.Now().Add(time.Hour).UnixNano())
	early.cancel(context.Canceled)
	if !errors.Is(early.Err(), context.Canceled) {
		t.Errorf("Err after a cancel before the deadline: %v", early.Err())
	}
}

func TestJobContextCancelReachesChildren(t *testing.T) {
	c := newJobCtx(context.Background(), 0)
	if _, ok := c.Deadline(); ok {
		t.Error("a job without deadline reports one")
	}
	before := runtime.NumGoroutine()
	var children []context.Context
	for range 100 {
		child, cancel := context.WithTimeout(c, time.Hour)
		defer cancel()
		children = append(children, child)
	}
	if n := runtime.NumGoroutine() - before; n > 5 {
		t.Errorf("deriving 100 contexts started %d goroutines (AfterFunc not used)", n)
	}
	ran := make(chan struct{})
	c.AfterFunc(func() { close(ran) })
	stopped := false
	stop := c.AfterFunc(func() { stopped = true })
	if !stop() {
		t.Error("stop before cancel should report that it stopped the call")
	}

	c.cancel(context.Canceled)
	c.cancel(context.DeadlineExceeded) // the first reason stays
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("Err after cancel: %v", c.Err())
	}
	for i, child := range children {
		select {
		case <-child.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("child %d not cancelled", i)
		}
	}
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("AfterFunc callback did not run")
	}
	if stopped {
		t.Error("a stopped AfterFunc callback ran")
	}
	late := make(chan struct{})
	c.AfterFunc(func() { close(late) })
	select {
	case <-late:
	case <-time.After(5 * time.Second):
		t.Fatal("AfterFunc on a done context did not run")
	}
}
