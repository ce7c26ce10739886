package main

// The scheduled-run cases (-sched): many pending one-shot runs created
// through jobd.dispatch, the memory they hold, a restart over them, and the
// lateness of runs due in the same second and at a steady rate. See the
// "Scheduled runs" section of docs/PERFORMANCE.md.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/engine/internal/api"
	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/engine/internal/streams"
)

const (
	schedEvent   = "bench_sched"
	schedSubject = "bench.sched"
	// schedInFlight is how many dispatch requests the harness keeps in
	// flight (one goroutine each, nc.Request).
	schedInFlight = 128
)

// schedOptions are the -sched settings.
type schedOptions struct {
	pending     int           // pending one-shot runs spread over the next 24 h
	burst       int           // runs due in the same second
	steadyRate  int           // runs due per second in the steady case
	steadyFor   time.Duration // length of the steady case
	horizon     time.Duration // pending runs are due in [now+minAhead, now+horizon)
	minAhead    time.Duration
	dispatchMax time.Duration // stop creating pending runs after this long
	memProfile  string        // write a heap profile once the pending runs exist
}

// writeSchedConfig writes an engine configuration with one job, triggered
// by nothing the bench publishes and run by dispatch: the no-op plugin,
// retries = 0, and an input that carries the due time back in the result.
func writeSchedConfig(b *bench, dir string) (string, error) {
	s := fmt.Sprintf(`[server]
  data_dir = %q
  http = ""
  log_level = "warn"
[nats]
  listen = "127.0.0.1:0"
[plugins]
  dir = %q

[[jobs]]
  event = %q
  kind = "noop"
  on = [%q]
  retries = 0
  allow_fail = false
  [jobs.input]
    due = "$Input{due}"
    n = "$Input{n}"
`, filepath.Join(dir, "data"), filepath.Dir(b.noopPath), schedEvent, schedSubject)
	path := filepath.Join(dir, "config.toml")
	return path, os.WriteFile(path, []byte(s), 0o644)
}

// schedEngine is an engine that starts its own embedded NATS server (as
// `jobd run` does), so a restart includes the server's recovery of the
// streams and of every pending schedule.
type schedEngine struct {
	cfg *config.Config
	cat *catalog.Catalog
	e   *engine.Engine
	nc  *nats.Conn
}

func (s *schedEngine) start(ctx context.Context, b *bench) (time.Duration, error) {
	s.e = engine.New(s.cfg, s.cat, engine.Options{Logger: b.log, Environ: []string{}, Version: "bench"})
	t0 := time.Now()
	if err := s.e.Start(ctx); err != nil {
		return 0, err
	}
	took := time.Since(t0)
	nc, err := nats.Connect(s.e.NATSURL(), nats.Name("jobd-bench-sched"))
	if err != nil {
		s.e.Stop(context.Background())
		return 0, err
	}
	s.nc = nc
	return took, nil
}

func (s *schedEngine) stop() time.Duration {
	t0 := time.Now()
	if s.nc != nil {
		s.nc.Close()
		s.nc = nil
	}
	if s.e != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s.e.Stop(ctx)
		cancel()
		s.e = nil
	}
	return time.Since(t0)
}

// dispatchReq is the body of one jobd.dispatch request.
func dispatchReq(n int, due time.Time) []byte {
	return fmt.Appendf(nil, `{"event":%q,"input":{"due":"%d","n":"%d"},"schedule":{"start_at":%q}}`,
		schedEvent, due.UnixMilli(), n, due.UTC().Format(time.RFC3339Nano))
}

// dispatchAll sends the requests with schedInFlight in flight and checks
// every reply. It stops early (returning how many were created) when
// stopAfter passes.
func dispatchAll(nc *nats.Conn, reqs func(i int) []byte, n int, stopAfter time.Duration, onProgress func(done int)) (int, time.Duration, error) {
	var (
		next, done atomic.Int64
		firstErr   atomic.Value
		wg         sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(stopAfter)
	for w := 0; w < schedInFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if firstErr.Load() != nil || (stopAfter > 0 && time.Now().After(deadline)) {
					return
				}
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				m, err := nc.Request(api.DispatchSubject, reqs(i), 60*time.Second)
				if err == nil && (m.Header.Get("Nats-Service-Error-Code") != "" || !bytes.Contains(m.Data, []byte(`"job_id"`))) {
					err = fmt.Errorf("dispatch %d: %s", i, m.Data)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				if d := done.Add(1); onProgress != nil && d%50000 == 0 {
					onProgress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if e := firstErr.Load(); e != nil {
		return int(done.Load()), took, e.(error)
	}
	return int(done.Load()), took, nil
}

// startWatcher collects every result on jobd.result.<schedEvent>: the
// run's started_at against its due time (the input's "due", Unix ms).
type startWatcher struct {
	mu      sync.Mutex
	starts  map[int]time.Time // n → started_at
	due     map[int]time.Time // n → due (requested start_at)
	fired   map[int]time.Time // n → when its run reached jobd.runs.<schedEvent>
	failed  int
	sub     *nats.Subscription
	runsSub *nats.Subscription
	arrived chan struct{}
}

func watchStarts(nc *nats.Conn) (*startWatcher, error) {
	w := &startWatcher{starts: map[int]time.Time{}, due: map[int]time.Time{}, fired: map[int]time.Time{}, arrived: make(chan struct{}, 1)}
	// A timer fires by publishing its run: its arrival on the runs subject
	// is when it fired (JOBD_RUNS is purged of finished runs, so it is
	// watched, not read back).
	runsSub, err := nc.Subscribe(streams.RunsSubjectPrefix+schedEvent, func(m *nats.Msg) {
		at := time.Now()
		var r struct {
			Input struct {
				N string `json:"n"`
			} `json:"input"`
		}
		if json.Unmarshal(m.Data, &r) != nil {
			return
		}
		if n, err := strconv.Atoi(r.Input.N); err == nil {
			w.mu.Lock()
			if _, seen := w.fired[n]; !seen {
				w.fired[n] = at
			}
			w.mu.Unlock()
		}
	})
	if err != nil {
		return nil, err
	}
	_ = runsSub.SetPendingLimits(-1, -1)
	w.runsSub = runsSub
	sub, err := nc.Subscribe(streams.ResultSubjectPrefix+schedEvent, func(m *nats.Msg) {
		var r struct {
			Status    string     `json:"status"`
			StartedAt *time.Time `json:"started_at"`
			Input     struct {
				Due string `json:"due"`
				N   string `json:"n"`
			} `json:"input"`
		}
		err := json.Unmarshal(m.Data, &r)
		n, err2 := strconv.Atoi(r.Input.N)
		ms, err3 := strconv.ParseInt(r.Input.Due, 10, 64)
		w.mu.Lock()
		if err != nil || err2 != nil || err3 != nil || r.StartedAt == nil || r.Status != "completed" {
			w.failed++
		} else {
			w.starts[n] = *r.StartedAt
			w.due[n] = time.UnixMilli(ms)
		}
		w.mu.Unlock()
		select {
		case w.arrived <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return nil, err
	}
	_ = sub.SetPendingLimits(-1, -1)
	w.sub = sub
	return w, nc.Flush()
}

func (w *startWatcher) count(lo, hi int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.failed
	for k := range w.starts {
		if k >= lo && k < hi {
			n++
		}
	}
	return n
}

// waitFor waits until the results of runs [lo, hi) arrived or the deadline
// passes.
func (w *startWatcher) waitFor(lo, hi int, deadline time.Time) int {
	for {
		n := w.count(lo, hi)
		if n >= hi-lo || time.Now().After(deadline) {
			return n
		}
		select {
		case <-w.arrived:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// lateness returns, for the runs numbered [lo, hi), started_at minus the
// requested start_at, sorted.
func (w *startWatcher) lateness(lo, hi int) (late []time.Duration, missing int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for n := lo; n < hi; n++ {
		s, ok := w.starts[n]
		if !ok {
			missing++
			continue
		}
		late = append(late, s.Sub(w.due[n]))
	}
	slices.Sort(late)
	return late, missing
}

// settledRSS returns VmRSS in MiB after a GC that returns freed memory to
// the OS, so figures before and after compare what is live.
func settledRSS() float64 {
	runtime.GC()
	debug.FreeOSMemory()
	time.Sleep(200 * time.Millisecond)
	return float64(statusKB("self", "VmRSS")) / 1024
}

func heapMiB() float64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

func dirMiB(dir string) float64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return float64(n) / (1 << 20)
}

// runSched runs the scheduled-run cases and adds figures and targets to
// rep. Everything happens on one engine and its data folder: the pending
// runs are created, the engine restarted over them, and the burst and the
// steady case run on the restarted engine with the pending runs in place.
func runSched(ctx context.Context, b *bench, o schedOptions, rep *Report, fail func(string, error)) {
	rep.Settings["sched_pending"] = o.pending
	rep.Settings["sched_burst"] = o.burst
	rep.Settings["sched_steady_rate"] = o.steadyRate
	rep.Settings["sched_steady_for"] = o.steadyFor.String()
	rep.Settings["sched_in_flight"] = schedInFlight
	F := func(name, unit string, v float64, note string) {
		f := newFigure("sched", name, unit, []float64{v})
		if math.IsNaN(v) {
			f = newFigure("sched", name, unit, nil)
		}
		f.Note = note
		rep.Figures = append(rep.Figures, f)
	}
	T := func(name, want string, v float64, unit string, met bool) {
		rep.Targets = append(rep.Targets, Target{Name: name, Want: want, Value: v, Unit: unit, Met: met && !math.IsNaN(v)})
	}

	dir := b.tempDir("sched")
	path, err := writeSchedConfig(b, dir)
	if err != nil {
		fail("sched config", err)
		return
	}
	cfg, cat, err := engine.Load(path, []string{})
	if err != nil {
		fail("sched config", err)
		return
	}
	se := &schedEngine{cfg: cfg, cat: cat}
	rssBase := settledRSS()
	if _, err := se.start(ctx, b); err != nil {
		fail("sched start", err)
		return
	}
	defer se.stop()

	// 1. Pending runs, due over the next day.
	rssBefore := settledRSS()
	heapBefore := heapMiB()
	hwmOK := resetHWM()
	mem := startMemSampler()
	now := time.Now()
	span := o.horizon - o.minAhead
	progress("sched: dispatching %d one-shot runs due over the next %v (%d in flight)", o.pending, o.horizon, schedInFlight)
	created, took, err := dispatchAll(se.nc, func(i int) []byte {
		due := now.Add(o.minAhead + time.Duration(float64(span)*float64(i)/float64(o.pending)))
		return dispatchReq(-1-i, due)
	}, o.pending, o.dispatchMax, func(d int) { progress("  %d created, %.0f/s", d, perSecond(d, time.Since(now))) })
	peakRSS, _ := mem.done()
	hwm := math.NaN()
	if hwmOK {
		hwm = float64(statusKB("self", "VmHWM")) / 1024
	}
	if err != nil {
		fail("sched dispatch", err)
	}
	if created < o.pending {
		progress("sched: %d of %d created within %v", created, o.pending, o.dispatchMax)
	}
	rate := perSecond(created, took)
	rssAfter := settledRSS()
	if o.memProfile != "" {
		if f, err := os.Create(o.memProfile); err != nil {
			fail("sched memprofile", err)
		} else {
			if err := pprof.WriteHeapProfile(f); err != nil {
				fail("sched memprofile", err)
			}
			f.Close()
		}
	}
	heapAfter := heapMiB()
	// The duplicate window (2 min of Nats-Msg-Id per stream) is part of the
	// figure right after creation; measure again once it has passed when
	// the run is long enough for that to matter.
	perRun := (rssAfter - rssBefore) * 1024 / float64(max(created, 1))
	progress("  %d created in %v (%.0f/s); RSS %.0f → %.0f MiB (%.2f KiB per pending run), heap %.0f → %.0f MiB",
		created, took.Round(time.Millisecond), rate, rssBefore, rssAfter, perRun, heapBefore, heapAfter)
	F("pending runs created via jobd.dispatch", "runs", float64(created), fmt.Sprintf("due over the next %v", o.horizon))
	F("dispatch rate", "runs/s", rate, fmt.Sprintf("%d requests in flight", schedInFlight))
	F("RSS before (engine+NATS+harness, idle)", "MiB", rssBefore, "after GC + FreeOSMemory")
	F("RSS with the pending runs", "MiB", rssAfter, "after GC + FreeOSMemory")
	F("peak RSS while dispatching", "MiB", peakRSS, "VmRSS sampled every 50 ms")
	F("VmHWM while dispatching", "MiB", hwm, "reset before")
	F("RSS per pending run", "KiB", perRun, "after − before, over runs")
	F("Go heap in use per pending run", "KiB", (heapAfter-heapBefore)*1024/float64(max(created, 1)), "runtime.MemStats.HeapInuse")
	F("data folder on disk", "MiB", dirMiB(dir), "")
	_ = rssBase

	// 2. Restart over the pending runs. A probe run is due one second after
	// the stop; the figure is from the call to Start to the probe's start.
	w0, err := watchStarts(se.nc)
	if err != nil {
		fail("sched subscribe", err)
		return
	}
	_ = w0
	probeDue := time.Now().Add(3 * time.Second).Truncate(time.Second).Add(time.Second)
	if _, _, err := dispatchAll(se.nc, func(int) []byte { return dispatchReq(0, probeDue) }, 1, 0, nil); err != nil {
		fail("sched probe", err)
		return
	}
	progress("sched: restart (stop, then start on the same data folder)")
	stopTook := se.stop()
	rssStopped := settledRSS()
	if d := time.Until(probeDue.Add(100 * time.Millisecond)); d > 0 {
		time.Sleep(d) // the probe is due while the engine is down
	}
	restartAt := time.Now()
	startTook, err := se.start(ctx, b)
	if err != nil {
		fail("sched restart", err)
		return
	}
	w, err := watchStarts(se.nc)
	if err != nil {
		fail("sched subscribe", err)
		return
	}
	defer w.sub.Unsubscribe()
	defer w.runsSub.Unsubscribe()
	// The probe's result may have been published before the subscription:
	// read it from JOBD_RESULTS instead.
	probeStart := math.NaN()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if t, ok := lastStarted(ctx, se, "0"); ok {
			probeStart = float64(t.Sub(restartAt)) / float64(time.Second)
			if t.Before(restartAt) {
				fail("sched restart", fmt.Errorf("the probe ran before the stop (Stop took %v)", stopTook))
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second)
	rssRestarted := settledRSS()
	progress("  stop %v, Start returned after %v, first due run started %.2f s after Start was called; RSS %.0f MiB (stopped %.0f)",
		stopTook.Round(time.Millisecond), startTook.Round(time.Millisecond), probeStart, rssRestarted, rssStopped)
	F("restart: Stop", "s", stopTook.Seconds(), "")
	F("restart: Start returns (ready)", "s", startTook.Seconds(), "embedded NATS recovery + streams + plugin + consumers")
	F("restart: a run due during the downtime starts", "s", probeStart, "after Start was called")
	F("restart: RSS after restart", "MiB", rssRestarted, "after GC + FreeOSMemory")

	// 3. Burst: o.burst runs due at the same whole second.
	est := time.Duration(float64(o.burst)/max(rate, 200)*1.5*float64(time.Second)) + 5*time.Second
	burstT := time.Now().Add(max(est, 10*time.Second)).Truncate(time.Second).Add(time.Second)
	progress("sched: %d runs due at %s (in %v)", o.burst, burstT.Format("15:04:05"), time.Until(burstT).Round(time.Second))
	n0, dtook, err := dispatchAll(se.nc, func(i int) []byte { return dispatchReq(1+i, burstT) }, o.burst, 0, nil)
	if err != nil {
		fail("sched burst dispatch", err)
	}
	if time.Now().After(burstT) {
		fail("sched burst", fmt.Errorf("dispatching took %v, past the due second", dtook))
	}
	stopProf := func() {}
	if b.cpuProfile != "" {
		// Profile the burst, from its due second to its last start.
		time.Sleep(time.Until(burstT))
		if f, err := os.Create(b.cpuProfile); err != nil {
			fail("sched cpuprofile", err)
		} else if err := pprof.StartCPUProfile(f); err != nil {
			fail("sched cpuprofile", err)
			f.Close()
		} else {
			stopProf = func() { pprof.StopCPUProfile(); f.Close() }
		}
	}
	got := w.waitFor(1, 1+n0, burstT.Add(60*time.Second))
	stopProf()
	late, missing := w.lateness(1, 1+o.burst)
	spread := math.NaN()
	if len(late) > 0 {
		spread = late[len(late)-1].Seconds()
	}
	progress("  %d results; last start %.3f s after the due second; p50 %.0f ms, p99 %.0f ms; %d missing",
		got, spread, ms(percentile(late, 50)), ms(percentile(late, 99)), missing)
	F(fmt.Sprintf("%d due in one second: last start − due", o.burst), "s", spread, "started_at of the last run")
	F(fmt.Sprintf("%d due in one second: first start − due", o.burst), "ms", ms(first(late)), "")
	F(fmt.Sprintf("%d due in one second: p50 lateness", o.burst), "ms", ms(percentile(late, 50)), "")
	F(fmt.Sprintf("%d due in one second: p99 lateness", o.burst), "ms", ms(percentile(late, 99)), "")
	F(fmt.Sprintf("%d due in one second: runs missing after 60 s", o.burst), "runs", float64(missing), "")
	fired := w.firedLateness(1, 1+o.burst)
	F(fmt.Sprintf("%d due in one second: timer fired, last − due", o.burst), "s", last(fired).Seconds(), "its run published on jobd.runs.<event>")
	F(fmt.Sprintf("%d due in one second: timer fired, p50 − due", o.burst), "ms", ms(percentile(fired, 50)), "")
	T(fmt.Sprintf("%d due in one second all start", o.burst), "within 2 s", spread, "s", spread <= 2 && missing == 0)

	// 4. Steady: o.steadyRate due per second for o.steadyFor, start_at
	// spread evenly within each second.
	total := o.steadyRate * int(o.steadyFor/time.Second)
	est = time.Duration(float64(total)/max(rate, 200)*1.3*float64(time.Second)) + 5*time.Second
	t0 := time.Now().Add(max(est, 10*time.Second)).Truncate(time.Second).Add(time.Second)
	base := 1 + o.burst
	step := time.Second / time.Duration(o.steadyRate)
	progress("sched: %d due per second for %v from %s (%d runs)", o.steadyRate, o.steadyFor, t0.Format("15:04:05"), total)
	n1, dtook, err := dispatchAll(se.nc, func(i int) []byte {
		// (k−1)·step+1ms after a second, so the last one of each second is
		// due exactly at the next whole second.
		return dispatchReq(base+i, t0.Add(time.Duration(i)*step+time.Millisecond))
	}, total, 0, nil)
	if err != nil {
		fail("sched steady dispatch", err)
	}
	if time.Now().After(t0) {
		fail("sched steady", fmt.Errorf("dispatching took %v, past the first due second", dtook))
	}
	got = w.waitFor(base, base+n1, t0.Add(o.steadyFor+60*time.Second))
	late, missing = w.lateness(base, base+total)
	progress("  %d results; lateness p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d missing",
		got, ms(percentile(late, 50)), ms(percentile(late, 99)), ms(last(late)), missing)
	F(fmt.Sprintf("steady %d due/s: p50 lateness", o.steadyRate), "ms", ms(percentile(late, 50)), "started_at − start_at")
	F(fmt.Sprintf("steady %d due/s: p99 lateness", o.steadyRate), "ms", ms(percentile(late, 99)), "")
	F(fmt.Sprintf("steady %d due/s: max lateness", o.steadyRate), "ms", ms(last(late)), "")
	F(fmt.Sprintf("steady %d due/s: runs missing after 60 s", o.steadyRate), "runs", float64(missing), "")
	fired = w.firedLateness(base, base+total)
	F(fmt.Sprintf("steady %d due/s: timer fired, p99 − due", o.steadyRate), "ms", ms(percentile(fired, 99)), "its run published on jobd.runs.<event>")
	F(fmt.Sprintf("steady %d due/s: timer fired, max − due", o.steadyRate), "ms", ms(last(fired)), "")
	p99 := ms(percentile(late, 99))
	T(fmt.Sprintf("steady %d due/s: p99 lateness", o.steadyRate), "≤ 50 ms", p99, "ms", p99 <= 50 && missing == 0)

	// Targets on the pending set, extrapolated to 1,000,000 when fewer were
	// created (the figure says so).
	mem1M := rssBefore + perRun*1e6/1024
	name := "memory with 1,000,000 pending runs"
	if created < 1_000_000 {
		name += fmt.Sprintf(" (extrapolated from %d)", created)
		mem1M = math.Max(mem1M, 0)
	} else {
		mem1M = rssAfter
	}
	T(name, "< 512 MiB", mem1M, "MiB", mem1M < 512)
	T(fmt.Sprintf("restart ready with %d pending", created), "< 10 s", startTook.Seconds(), "s", startTook < 10*time.Second)
	T(fmt.Sprintf("restart: first due run starts, %d pending", created), "< 10 s", probeStart, "s", probeStart < 10)
}

func first(s []time.Duration) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}

func last(s []time.Duration) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

// lastStarted finds the result of run n (input n) in JOBD_RESULTS and
// returns its started_at.
func lastStarted(ctx context.Context, se *schedEngine, n string) (time.Time, bool) {
	js, err := jetstream.New(se.nc)
	if err != nil {
		return time.Time{}, false
	}
	st, err := js.Stream(ctx, streams.Results)
	if err != nil {
		return time.Time{}, false
	}
	m, err := st.GetLastMsgForSubject(ctx, streams.ResultSubjectPrefix+schedEvent)
	if err != nil {
		return time.Time{}, false
	}
	var r struct {
		StartedAt *time.Time `json:"started_at"`
		Input     struct {
			N string `json:"n"`
		} `json:"input"`
	}
	if json.Unmarshal(m.Data, &r) != nil || r.StartedAt == nil || !strings.EqualFold(r.Input.N, n) {
		return time.Time{}, false
	}
	return *r.StartedAt, true
}

// firedLateness returns, for runs [lo, hi), when each timer fired (its
// run reached jobd.runs.<schedEvent>) minus its due time, sorted: as
// opposed to when the engine started the run.
func (w *startWatcher) firedLateness(lo, hi int) []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []time.Duration
	for n := lo; n < hi; n++ {
		at, ok := w.fired[n]
		due, ok2 := w.due[n]
		if ok && ok2 {
			out = append(out, at.Sub(due))
		}
	}
	slices.Sort(out)
	return out
}
