package metrics

import (
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestJobCountsUnderItsLabels(t *testing.T) {
	m := New(nil, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				m.Job("send").Attempt("ok")
				m.Job("send").Run("completed")
				m.Job("bill").Attempt("retry")
			}
		}()
	}
	wg.Wait()
	m.Job("bill").Run("failed")
	m.Job("bill").DeadLetters.Inc()
	m.Job("bill").Duration.Observe(0.25)

	for _, c := range []struct {
		got  float64
		want float64
		what string
	}{
		{testutil.ToFloat64(m.Attempts.WithLabelValues("send", "ok")), 800, "send ok attempts"},
		{testutil.ToFloat64(m.Runs.WithLabelValues("send", "completed")), 800, "send completed runs"},
		{testutil.ToFloat64(m.Attempts.WithLabelValues("bill", "retry")), 800, "bill retry attempts"},
		{testutil.ToFloat64(m.Runs.WithLabelValues("bill", "failed")), 1, "bill failed runs"},
		{testutil.ToFloat64(m.DeadLetters.WithLabelValues("bill")), 1, "bill dead letters"},
		{testutil.ToFloat64(m.Attempts.WithLabelValues("send", "retry")), 0, "send retry attempts"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.Duration); n != 2 {
		t.Errorf("duration series = %d, want 2 (send, bill)", n)
	}
}
