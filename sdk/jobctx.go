package sdk

import (
	"context"
	"sync"
	"time"
)

// jobCtx is the context a handler gets: cancelled when jobd cancels the
// job, when the stream to jobd breaks, or at the job's deadline.
//
// Its deadline timer and its Done channel are made only when someone waits
// on Done: a handler that finishes without waiting (and most quick ones do)
// costs no timer. context.WithDeadline made and stopped one per job, a
// tenth of a no-op plugin's CPU.
type jobCtx struct {
	context.Context // the stream's values, without its cancellation

	deadline time.Time // zero: none

	mu    sync.Mutex
	done  chan struct{}
	err   error
	timer *time.Timer
	after map[*func()]struct{} // AfterFunc callbacks not yet run or stopped
}

// newJobCtx returns a job context under parent (whose cancellation is not
// followed) with the given deadline (Unix nanoseconds, 0 for none).
func newJobCtx(parent context.Context, deadline int64) *jobCtx {
	c := &jobCtx{Context: parent}
	if deadline != 0 {
		c.deadline = time.Unix(0, deadline)
	}
	return c
}

// Deadline reports the job's deadline.
func (c *jobCtx) Deadline() (time.Time, bool) { return c.deadline, !c.deadline.IsZero() }

// Done returns a channel closed when the job is cancelled or its deadline
// passes; the first call arms the deadline.
func (c *jobCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		switch {
		case c.err != nil:
			close(c.done)
		case !c.deadline.IsZero():
			if d := time.Until(c.deadline); d <= 0 {
				c.cancelLocked(context.DeadlineExceeded)
			} else {
				c.timer = time.AfterFunc(d, func() { c.cancel(context.DeadlineExceeded) })
			}
		}
	}
	return c.done
}

// Err returns context.Canceled or context.DeadlineExceeded once the job
// is cancelled or past its deadline, else nil.
func (c *jobCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && !c.deadline.IsZero() && !time.Now().Before(c.deadline) {
		c.cancelLocked(context.DeadlineExceeded)
	}
	return c.err
}

// AfterFunc arranges for f to run in its own goroutine once the context
// is done, as context.AfterFunc does. Cancelable contexts derived directly
// from this one (context.WithCancel, WithTimeout, ...) use it instead of a
// goroutine each; one derived through a context.WithValue in between
// still starts the goroutine the context package uses for a parent it does
// not know, which ends with the job.
func (c *jobCtx) AfterFunc(f func()) (stop func() bool) {
	c.Done() // arms the deadline
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		go f()
		return func() bool { return false }
	}
	if c.after == nil {
		c.after = map[*func()]struct{}{}
	}
	key := &f
	c.after[key] = struct{}{}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, waiting := c.after[key]
		delete(c.after, key)
		return waiting
	}
}

// cancel ends the job's context with err (the first reason stays).
func (c *jobCtx) cancel(err error) {
	c.mu.Lock()
	c.cancelLocked(err)
	c.mu.Unlock()
}

func (c *jobCtx) cancelLocked(err error) {
	if c.err != nil {
		return
	}
	// Past the deadline, the deadline is the reason, whatever ended the
	// context: with no one waiting on Done, no timer ran, and jobd's cancel
	// (sent at the deadline and a grace period) comes later.
	if !c.deadline.IsZero() && !time.Now().Before(c.deadline) {
		err = context.DeadlineExceeded
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	for key := range c.after {
		go (*key)()
	}
	c.after = nil
}

// String names the context in panics and logs.
func (c *jobCtx) String() string { return "sdk.jobContext" }
