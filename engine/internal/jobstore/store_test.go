package jobstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/engine/internal/natstest"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// openStore opens a store on a new server.
func openStore(t *testing.T) (*natstest.Server, *jobstore.Store) {
	t.Helper()
	s := natstest.Start(t)
	st, err := jobstore.Open(context.Background(), s.JS, jobstore.Options{Replicas: 1, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func TestUpdateAndSweep(t *testing.T) {
	_, st := openStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	for _, r := range []*wire.Record{
		{ID: "done", Status: wire.StatusCompleted, CreatedAt: now},
		{ID: "ahead", Status: wire.StatusScheduled, Recurring: true, CreatedAt: now},
	} {
		if err := st.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Create(ctx, &wire.Record{ID: "done"}); err == nil {
		t.Fatal("a second record with the same id was created")
	}
	// Concurrent compare-and-set updates all land.
	done := make(chan error, 10)
	for i := 0; i < 10; i++ {
		go func() {
			_, err := st.Update(ctx, "ahead", func(r *wire.Record) error { r.ExecutionCount++; return nil })
			done <- err
		}()
	}
	for i := 0; i < 10; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	r, _, err := st.Get(ctx, "ahead")
	if err != nil || r.ExecutionCount != 10 {
		t.Fatalf("execution count %d after 10 concurrent updates (%v)", r.ExecutionCount, err)
	}
	if err := st.AppendHistory(ctx, "done", wire.HistoryEntry{Number: 1, RunID: "done-1", Status: "completed"}); err != nil {
		t.Fatal(err)
	}
	// Nothing is old enough yet; a day later the ended job goes, the one
	// with runs ahead stays.
	if n, err := st.Sweep(ctx, time.Hour, now); err != nil || n != 0 {
		t.Fatalf("sweep now: %d %v", n, err)
	}
	if n, err := st.Sweep(ctx, time.Hour, now.Add(24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("sweep a day later: %d %v", n, err)
	}
	if _, _, err := st.Get(ctx, "done"); !errors.Is(err, jobstore.ErrNotFound) {
		t.Fatalf("swept record: %v", err)
	}
	if h, _ := st.History(ctx, "done"); len(h) != 0 {
		t.Fatalf("history of a swept job: %v", h)
	}
	if _, _, err := st.Get(ctx, "ahead"); err != nil {
		t.Fatalf("a job with runs ahead was swept: %v", err)
	}
}

// UpdateAt writes from the record a caller holds when nobody changed it,
// and reads again when somebody did: no update is lost either way.
func TestUpdateAtFromAStaleRecord(t *testing.T) {
	_, st := openStore(t)
	ctx := context.Background()
	if err := st.Create(ctx, &wire.Record{ID: "j", Status: wire.StatusScheduled}); err != nil {
		t.Fatal(err)
	}
	known, rev, err := st.Get(ctx, "j")
	if err != nil {
		t.Fatal(err)
	}
	inc := func(r *wire.Record) error { r.ExecutionCount++; return nil }
	_, rev2, err := st.UpdateAt(ctx, "j", known, rev, inc)
	if err != nil || rev2 <= rev {
		t.Fatalf("update from a fresh record: rev %d → %d, %v", rev, rev2, err)
	}
	if known.ExecutionCount != 0 {
		t.Fatal("UpdateAt changed the record it was given")
	}
	// known is stale now: the write must see the first update.
	r, _, err := st.UpdateAt(ctx, "j", known, rev, inc)
	if err != nil || r.ExecutionCount != 2 {
		t.Fatalf("update from a stale record: count %d, %v", r.ExecutionCount, err)
	}
}

// List reads each record's latest value and leaves deleted ones out.
func TestListSeesLatestValues(t *testing.T) {
	_, st := openStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	for i, id := range []string{"a", "b", "c"} {
		if err := st.Create(ctx, &wire.Record{ID: id, Event: "ev", Status: wire.StatusScheduled, CreatedAt: now.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Update(ctx, "a", func(r *wire.Record) error { r.Status = wire.StatusCompleted; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	all, err := st.List(ctx, jobstore.Filter{})
	if err != nil || len(all) != 2 || all[0].ID != "c" || all[1].ID != "a" {
		t.Fatalf("list = %v, %v; want c, a (newest first, b deleted)", all, err)
	}
	done, err := st.List(ctx, jobstore.Filter{Status: wire.StatusCompleted})
	if err != nil || len(done) != 1 || done[0].ID != "a" {
		t.Fatalf("completed = %v, %v", done, err)
	}
}

// The sweeper reads the records in the order they were written: a job
// retried since it ended stays until it ends again and that end is old
// enough, and old deletion marks are removed.
func TestSweepFollowsTheLastEnd(t *testing.T) {
	s, st := openStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := st.Create(ctx, &wire.Record{ID: "r", Status: wire.StatusScheduled, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	set := func(status string) {
		t.Helper()
		if _, err := st.Update(ctx, "r", func(r *wire.Record) error { r.Status = status; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	set(wire.StatusFailed)
	set(wire.StatusQueued) // retried
	time.Sleep(100 * time.Millisecond)
	if n, err := st.Sweep(ctx, time.Hour, now.Add(24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("sweep of a job running again: %d %v", n, err)
	}
	set(wire.StatusCompleted)
	time.Sleep(100 * time.Millisecond)
	if n, err := st.Sweep(ctx, time.Hour, now.Add(48*time.Hour)); err != nil || n != 1 {
		t.Fatalf("sweep after it ended again: %d %v", n, err)
	}
	if _, _, err := st.Get(ctx, "r"); !errors.Is(err, jobstore.ErrNotFound) {
		t.Fatalf("swept record: %v", err)
	}
	// Its deletion mark goes once it is that old too.
	if n, err := st.Sweep(ctx, time.Hour, now.Add(72*time.Hour)); err != nil || n != 0 {
		t.Fatalf("sweep of the marks: %d %v", n, err)
	}
	if n := natstest.Msgs(t, s.JS, "KV_"+jobstore.Bucket); n != 0 {
		t.Fatalf("%d messages left in the bucket", n)
	}
}
