package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jobd-dev/jobd/engine/internal/streams"
)

// soakOptions are the settings of the soak case (-soak).
type soakOptions struct {
	duration time.Duration // how long events are published
	rate     int           // events per second
	every    time.Duration // sample interval
	jsonOut  string        // the samples, as JSON
	pngOut   string        // the chart
}

// SoakSample is one point of the soak: the state of the engine's process,
// its plugin and its data folder, and the latency of the results received
// since the previous sample.
type SoakSample struct {
	// At is the time since publishing began.
	At      time.Duration `json:"at_ns"`
	Seconds float64       `json:"seconds"`
	// RSSMiB is this process's resident memory: the engine and its embedded
	// NATS server (and the harness's publisher, a few MiB).
	RSSMiB float64 `json:"rss_mib"`
	// HeapMiB is the Go heap in use in this process.
	HeapMiB float64 `json:"heap_mib"`
	// PluginMiB is the plugin process's resident memory.
	PluginMiB float64 `json:"plugin_mib"`
	// DiskMiB is the data folder's size per stream (and "total").
	DiskMiB map[string]float64 `json:"disk_mib"`
	// Sent and Completed count events published and results received so
	// far.
	Sent      int `json:"sent"`
	Completed int `json:"completed"`
	// P50MS, P99MS are the latency percentiles (publish → result) of the
	// results received in this interval.
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
}

// SoakReport is what -soak-json holds.
type SoakReport struct {
	Time     time.Time         `json:"time"`
	Machine  map[string]string `json:"machine"`
	Rate     int               `json:"rate"`
	Duration string            `json:"duration"`
	Samples  []SoakSample      `json:"samples"`
	Sent     int               `json:"sent"`
	Received int               `json:"received"`
	Lost     int               `json:"lost"`
}

// window collects the latencies of one sample interval.
type window struct {
	mu        sync.Mutex
	lats      []time.Duration
	completed int
	bad       int // results without a sent time
}

func (w *window) add(d time.Duration) {
	w.mu.Lock()
	w.lats = append(w.lats, d)
	w.completed++
	w.mu.Unlock()
}

// take returns the interval's latencies, sorted, and starts the next one.
func (w *window) take() ([]time.Duration, int) {
	w.mu.Lock()
	l, n := w.lats, w.completed
	w.lats, w.completed = make([]time.Duration, 0, cap(l)), 0
	w.mu.Unlock()
	slices.Sort(l)
	return l, n
}

// streamDirs returns the folder of each stream of a JetStream store.
func streamDirs(storeDir string) map[string]string {
	out := map[string]string{}
	dirs, _ := filepath.Glob(filepath.Join(storeDir, "jetstream", "*", "streams", "*"))
	for _, d := range dirs {
		out[filepath.Base(d)] = d
	}
	return out
}

// runSoak publishes the latency job's events at o.rate for o.duration into
// one engine, samples memory, disk and latency every o.every, and writes
// the samples as JSON and a chart.
func runSoak(ctx context.Context, b *bench, o soakOptions) error {
	r, err := prepareEngine(ctx, b, "soak", []string{})
	if err != nil {
		return err
	}
	defer r.stop()
	if err := r.start(ctx); err != nil {
		return err
	}
	nc := r.srv.nc
	var win window
	sub, err := nc.Subscribe(streams.ResultSubjectPrefix+latencyEvent, func(m *nats.Msg) {
		now := time.Now()
		i := bytes.Index(m.Data, []byte(`"sent":"`))
		var ns int64
		err := fmt.Errorf("no sent time")
		if i >= 0 {
			rest := m.Data[i+len(`"sent":"`):]
			if j := bytes.IndexByte(rest, '"'); j >= 0 {
				ns, err = strconv.ParseInt(string(rest[:j]), 10, 64)
			}
		}
		if err != nil {
			win.mu.Lock()
			win.bad++
			win.mu.Unlock()
			return
		}
		win.add(now.Sub(time.Unix(0, ns)))
	})
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	_ = sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		return err
	}

	rep := SoakReport{Time: time.Now().UTC(), Machine: machine(), Rate: o.rate, Duration: o.duration.String()}
	storeDir := filepath.Join(r.cfg.Server.DataDir, "nats")
	start := time.Now()
	completed := 0
	var sentMu sync.Mutex
	sent := 0
	sample := func() {
		lats, n := win.take()
		completed += n
		s := SoakSample{At: time.Since(start), RSSMiB: float64(statusKB("self", "VmRSS")) / 1024, HeapMiB: heapMiB(),
			DiskMiB: map[string]float64{}, Completed: completed}
		s.Seconds = s.At.Seconds()
		for _, k := range children() {
			s.PluginMiB += float64(statusKB(k, "VmRSS")) / 1024
		}
		total := 0.0
		for name, dir := range streamDirs(storeDir) {
			mib := dirMiB(dir)
			s.DiskMiB[name] = mib
			total += mib
		}
		s.DiskMiB["total"] = total
		sentMu.Lock()
		s.Sent = sent
		sentMu.Unlock()
		if len(lats) > 0 {
			s.P50MS, s.P99MS = ms(percentile(lats, 50)), ms(percentile(lats, 99))
		}
		rep.Samples = append(rep.Samples, s)
		progress("soak %4.0fs: rss %.0f MiB (heap %.0f), plugin %.0f MiB, disk %.0f MiB, %d sent, %d done, p99 %.1f ms",
			s.Seconds, s.RSSMiB, s.HeapMiB, s.PluginMiB, total, s.Sent, s.Completed, s.P99MS)
	}

	// Publish at the rate, every millisecond what is due; sample on a ticker.
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		t := time.NewTicker(o.every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	for {
		el := time.Since(start)
		if el >= o.duration || ctx.Err() != nil {
			break
		}
		due := int(el.Seconds() * float64(o.rate))
		sentMu.Lock()
		for ; sent < due; sent++ {
			if err := nc.Publish(latencySubject, eventBody(sent, time.Now())); err != nil {
				sentMu.Unlock()
				close(done)
				sampler.Wait()
				return err
			}
		}
		sentMu.Unlock()
		time.Sleep(time.Millisecond)
	}
	_ = nc.Flush()
	// What is still in flight finishes (a generous deadline), then the
	// last sample.
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		win.mu.Lock()
		got := completed + win.completed
		win.mu.Unlock()
		if got >= sent {
			break
		}
	}
	close(done)
	sampler.Wait()
	sample()
	runtime.GC()
	rep.Sent, rep.Received = sent, completed
	rep.Lost = sent - completed
	if win.bad > 0 {
		return fmt.Errorf("%d results without a sent time", win.bad)
	}
	if o.jsonOut != "" {
		body, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonOut, body, 0o644); err != nil {
			return err
		}
	}
	if o.pngOut != "" {
		if err := drawSoak(o.pngOut, &rep); err != nil {
			return err
		}
	}
	fmt.Printf("soak: %d events at %d/s for %v: %d results, %d lost; peak RSS %.0f MiB, last %.0f MiB; data folder %.0f MiB\n",
		rep.Sent, o.rate, o.duration, rep.Received, rep.Lost, peak(rep.Samples, func(s SoakSample) float64 { return s.RSSMiB }),
		rep.Samples[len(rep.Samples)-1].RSSMiB, rep.Samples[len(rep.Samples)-1].DiskMiB["total"])
	return nil
}

func peak(s []SoakSample, f func(SoakSample) float64) float64 {
	m := 0.0
	for _, x := range s {
		m = max(m, f(x))
	}
	return m
}
