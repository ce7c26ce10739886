package run

import (
	"sync"

	"github.com/nats-io/nats.go"
)

// publishAll publishes msgs and calls cb once, with the first error if any.
func publishAll(p Publisher, msgs []*nats.Msg, cb func(error)) {
	switch len(msgs) {
	case 0:
		cb(nil)
		return
	case 1:
		p.Publish(msgs[0], cb)
		return
	}
	var (
		mu    sync.Mutex
		left  = len(msgs)
		first error
	)
	for _, m := range msgs {
		p.Publish(m, func(err error) {
			mu.Lock()
			left--
			if err != nil && first == nil {
				first = err
			}
			done, e := left == 0, first
			mu.Unlock()
			if done {
				cb(e)
			}
		})
	}
}
