// Package timers keeps jobd's pending runs in JetStream and fires them on
// time.
//
// A timer is a message in the stream JOBD_TIMERS on the subject of its time
// slot, jobd.timers.<slot start, Unix seconds>, carrying the message to
// publish (target subject, message id, body) and its due time. Nothing about
// a pending timer lives in memory until its slot comes within the horizon:
// then every replica reads the slot, keeps its timers in a heap and, when
// one falls due, publishes its message to the target (the message id makes
// the replicas' copies one message) and purges the slot up to what has
// fired. Memory therefore grows with what is due within the horizon, not
// with everything pending, and firing is as precise as the Go timer.
//
// A timer that fired but was not yet purged when the process died fires
// again after a restart: consumers of the target must tolerate a repeated
// message (jobd's runs do, through their job record and message id).
package timers

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine/internal/lograte"
	"github.com/jobd-dev/jobd/engine/internal/streamread"
	"github.com/jobd-dev/jobd/engine/internal/transient"
)

// Headers of a timer message.
const (
	// HeaderAt is the due time, Unix milliseconds.
	HeaderAt = "Jobd-Timer-At"
	// HeaderTarget is the subject the message goes to when due.
	HeaderTarget = "Jobd-Timer-Target"
	// HeaderID is the message id the fired message carries.
	HeaderID = "Jobd-Timer-Id"
)

// Defaults of Options.
const (
	DefaultSlot    = 10 * time.Second
	DefaultHorizon = time.Minute
	DefaultMaxHeld = 100000
)

// Options configure a Store.
type Options struct {
	// JS reaches the stream.
	JS jetstream.JetStream
	// Stream is the stream that captures Prefix + ">".
	Stream string
	// Prefix is the subject prefix of slots, with its trailing dot.
	Prefix string
	// Slot is the width of a time slot (one subject each); default 10 s.
	Slot time.Duration
	// Horizon: slots that start before now + Horizon are held in memory and
	// fired; default one minute.
	Horizon time.Duration
	// MaxHeld bounds the timers held in memory: slots are read, oldest
	// first, only while fewer are held (after a long downtime everything
	// is due at once); default 100,000.
	MaxHeld int
	// Logger receives failures.
	Logger *slog.Logger
	// Clock is the time source of every decision that depends on time.
	// Defaults to the real clock.
	Clock clockwork.Clock
}

// Store adds timers and, once started, fires them.
type Store struct {
	o      Options
	stream jetstream.Stream

	mu    sync.Mutex
	queue entryHeap
	slots map[int64]*slot // what is known of slots within the horizon, by start
	// through: timers of slots that start before it (Unix seconds) are
	// followed as they are stored.
	through int64
	// unread holds the slots whose stored timers have not been read yet:
	// those found at start and each slot as the horizon reaches it. They
	// are read oldest first once they start before through, and a slot is
	// never purged while unread (fired timers are not all it holds).
	unread map[int64]bool
	wake   chan struct{}

	// logLimit keeps transient failures (a server restarting) to one WARN
	// per cause per interval.
	logLimit lograte.Limiter

	cancel context.CancelFunc
	done   sync.WaitGroup
}

// slot is what a replica knows of one slot it has read.
type slot struct {
	pending map[uint64]struct{} // queued or firing, not yet published
	maxSeen uint64              // highest sequence of the slot seen
	purged  uint64              // purged below this sequence
	dirty   bool                // fired since the last purge
}

// New returns a Store; Start fires its timers.
func New(o Options) *Store {
	if o.Slot <= 0 {
		o.Slot = DefaultSlot
	}
	if o.Slot < time.Second {
		o.Slot = time.Second
	}
	if o.Horizon <= 0 {
		o.Horizon = DefaultHorizon
	}
	if o.Horizon < o.Slot {
		o.Horizon = o.Slot
	}
	if o.MaxHeld <= 0 {
		o.MaxHeld = DefaultMaxHeld
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	return &Store{o: o, slots: map[int64]*slot{}, unread: map[int64]bool{}, wake: make(chan struct{}, 1)}
}

// slotOf returns the start (Unix seconds) of the slot that holds at.
func (s *Store) slotOf(at time.Time) int64 {
	w := int64(s.o.Slot / time.Second)
	sec := at.Unix()
	return sec - ((sec%w)+w)%w
}

func (s *Store) subject(start int64) string {
	return s.o.Prefix + strconv.FormatInt(start, 10)
}

// Message returns the message that stores a timer publishing body on
// target with message id id at `at`: a timer in its slot, or, when it is
// due already, the message itself on target (with id + "/now", so a timer
// that fired before is no duplicate of it). Publishing the same timer twice
// within the stream's duplicate window stores it once.
func (s *Store) Message(target, id string, at time.Time, body []byte) *nats.Msg {
	if !at.After(s.o.Clock.Now()) {
		msg := nats.NewMsg(target)
		msg.Data = body
		msg.Header.Set(nats.MsgIdHdr, id+"/now")
		return msg
	}
	msg := nats.NewMsg(s.subject(s.slotOf(at)))
	msg.Data = body
	// Milliseconds, rounded up: a timer never fires early.
	ms := at.UnixMilli()
	if time.UnixMilli(ms).Before(at) {
		ms++
	}
	msg.Header.Set(HeaderAt, strconv.FormatInt(ms, 10))
	msg.Header.Set(HeaderTarget, target)
	msg.Header.Set(HeaderID, id)
	msg.Header.Set(nats.MsgIdHdr, id)
	return msg
}

// Add stores a timer (see Message) and returns once it is stored.
func (s *Store) Add(ctx context.Context, target, id string, at time.Time, body []byte) error {
	_, err := s.o.JS.PublishMsg(ctx, s.Message(target, id, at, body))
	return err
}

// Start follows the stream and lists the stored slots; reading them as the
// horizon reaches them, and firing their timers, go on in the background
// until Stop. Every replica runs one: each fires every timer, and the
// message id keeps one copy.
func (s *Store) Start(ctx context.Context) error {
	st, err := s.o.JS.Stream(ctx, s.o.Stream)
	if err != nil {
		return fmt.Errorf("timers: stream %s: %w", s.o.Stream, err)
	}
	s.stream = st
	rctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	// Follow new timers first, so none stored while the slots are read is
	// missed; a timer seen twice is queued once.
	// The consumer goes with the replica: deleted at Stop, and by the
	// server soon after a replica that died.
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{s.o.Prefix + ">"},
		DeliverPolicy:     jetstream.DeliverNewPolicy,
		InactiveThreshold: streamread.InactiveThreshold,
	})
	if err != nil {
		cancel()
		return fmt.Errorf("timers: follow %s: %w", s.o.Stream, err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { s.take(m, false) })
	if err != nil {
		streamread.Delete(s.o.JS, s.o.Stream, cons)
		cancel()
		return fmt.Errorf("timers: follow %s: %w", s.o.Stream, err)
	}
	// Every slot stored so far is read once the horizon reaches it: those
	// from before now (downtime) at once, oldest first, in the background.
	// Slots not listed were empty when listed: following the stream shows
	// every timer stored into them since.
	starts, err := s.listSlots(ctx)
	if err != nil {
		cc.Stop()
		streamread.Delete(s.o.JS, s.o.Stream, cons)
		cancel()
		return err
	}
	s.mu.Lock()
	for _, start := range starts {
		s.unread[start] = true
	}
	s.through = s.slotOf(s.o.Clock.Now().Add(s.o.Horizon)) + int64(s.o.Slot/time.Second)
	s.mu.Unlock()
	s.done.Add(2)
	go func() {
		defer s.done.Done()
		defer streamread.Delete(s.o.JS, s.o.Stream, cons)
		defer cc.Stop()
		s.fireLoop(rctx)
	}()
	go func() { defer s.done.Done(); s.advanceLoop(rctx) }()
	return nil
}

// Stop stops firing and waits for the store's goroutines. Timers stay
// stored. Safe to call more than once, or without Start.
func (s *Store) Stop(context.Context) {
	if s.cancel != nil {
		s.cancel()
		s.done.Wait()
	}
}

// listSlots returns the starts of the slots that hold timers.
func (s *Store) listSlots(ctx context.Context) ([]int64, error) {
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(s.o.Prefix+">"))
	if err != nil {
		return nil, fmt.Errorf("timers: list slots: %w", err)
	}
	var out []int64
	for subj := range info.State.Subjects {
		if start, ok := s.parseSlot(subj); ok {
			out = append(out, start)
		}
	}
	return out, nil
}

func (s *Store) parseSlot(subj string) (int64, bool) {
	rest, ok := strings.CutPrefix(subj, s.o.Prefix)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(rest, 10, 64)
	return v, err == nil
}

// readSlot queues every timer stored in a slot.
func (s *Store) readSlot(ctx context.Context, start int64) error {
	subj := s.subject(start)
	// Through a consumer, deleted when the read ends.
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}}
	if err := streamread.Once(ctx, s.o.JS, s.o.Stream, cfg, func(m jetstream.Msg) { s.take(m, true) }); err != nil {
		return fmt.Errorf("timers: read %s: %w", subj, err)
	}
	s.mu.Lock()
	delete(s.unread, start)
	s.mu.Unlock()
	return nil
}

// take queues a stored timer if its slot is held in memory (always when
// read from its slot).
func (s *Store) take(m jetstream.Msg, reading bool) {
	meta, err := m.Metadata()
	if err != nil {
		return
	}
	start, ok := s.parseSlot(m.Subject())
	if !ok {
		return
	}
	h := m.Headers()
	ms, err := strconv.ParseInt(h.Get(HeaderAt), 10, 64)
	target := h.Get(HeaderTarget)
	if err != nil || target == "" {
		s.o.Logger.Warn("unreadable timer; skipped", "subject", m.Subject(), "seq", meta.Sequence.Stream)
		return
	}
	seq := meta.Sequence.Stream
	s.mu.Lock()
	defer s.mu.Unlock()
	if !reading && start >= s.through {
		return // read when its slot comes within the horizon
	}
	sl := s.slots[start]
	if sl == nil {
		sl = &slot{pending: map[uint64]struct{}{}}
		s.slots[start] = sl
	}
	if seq > sl.maxSeen {
		sl.maxSeen = seq
	}
	if _, dup := sl.pending[seq]; dup || seq < sl.purged {
		return
	}
	sl.pending[seq] = struct{}{}
	e := &entry{seq: seq, slot: start, at: time.UnixMilli(ms), target: target, id: h.Get(HeaderID), body: m.Data()}
	heap.Push(&s.queue, e)
	if s.queue[0] == e {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// advanceLoop moves the horizon on, reads the slots it reaches, and
// purges what has fired.
func (s *Store) advanceLoop(ctx context.Context) {
	tick := s.o.Clock.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		s.purgeFired(ctx)
		s.advance(ctx)
		s.readDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.Chan():
		}
	}
}

// listJump is how many slots the horizon may pass in one step before
// advance lists the slots that hold timers instead of marking each one to
// be read (a clock that jumps: a machine back from suspend, a test's fake
// clock; a day is 8,640 slots of 10 s, and reading each costs a round
// trip).
const listJump = 64

// advance moves through to the end of the horizon; the slots it passes are
// to be read.
func (s *Store) advance(ctx context.Context) {
	w := int64(s.o.Slot / time.Second)
	limit := s.slotOf(s.o.Clock.Now().Add(s.o.Horizon)) + w
	s.mu.Lock()
	from := s.through
	if (limit-from)/w <= listJump {
		for start := from; start < limit; start += w {
			s.unread[start] = true
		}
		s.through = max(s.through, limit)
		s.mu.Unlock()
		return
	}
	// Follow the passed slots first, then list what they hold: a timer
	// stored meanwhile is followed, listed, or both (it is queued once).
	s.through = max(s.through, limit)
	s.mu.Unlock()
	starts, err := s.listSlots(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			s.logLimit.Problem(s.o.Logger, slog.LevelWarn, "list timer slots; reading every slot passed", err)
		}
		for start := from; start < limit; start += w {
			s.unread[start] = true
		}
		return
	}
	for _, start := range starts {
		if start >= from && start < limit {
			s.unread[start] = true
		}
	}
}

// readDue reads the unread slots that start before through, oldest first,
// while fewer than MaxHeld timers are held.
func (s *Store) readDue(ctx context.Context) {
	s.mu.Lock()
	var due []int64
	for start := range s.unread {
		if start < s.through {
			due = append(due, start)
		}
	}
	s.mu.Unlock()
	slices.Sort(due)
	for _, start := range due {
		if s.Pending() >= s.o.MaxHeld {
			return
		}
		if err := s.readSlot(ctx, start); err != nil {
			if ctx.Err() == nil {
				s.logLimit.Problem(s.o.Logger, slog.LevelWarn, "read timer slot; will retry", err, "slot", start)
			}
			return
		}
	}
}

// purgeFired removes from the stream the timers that fired: in each slot,
// everything below its oldest timer still pending.
func (s *Store) purgeFired(ctx context.Context) {
	type job struct {
		start int64
		below uint64
	}
	var jobs []job
	now := s.o.Clock.Now().Unix()
	s.mu.Lock()
	for start, sl := range s.slots {
		if s.unread[start] {
			continue // it may hold timers not read yet
		}
		if !sl.dirty {
			if len(sl.pending) == 0 && sl.purged > sl.maxSeen && start+int64(2*s.o.Horizon/time.Second) < now {
				delete(s.slots, start) // long past: forget it
			}
			continue
		}
		below := sl.maxSeen + 1
		for seq := range sl.pending {
			below = min(below, seq)
		}
		if below > sl.purged {
			jobs = append(jobs, job{start, below})
		}
		sl.dirty = false
	}
	s.mu.Unlock()
	for _, j := range jobs {
		err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(s.subject(j.start)), jetstream.WithPurgeSequence(j.below))
		if err != nil {
			if ctx.Err() == nil {
				s.logLimit.Problem(s.o.Logger, slog.LevelWarn, "purge fired timers; will retry", err, "slot", j.start)
			}
			s.mu.Lock()
			if sl := s.slots[j.start]; sl != nil {
				sl.dirty = true
			}
			s.mu.Unlock()
			continue
		}
		s.mu.Lock()
		if sl := s.slots[j.start]; sl != nil && j.below > sl.purged {
			sl.purged = j.below
		}
		s.mu.Unlock()
	}
}

// fireLoop publishes each timer when it falls due.
func (s *Store) fireLoop(ctx context.Context) {
	t := s.o.Clock.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.mu.Lock()
		now := s.o.Clock.Now()
		var due []*entry
		for len(s.queue) > 0 && !s.queue[0].at.After(now) && len(due) < 1024 {
			due = append(due, heap.Pop(&s.queue).(*entry))
		}
		wait := time.Hour
		if len(s.queue) > 0 {
			wait = s.queue[0].at.Sub(now)
		}
		s.mu.Unlock()
		if len(due) > 0 {
			s.fire(ctx, due)
			continue
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.Chan():
		}
	}
}

// fire publishes due timers and waits for the stream to store them; one
// that cannot be published is queued again a second later.
func (s *Store) fire(ctx context.Context, due []*entry) {
	acks := make([]jetstream.PubAckFuture, len(due))
	errs := make([]error, len(due))
	for i, e := range due {
		msg := nats.NewMsg(e.target)
		msg.Data = e.body
		if e.id != "" {
			msg.Header.Set(nats.MsgIdHdr, e.id)
		}
		acks[i], errs[i] = s.o.JS.PublishMsgAsync(msg)
	}
	for i, a := range acks {
		if errs[i] != nil {
			continue
		}
		select {
		case <-a.Ok():
		case err := <-a.Err():
			errs[i] = err
		case <-ctx.Done():
			errs[i] = ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	retry := s.o.Clock.Now().Add(time.Second)
	for i, e := range due {
		if errs[i] != nil {
			switch {
			case ctx.Err() != nil:
			case transient.DuplicateInProcess(errs[i]):
				// Another replica fires the same timer at the same moment:
				// the expected race, settled by the message id.
				s.o.Logger.Debug("fire timer: another replica is storing it; will confirm", "target", e.target, "id", e.id)
			default:
				s.logLimit.Problem(s.o.Logger, slog.LevelWarn, "fire timer; will retry", errs[i], "target", e.target)
			}
			e.at = retry
			heap.Push(&s.queue, e)
			continue
		}
		if sl := s.slots[e.slot]; sl != nil {
			delete(sl.pending, e.seq)
			sl.dirty = true
		}
	}
}

// Pending reports the timers held in memory (due within the horizon).
func (s *Store) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// entry is one timer held in memory.
type entry struct {
	seq    uint64
	slot   int64
	at     time.Time
	target string
	id     string
	body   []byte
}

// entryHeap orders timers by due time, then by sequence.
type entryHeap []*entry

func (h entryHeap) Len() int { return len(h) }
func (h entryHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h entryHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *entryHeap) Push(x any)   { *h = append(*h, x.(*entry)) }
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
