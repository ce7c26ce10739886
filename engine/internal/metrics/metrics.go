// Package metrics defines jobd's Prometheus metrics.
package metrics

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are jobd's metrics, registered on their own registry.
type Metrics struct {
	// Registry holds every metric below plus Go and process metrics.
	Registry *prometheus.Registry
	// Runs counts finished runs by event and status.
	Runs *prometheus.CounterVec
	// Attempts counts attempts by event and outcome (ok, retry, permanent).
	Attempts *prometheus.CounterVec
	// Duration observes attempt durations by event.
	Duration *prometheus.HistogramVec
	// Queue observes, by kind, how long attempts waited for one of their
	// plugin's slots.
	Queue *prometheus.HistogramVec
	// PluginRestarts counts plugin restarts by kind.
	PluginRestarts *prometheus.CounterVec
	// DeadLetters counts dead letters by event.
	DeadLetters *prometheus.CounterVec

	jobsMu sync.Mutex
	jobs   atomic.Pointer[map[string]*Job]
}

// New creates and registers the metrics. inFlight reports the jobs in
// flight per kind at scrape time, healthy whether each kind's plugin is up
// (1) or down or crash-looping (0).
func New(inFlight, healthy func() map[string]int) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobd_runs_total", Help: "Finished runs by event and status (completed, failed_allowed, failed).",
		}, []string{"event", "status"}),
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobd_attempts_total", Help: "Attempts by event and outcome (ok, retry, permanent).",
		}, []string{"event", "outcome"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "jobd_attempt_duration_seconds", Help: "Duration of attempts, dispatch to answer.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 18),
		}, []string{"event"}),
		Queue: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "jobd_attempt_queue_seconds", Help: "Time attempts waited for a free plugin slot, by kind (not part of their timeout).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 18),
		}, []string{"kind"}),
		PluginRestarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobd_plugin_restarts_total", Help: "Plugin processes restarted after they exited.",
		}, []string{"kind"}),
		DeadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobd_dead_letters_total", Help: "Runs dead-lettered, by event.",
		}, []string{"event"}),
	}
	m.jobs.Store(&map[string]*Job{})
	m.Registry.MustRegister(m.Runs, m.Attempts, m.Duration, m.Queue, m.PluginRestarts, m.DeadLetters,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if inFlight != nil {
		m.Registry.MustRegister(&inFlightCollector{f: inFlight, desc: prometheus.NewDesc(
			"jobd_runs_in_flight", "Jobs sent to a plugin and not answered yet, by kind.", []string{"kind"}, nil)})
	}
	if healthy != nil {
		m.Registry.MustRegister(&inFlightCollector{f: healthy, desc: prometheus.NewDesc(
			"jobd_plugin_healthy", "1 when the kind's plugin is up, 0 when it is down or keeps crashing.", []string{"kind"}, nil)})
	}
	return m
}

// inFlightCollector reports a gauge per kind from a function.
type inFlightCollector struct {
	f    func() map[string]int
	desc *prometheus.Desc
}

func (c *inFlightCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *inFlightCollector) Collect(ch chan<- prometheus.Metric) {
	for kind, n := range c.f() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), kind)
	}
}
