package jobstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/natstest"
	"github.com/jobd-dev/jobd/engine/jobstore"
)

func TestUpdateAndSweep(t *testing.T) {
	s := natstest.Start(t)
	ctx := context.Background()
	st, err := jobstore.Open(ctx, s.JS, jobstore.Options{Replicas: 1, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, r := range []*jobstore.Record{
		{ID: "done", Status: jobstore.StatusCompleted, CreatedAt: now},
		{ID: "ahead", Status: jobstore.StatusScheduled, Recurring: true, CreatedAt: now},
	} {
		if err := st.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Create(ctx, &jobstore.Record{ID: "done"}); err == nil {
		t.Fatal("a second record with the same id was created")
	}
	// Concurrent compare-and-set updates all land.
	done := make(chan error, 10)
	for i := 0; i < 10; i++ {
		go func() {
			_, err := st.Update(ctx, "ahead", func(r *jobstore.Record) error { r.ExecutionCount++; return nil })
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
	if err := st.AppendHistory(ctx, "done", jobstore.Entry{Number: 1, RunID: "done-1", Status: "completed"}); err != nil {
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
