package publish_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/natstest"
	"github.com/jobd-dev/jobd/engine/internal/publish"
)

func stream(t *testing.T, s *natstest.Server, name, subjects string) {
	t.Helper()
	_, err := s.JS.CreateStream(context.Background(), jetstream.StreamConfig{Name: name, Subjects: []string{subjects}, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
}

func newPublisher(t *testing.T, nc *nats.Conn, o publish.Options) *publish.Publisher {
	t.Helper()
	p := publish.New(nc, o)
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	return p
}

// collect publishes msgs and returns every callback's error, in order of
// the messages.
func collect(t *testing.T, p *publish.Publisher, msgs []*nats.Msg) []error {
	t.Helper()
	errs := make([]error, len(msgs))
	var wg sync.WaitGroup
	for i, m := range msgs {
		wg.Add(1)
		p.Publish(m, func(err error) { errs[i] = err; wg.Done() })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("callbacks missing after 20s")
	}
	return errs
}

func msg(subject, body, id string) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = []byte(body)
	if id != "" {
		m.Header.Set(nats.MsgIdHdr, id)
	}
	return m
}

func TestPublishStoresEveryMessage(t *testing.T) {
	s := natstest.Start(t)
	stream(t, s, "RESULTS", "res.>")
	p := newPublisher(t, s.Conn, publish.Options{MaxPending: 64})
	const n = 5000
	msgs := make([]*nats.Msg, n)
	for i := range msgs {
		msgs[i] = msg(fmt.Sprintf("res.%d", i%7), fmt.Sprintf(`{"n":%d}`, i), fmt.Sprintf("id-%d", i))
	}
	for i, err := range collect(t, p, msgs) {
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if got := natstest.Msgs(t, s.JS, "RESULTS"); got != n {
		t.Fatalf("stream holds %d messages, want %d", got, n)
	}
	if p.Pending() != 0 {
		t.Fatalf("%d still pending", p.Pending())
	}
	// The stored bodies are the published ones.
	st, _ := s.JS.Stream(context.Background(), "RESULTS")
	m, err := st.GetMsg(context.Background(), 4242)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != `{"n":4241}` || m.Header.Get(nats.MsgIdHdr) != "id-4241" {
		t.Fatalf("message 4242: %s %v", m.Data, m.Header)
	}
}

func TestPublishDuplicateIsStored(t *testing.T) {
	s := natstest.Start(t)
	stream(t, s, "RESULTS", "res.>")
	p := newPublisher(t, s.Conn, publish.Options{})
	errs := collect(t, p, []*nats.Msg{msg("res.a", "1", "same"), msg("res.a", "2", "same")})
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors: %v", errs)
	}
	if got := natstest.Msgs(t, s.JS, "RESULTS"); got != 1 {
		t.Fatalf("stream holds %d messages, want 1 (the duplicate dropped)", got)
	}
}

func TestPublishStreamError(t *testing.T) {
	s := natstest.Start(t)
	stream(t, s, "RESULTS", "res.>")
	p := newPublisher(t, s.Conn, publish.Options{})
	m := msg("res.a", "1", "")
	m.Header.Set("Nats-Expected-Stream", "OTHER")
	err := collect(t, p, []*nats.Msg{m})[0]
	if err == nil || !strings.Contains(err.Error(), "expected stream does not match") || !strings.Contains(err.Error(), "res.a") {
		t.Fatalf("error = %v, want the stream's refusal naming the subject", err)
	}
}

func TestPublishNoStream(t *testing.T) {
	s := natstest.Start(t)
	p := newPublisher(t, s.Conn, publish.Options{})
	start := time.Now()
	err := collect(t, p, []*nats.Msg{msg("nowhere.a", "1", "")})[0]
	if !errors.Is(err, publish.ErrNoStream) {
		t.Fatalf("error = %v, want ErrNoStream", err)
	}
	if d := time.Since(start); d < publish.NoRespondersRetries*publish.RetryWait {
		t.Fatalf("failed after %v, before its retries", d)
	}
}

func TestPublishNoStreamRetriesUntilStreamExists(t *testing.T) {
	s := natstest.Start(t)
	p := newPublisher(t, s.Conn, publish.Options{})
	errs := make(chan error, 1)
	p.Publish(msg("late.a", "1", ""), func(err error) { errs <- err })
	time.Sleep(publish.RetryWait / 2)
	stream(t, s, "LATE", "late.>")
	select {
	case err := <-errs:
		if err != nil {
			t.Fatalf("error = %v, want stored on a retry", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no callback")
	}
	if got := natstest.Msgs(t, s.JS, "LATE"); got != 1 {
		t.Fatalf("stream holds %d messages, want 1", got)
	}
}

// A subject answered by something that never acknowledges: the callback
// gets ErrTimeout, and a full publisher makes Publish wait, then fail.
func TestPublishTimeoutAndFull(t *testing.T) {
	s := natstest.Start(t)
	sub, err := s.Conn.SubscribeSync("silent.>") // takes the message, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	p := newPublisher(t, s.Conn, publish.Options{MaxPending: 2, Timeout: 300 * time.Millisecond})
	start := time.Now()
	errs := collect(t, p, []*nats.Msg{msg("silent.a", "1", ""), msg("silent.a", "2", ""), msg("silent.a", "3", "")})
	for i, err := range errs {
		if !errors.Is(err, publish.ErrTimeout) {
			t.Fatalf("message %d: error = %v, want ErrTimeout", i, err)
		}
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("timed out after %v, before the timeout", d)
	}
	if p.Pending() != 0 {
		t.Fatalf("%d still pending", p.Pending())
	}
}

func TestCloseFailsWhatIsLeftAndLaterPublishes(t *testing.T) {
	s := natstest.Start(t)
	sub, err := s.Conn.SubscribeSync("silent.>")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	p := publish.New(s.Conn, publish.Options{Timeout: time.Minute})
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	p.Publish(msg("silent.a", "1", ""), func(err error) { errs <- err })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	p.Stop(ctx)
	p.Publish(msg("silent.a", "2", ""), func(err error) { errs <- err })
	for i := 0; i < 2; i++ {
		if err := <-errs; !errors.Is(err, publish.ErrClosed) {
			t.Fatalf("error = %v, want ErrClosed", err)
		}
	}
	p.Stop(context.Background()) // again: no panic, no wait
}

func TestCloseWaitsForAcknowledgements(t *testing.T) {
	s := natstest.Start(t)
	stream(t, s, "RESULTS", "res.>")
	p := publish.New(s.Conn, publish.Options{})
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []error
	for i := 0; i < 1000; i++ {
		p.Publish(msg("res.a", "x", ""), func(err error) { mu.Lock(); got = append(got, err); mu.Unlock() })
	}
	p.Stop(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1000 {
		t.Fatalf("%d callbacks after Close, want 1000", len(got))
	}
	for _, err := range got {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkPublish is publish → stored acknowledgement through the
// embedded server, against jetstream.PublishMsgAsync below.
func BenchmarkPublish(b *testing.B) {
	s := natstest.Start(b)
	if _, err := s.JS.CreateStream(context.Background(), jetstream.StreamConfig{Name: "B", Subjects: []string{"b.>"}, Storage: jetstream.MemoryStorage}); err != nil {
		b.Fatal(err)
	}
	p := publish.New(s.Conn, publish.Options{})
	if err := p.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	b.ReportAllocs()
	for b.Loop() {
		wg.Add(1)
		p.Publish(msg("b.x", `{"a":1}`, ""), func(error) { wg.Done() })
	}
	wg.Wait()
	p.Stop(context.Background())
}

// BenchmarkPublishMsgAsync is the same through jetstream.PublishMsgAsync,
// waiting on each future from one goroutine (as jobd did before).
func BenchmarkPublishMsgAsync(b *testing.B) {
	s := natstest.Start(b)
	if _, err := s.JS.CreateStream(context.Background(), jetstream.StreamConfig{Name: "B", Subjects: []string{"b.>"}, Storage: jetstream.MemoryStorage}); err != nil {
		b.Fatal(err)
	}
	js, err := jetstream.New(s.Conn, jetstream.WithPublishAsyncMaxPending(8192), jetstream.WithPublishAsyncTimeout(10*time.Second))
	if err != nil {
		b.Fatal(err)
	}
	futs := make(chan jetstream.PubAckFuture, 16384)
	done := make(chan struct{})
	go func() {
		for f := range futs {
			select {
			case <-f.Ok():
			case <-f.Err():
			}
		}
		close(done)
	}()
	b.ReportAllocs()
	for b.Loop() {
		f, err := js.PublishMsgAsync(msg("b.x", `{"a":1}`, ""))
		if err != nil {
			b.Fatal(err)
		}
		futs <- f
	}
	close(futs)
	<-done
}

// A publisher stopped without a start, and stopped twice, returns at once.
func TestStopWithoutStart(t *testing.T) {
	s := natstest.Start(t)
	p := publish.New(s.Conn, publish.Options{})
	done := make(chan struct{})
	go func() {
		p.Stop(context.Background())
		p.Stop(context.Background())
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Stop of a publisher never started did not return")
	}
}
