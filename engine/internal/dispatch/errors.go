package dispatch

import (
	"errors"
	"fmt"
	"time"
)

// ErrQueueTimeout is what a *QueueTimeoutError matches with errors.Is.
var ErrQueueTimeout = errors.New("dispatch: no free slot within the queue timeout")

// QueueTimeoutError says that a job waited Options.QueueTimeout for one of
// its plugin's slots without getting one; the attempt did not run.
type QueueTimeoutError struct {
	Kind        string
	Waited      time.Duration
	Concurrency int
}

func (e *QueueTimeoutError) Error() string {
	return fmt.Sprintf("waited %v for one of plugin %q's %d slots (all busy); the attempt did not run: raise plugins.%s.concurrency or plugins.%s.queue_timeout, or look for handlers that hang",
		e.Waited, e.Kind, e.Concurrency, e.Kind, e.Kind)
}

// Is makes errors.Is(err, ErrQueueTimeout) true.
func (e *QueueTimeoutError) Is(target error) bool { return target == ErrQueueTimeout }
