package streamread

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/transient"
)

// directGetPrefix + stream is the subject of JetStream's direct get, which
// every server holding a replica of a stream with AllowDirect answers.
const directGetPrefix = "$JS.API.DIRECT.GET."

// numPendingHeader is the end-of-batch header with what is left.
const numPendingHeader = "Nats-Num-Pending"

// directRequest is a batched direct get (nats-server 2.11 and later).
type directRequest struct {
	Seq     uint64 `json:"seq,omitempty"`
	NextFor string `json:"next_by_subj"`
	Batch   int    `json:"batch"`
}

// Direct calls fn with every message of stream on a subject that matches
// filter, oldest first, read with batched direct gets: it creates no
// consumer (a read that creates one costs a round of the cluster's meta
// group to create and another to delete, and leaks it when the process
// dies), and any server holding a replica answers, so no request waits for
// a consumer leader that another server holds. The stream must allow
// direct gets (jobd's streams and key-value buckets do).
//
// A server that is not the stream's leader may answer from a copy a few
// writes behind, as the key-value bucket's own Get does.
func Direct(ctx context.Context, nc *nats.Conn, stream, filter string, fn func(*nats.Msg)) error {
	subject := directGetPrefix + stream
	inbox := nc.NewRespInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	var seq uint64 // the next sequence to read from
	for {
		req, _ := json.Marshal(directRequest{Seq: seq, NextFor: filter, Batch: Batch})
		if err := nc.PublishRequest(subject, inbox, req); err != nil {
			return err
		}
		n, more, last, err := directBatch(ctx, sub, fn)
		if err != nil {
			return fmt.Errorf("read %s %s: %w", stream, filter, err)
		}
		if !more {
			return nil
		}
		if n == 0 {
			return fmt.Errorf("read %s %s: %w: a batch brought nothing with messages left", stream, filter, transient.ErrStalled)
		}
		seq = last + 1
	}
}

// directBatch reads the replies to one batched direct get: the messages,
// then an end-of-batch status that says whether more are pending.
func directBatch(ctx context.Context, sub *nats.Subscription, fn func(*nats.Msg)) (n int, more bool, last uint64, err error) {
	for {
		wctx, cancel := context.WithTimeout(ctx, Wait)
		m, err := sub.NextMsgWithContext(wctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil && wctx.Err() != nil {
				err = fmt.Errorf("%w: no reply for %v", nats.ErrTimeout, Wait)
			}
			return n, false, last, err
		}
		switch status := m.Header.Get("Status"); status {
		case "":
		case "204": // end of batch
			pending, _ := strconv.ParseUint(m.Header.Get(numPendingHeader), 10, 64)
			return n, pending > 0, last, nil
		case "404": // nothing matches
			return n, false, last, nil
		case "503":
			return n, false, last, nats.ErrNoResponders
		default:
			return n, false, last, fmt.Errorf("direct get: status %s %s", status, m.Header.Get("Description"))
		}
		if len(m.Data) == 0 && m.Header.Get(jetstream.SequenceHeader) == "" {
			continue
		}
		seq, err := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
		if err != nil {
			return n, false, last, fmt.Errorf("direct get: reply without a sequence")
		}
		// The stream's own header names are the message's subject and
		// place; the caller sees the message as it was published.
		m.Subject = m.Header.Get(jetstream.SubjectHeader)
		last = seq
		n++
		fn(m)
	}
}
