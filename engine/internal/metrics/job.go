package metrics

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Job holds one job's metrics, each looked up by its labels once: the runner
// counts every attempt and every run, and a label lookup per count was
// measurable at tens of thousands of jobs a second.
type Job struct {
	m     *Metrics
	event string
	// Duration observes the job's attempt durations.
	Duration prometheus.Observer
	// DeadLetters counts the job's dead letters.
	DeadLetters prometheus.Counter

	attempts labelled
	runs     labelled
}

// Job returns the metrics of the job with this event tag.
func (m *Metrics) Job(event string) *Job {
	if j, ok := (*m.jobs.Load())[event]; ok {
		return j
	}
	m.jobsMu.Lock()
	defer m.jobsMu.Unlock()
	old := *m.jobs.Load()
	if j, ok := old[event]; ok {
		return j
	}
	j := &Job{m: m, event: event, Duration: m.Duration.WithLabelValues(event), DeadLetters: m.DeadLetters.WithLabelValues(event)}
	next := make(map[string]*Job, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[event] = j
	m.jobs.Store(&next)
	return j
}

// Attempt counts one attempt with its outcome (ok, retry, permanent).
func (j *Job) Attempt(outcome string) {
	j.attempts.get(outcome, func() prometheus.Counter { return j.m.Attempts.WithLabelValues(j.event, outcome) }).Inc()
}

// Run counts one finished run with its status.
func (j *Job) Run(status string) {
	j.runs.get(status, func() prometheus.Counter { return j.m.Runs.WithLabelValues(j.event, status) }).Inc()
}

// labelled caches counters by a label value; reads take no lock.
type labelled struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]prometheus.Counter]
}

func (l *labelled) get(label string, create func() prometheus.Counter) prometheus.Counter {
	if m := l.m.Load(); m != nil {
		if c, ok := (*m)[label]; ok {
			return c
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	next := map[string]prometheus.Counter{}
	if m := l.m.Load(); m != nil {
		if c, ok := (*m)[label]; ok {
			return c
		}
		for k, v := range *m {
			next[k] = v
		}
	}
	c := create()
	next[label] = c
	l.m.Store(&next)
	return c
}
