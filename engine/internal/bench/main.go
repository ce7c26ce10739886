// Command jobd-bench measures, in one run on one machine, what jobd's parts
// cost alone (the floor: JetStream publish and consume, one go-plugin gRPC
// round trip to a no-op plugin, one evaluation of the seed job's compiled
// input template, and the whole pipeline without a plugin call) and what the
// engine does with them (throughput, latency at a steady rate, fan-out), and
// prints both with their ratios. See docs/PERFORMANCE.md.
//
//	go run ./engine/internal/bench            # full run (a few minutes)
//	go run ./engine/internal/bench -quick     # smoke run
//
// Everything runs on loopback: the NATS server is started in this process
// (file storage in a temporary folder), the engine too, and the no-op plugin
// (engine/internal/bench/noop) is built into the temporary folder with go build.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/engine/internal/piping"
)

// bench holds the run's settings and shared state.
type bench struct {
	events        int
	fanoutEvents  int
	reps          int
	duration      time.Duration
	floorDuration time.Duration
	rate          int
	grpcOps       int
	concurrency   int // the no-op plugin's [plugins.noop] concurrency
	cases         map[string]bool
	evalTime      time.Duration
	cpuProfile    string
	trace         string // runtime/trace of the first engine latency repetition
	verbose       bool
	sched         *schedOptions // -sched: only the scheduled-run cases
	soak          *soakOptions  // -soak: only the soak case

	dir      string
	noopPath string
	tmpl     *piping.Template
	log      *slog.Logger
}

func (b *bench) tempDir(name string) string {
	d := filepath.Join(b.dir, name)
	_ = os.MkdirAll(d, 0o755)
	return d
}

// Report is what bench.json holds.
type Report struct {
	Time     time.Time         `json:"time"`
	Machine  map[string]string `json:"machine"`
	Settings map[string]any    `json:"settings"`
	Figures  []Figure          `json:"figures"`
	Ratios   []Ratio           `json:"ratios"`
	Targets  []Target          `json:"targets"`
	Errors   []string          `json:"errors,omitempty"`
}

// Ratio is an engine figure over a floor figure.
type Ratio struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	How   string  `json:"how"`
}

// Target is one of the targets and whether this run met it.
type Target struct {
	Name  string  `json:"name"`
	Want  string  `json:"want"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	Met   bool    `json:"met"`
}

func main() {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(batchChild(spec))
	}
	var (
		events   = flag.Int("events", 100000, "events published in advance for the throughput cases (and messages for the JetStream floor)")
		reps     = flag.Int("reps", 3, "repetitions of every case (the table shows median, min and max)")
		duration = flag.Duration("duration", 20*time.Second, "length of the engine latency case")
		floorDur = flag.Duration("floor-duration", 5*time.Second, "length of the no-plugin pipeline latency floor")
		rate     = flag.Int("rate", 5000, "events per second in the latency cases")
		grpcOps  = flag.Int("grpc-ops", 2000, "round trips at 1 in flight for the gRPC floor (x20 at 64 in flight, x50 jobs batched)")
		fanout   = flag.Int("fanout-events", 0, "events for the fan-out case, each triggering 10 jobs (default events/10)")
		quick    = flag.Bool("quick", false, "smoke run: -events 5000 -reps 1 -duration 2s -floor-duration 1s -grpc-ops 200 unless set")
		cases    = flag.String("cases", "floor,throughput,latency,fanout", "the cases to run (ratios and targets need all of them)")
		conc     = flag.Int("concurrency", 512, "the no-op plugin's jobs in flight ([plugins.noop] concurrency; jobd's default is 64)")
		cpuprof  = flag.String("cpuprofile", "", "write a CPU profile of the first engine throughput repetition to this file, of the no-op plugin to FILE.plugin and of the first no-plugin pipeline to FILE.floor, with allocation profiles before and after each to FILE.allocs0 and FILE.allocs, FILE.floor.allocs0 and FILE.floor.allocs (with -sched: of the burst)")
		traceOut = flag.String("trace", "", "write a runtime/trace of the first engine latency repetition (its child process) to this file; go tool trace -pprof=sched FILE shows where goroutines waited for a CPU")
		jsonOut  = flag.String("json", "bench.json", "write the results as JSON to this file (\"\" for none)")
		keep     = flag.Bool("keep", false, "keep the temporary folder")
		verbose  = flag.Bool("v", false, "log the engine's warnings and errors to stderr")
		sched    = flag.Bool("sched", false, "run only the scheduled-run cases (pending runs, restart, lateness); see docs/PERFORMANCE.md")
		pending  = flag.Int("pending", 1000000, "-sched: pending one-shot runs created via jobd.dispatch, due over the next 24 h (-quick: 20000)")
		burst    = flag.Int("burst", 10000, "-sched: runs due in the same second (-quick: 2000)")
		stRate   = flag.Int("steady-rate", 1000, "-sched: runs due per second in the steady case")
		stFor    = flag.Duration("steady-for", 15*time.Second, "-sched: length of the steady case (-quick: 5s)")
		memprof  = flag.String("memprofile", "", "-sched: write a heap profile of this process once the pending runs exist")
		dispMax  = flag.Duration("dispatch-max", 10*time.Minute, "-sched: stop creating pending runs after this long and extrapolate (0: no limit)")
		soak     = flag.Duration("soak", 0, "run only the soak case for this long at -rate events/s: memory, disk and latency sampled every -soak-every (see docs/PERFORMANCE.md)")
		soakEach = flag.Duration("soak-every", 5*time.Second, "-soak: sample interval")
		soakJSON = flag.String("soak-json", "soak.json", "-soak: write the samples to this file")
		soakPNG  = flag.String("soak-png", "soak.png", "-soak: draw memory, disk and latency over time into this PNG file")
	)
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick {
		q := map[string]func(){
			"events": func() { *events = 5000 }, "reps": func() { *reps = 1 },
			"duration": func() { *duration = 2 * time.Second }, "floor-duration": func() { *floorDur = time.Second },
			"grpc-ops": func() { *grpcOps = 200 },
			"pending":  func() { *pending = 20000 }, "burst": func() { *burst = 2000 },
			"steady-for": func() { *stFor = 5 * time.Second },
		}
		for name, f := range q {
			if !set[name] {
				f()
			}
		}
	}
	if *fanout <= 0 {
		*fanout = max(*events/fanoutJobs, 1)
	}
	if *events < 1 || *reps < 1 || *rate < 1 || *grpcOps < 1 {
		fmt.Fprintln(os.Stderr, "jobd-bench: -events, -reps, -rate and -grpc-ops must be at least 1")
		os.Exit(2)
	}
	b := &bench{
		events: *events, fanoutEvents: *fanout, reps: *reps, duration: *duration, floorDuration: *floorDur,
		rate: *rate, grpcOps: *grpcOps, concurrency: *conc, cases: map[string]bool{}, evalTime: 500 * time.Millisecond, cpuProfile: *cpuprof, trace: *traceOut,
	}
	for _, c := range strings.Split(*cases, ",") {
		b.cases[strings.TrimSpace(c)] = true
	}
	if *quick {
		b.evalTime = 100 * time.Millisecond
	}
	if *sched {
		if *pending < 1 || *burst < 1 || *stRate < 1 || *stFor < time.Second {
			fmt.Fprintln(os.Stderr, "jobd-bench: -pending, -burst and -steady-rate must be at least 1, -steady-for at least 1s")
			os.Exit(2)
		}
		b.sched = &schedOptions{
			pending: *pending, burst: *burst, steadyRate: *stRate, steadyFor: *stFor,
			horizon: 24 * time.Hour, minAhead: 30 * time.Minute, dispatchMax: *dispMax, memProfile: *memprof,
		}
	}
	if *soak > 0 {
		b.soak = &soakOptions{duration: *soak, rate: *rate, every: *soakEach, jsonOut: *soakJSON, pngOut: *soakPNG}
	}
	b.verbose = *verbose
	var logOut io.Writer = io.Discard
	if *verbose {
		logOut = os.Stderr
	}
	b.log = slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn}))

	dir, err := os.MkdirTemp("", "jobd-bench-")
	if err != nil {
		fatal(err)
	}
	b.dir = dir
	if !*keep {
		defer os.RemoveAll(dir)
	} else {
		fmt.Fprintln(os.Stderr, "temporary folder:", dir)
	}
	code := run(b, *jsonOut)
	if !*keep {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "jobd-bench:", err)
	os.Exit(1)
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "· "+format+"\n", args...)
}

// runs reports whether the case is selected with -cases.
func (b *bench) runs(name string) bool { return b.cases[name] }

func run(b *bench, jsonOut string) int {
	ctx := context.Background()
	rep := &Report{Time: time.Now().UTC(), Machine: machine(), Settings: map[string]any{
		"events": b.events, "fanout_events": b.fanoutEvents, "reps": b.reps, "duration": b.duration.String(),
		"floor_duration": b.floorDuration.String(), "rate": b.rate, "grpc_ops": b.grpcOps,
		"concurrency": b.concurrency, "grpc_in_flight": grpcInFlight, "grpc_batch": grpcBatch, "grpc_batch_in_flight": grpcBatchInFlight,
	}}
	fail := func(what string, err error) {
		msg := fmt.Sprintf("%s: %v", what, err)
		rep.Errors = append(rep.Errors, msg)
		fmt.Fprintln(os.Stderr, "jobd-bench:", msg)
	}

	// The no-op plugin, built as jobd-noop, so the engine finds it under
	// plugins.dir for kind "noop".
	progress("building the no-op plugin")
	plugDir := b.tempDir("plugins")
	b.noopPath = filepath.Join(plugDir, "jobd-noop")
	if out, err := exec.Command("go", "build", "-o", b.noopPath, "github.com/jobd-dev/jobd/engine/internal/bench/noop").CombinedOutput(); err != nil {
		fatal(fmt.Errorf("go build the no-op plugin: %v\n%s", err, out))
	}
	// The bench job's compiled template, from the same configuration the
	// engine loads.
	path, err := writeConfig(b, b.tempDir("template"))
	if err != nil {
		fatal(err)
	}
	_, cat, err := engine.Load(path, []string{})
	if err != nil {
		fatal(err)
	}
	b.tmpl = cat.Job(throughputEvent).Input
	if b.sched != nil {
		rep.Settings = map[string]any{}
		runSched(ctx, b, *b.sched, rep, fail)
		return finishReport(b, rep, jsonOut, fail)
	}
	if b.soak != nil {
		if err := runSoak(ctx, b, *b.soak); err != nil {
			fmt.Fprintln(os.Stderr, "jobd-bench: soak:", err)
			return 1
		}
		return 0
	}

	var (
		fl                                               floorSamples
		thr, rss, rssBase, hwm, plugRSS, cpuJob, plugCPU []float64
		allocs, allocKB                                  []float64
		pairs                                            []float64 // engine throughput over the pipeline's, per repetition
		latP50, latP99, latP999, latMax, latRate         []float64
		fan                                              []float64
	)
	// The no-plugin pipeline and the engine's throughput alternate, one
	// repetition of each after the other, so that the machine's drift over
	// the run weighs on both alike; the ratio is the median of the pairs.
	for i := 0; i < b.reps; i++ {
		floorRate := 0.0
		if b.runs("floor") {
			floorRate = floorRep(ctx, b, i, &fl, fail)
		}
		if !b.runs("throughput") {
			continue
		}
		progress("engine %d/%d: throughput (%d events published in advance)", i+1, b.reps, b.events)
		prof := ""
		if i == 0 {
			prof = b.cpuProfile
		}
		st, err := runBatchProc(ctx, b, fmt.Sprintf("engine-throughput-%d", i), throughputSubject, b.events, b.events, prof)
		if err != nil {
			fail("engine throughput", err)
			continue
		}
		thr, rss, plugRSS = append(thr, st.rate), append(rss, st.rssMiB), append(plugRSS, st.pluginMiB)
		rssBase = append(rssBase, st.baseMiB)
		if st.hwmMiB > 0 {
			hwm = append(hwm, st.hwmMiB)
		}
		cpuJob, plugCPU = append(cpuJob, us(st.cpuPerJob)), append(plugCPU, us(st.plugCPUJob))
		allocs, allocKB = append(allocs, st.allocs), append(allocKB, st.allocBytes/1024)
		progress("  %.0f jobs/s, peak RSS %.0f MiB", st.rate, st.rssMiB)
		if floorRate > 0 {
			pairs = append(pairs, st.rate/floorRate)
		}
	}
	pub, cons, grpc1, grpc1p50, grpcN, grpcB := fl.pub, fl.cons, fl.grpc1, fl.grpc1p50, fl.grpcN, fl.grpcB
	evalNS, evalJSONNS, pipe, pipeCPU, pipeP50, pipeP99, pipeP999 := fl.evalNS, fl.evalJSONNS, fl.pipe, fl.pipeCPU, fl.pipeP50, fl.pipeP99, fl.pipeP999
	for i := 0; i < b.reps && b.runs("latency"); i++ {
		progress("engine %d/%d: latency at %d/s for %v", i+1, b.reps, b.rate, b.duration)
		l, err := runLatencyProc(ctx, b, i, false)
		if err != nil {
			fail("engine latency", err)
			continue
		}
		latP50, latP99, latP999 = append(latP50, ms(l.p50)), append(latP99, ms(l.p99)), append(latP999, ms(l.p999))
		latMax, latRate = append(latMax, ms(l.max)), append(latRate, l.achievedRate)
		if l.received < l.sent {
			fail("engine latency", fmt.Errorf("%d of %d results within 15s after the last publish", l.received, l.sent))
		}
		progress("  p50 %.2f ms, p99 %.2f ms", ms(l.p50), ms(l.p99))
	}
	for i := 0; i < b.reps && b.runs("fanout"); i++ {
		progress("engine %d/%d: fan-out (%d events x %d jobs)", i+1, b.reps, b.fanoutEvents, fanoutJobs)
		st, err := runBatchProc(ctx, b, fmt.Sprintf("engine-fanout-%d", i), fanoutSubject, b.fanoutEvents, b.fanoutEvents*fanoutJobs, "")
		if err != nil {
			fail("engine fan-out", err)
			continue
		}
		fan = append(fan, st.rate)
	}

	F := func(group, name, unit string, s []float64, note string) Figure {
		f := newFigure(group, name, unit, s)
		f.Note = note
		rep.Figures = append(rep.Figures, f)
		return f
	}
	fPub := F("floor", "JetStream async publish (file store)", "msgs/s", pub, "")
	fCons := F("floor", "JetStream pull consume + ack (file store)", "msgs/s", cons, "PullMaxMessages 512")
	F("floor", "gRPC no-op, 1 job/call, 1 in flight", "calls/s", grpc1, "")
	fG1 := F("floor", "gRPC no-op, 1 in flight, round trip p50", "µs", grpc1p50, "")
	F("floor", fmt.Sprintf("gRPC no-op, 1 job/call, %d in flight", grpcInFlight), "calls/s", grpcN, "")
	fGB := F("floor", fmt.Sprintf("gRPC no-op, %d jobs/call, %d calls in flight", grpcBatch, grpcBatchInFlight), "jobs/s", grpcB, "")
	F("floor", "seed template evaluation (value tree)", "µs", scale(evalNS, 1e-3), "")
	fEval := F("floor", "seed template evaluation to JSON", "µs", scale(evalJSONNS, 1e-3), "as the engine: straight into the plugin's input")
	F("floor", "pipeline, no plugin: consume+eval+record+ack", "jobs/s", pipe, "written in the harness; a fresh child process, prepared as the engine's")
	fPipeCPU := F("floor", "pipeline, no plugin: CPU per job", "µs", pipeCPU, "pipeline + NATS server, one process")
	F("floor", "pipeline, no plugin: heap allocations per job", "allocs", fl.pipeAllocs, "pipeline + NATS server (runtime/metrics)")
	F("floor", "pipeline, no plugin: heap bytes per job", "KiB", fl.pipeAllocKB, "")
	fPipe50 := F("floor", fmt.Sprintf("pipeline, no plugin, at %d/s: p50", b.rate), "ms", pipeP50, "")
	fPipe99 := F("floor", fmt.Sprintf("pipeline, no plugin, at %d/s: p99", b.rate), "ms", pipeP99, "")
	F("floor", fmt.Sprintf("pipeline, no plugin, at %d/s: p99.9", b.rate), "ms", pipeP999, "")
	fThr := F("engine", "throughput, no-op plugin, retries=3", "jobs/s", thr, "first dispatch → last result stored")
	fRSS := F("engine", "throughput: peak RSS (engine+NATS+harness)", "MiB", rss, "a fresh child process; VmRSS sampled every 50 ms")
	F("engine", "throughput: VmHWM", "MiB", hwm, "reset before the engine starts")
	F("engine", "throughput: RSS before the engine starts", "MiB", rssBase, "NATS with the events + harness, after GC + FreeOSMemory")
	F("engine", "throughput: peak RSS of the plugin process", "MiB", plugRSS, "")
	fCPU := F("engine", "throughput: CPU per job, jobd process", "µs", cpuJob, "engine + NATS server + harness polling, one child process")
	fPlugCPU := F("engine", "throughput: CPU per job, plugin process", "µs", plugCPU, "10 ms tick resolution")
	F("engine", "throughput: heap allocations per job, jobd process", "allocs", allocs, "engine + NATS server + harness polling (runtime/metrics)")
	F("engine", "throughput: heap bytes per job, jobd process", "KiB", allocKB, "")
	fL50 := F("engine", fmt.Sprintf("latency at %d/s: p50", b.rate), "ms", latP50, "publish → result received")
	fL99 := F("engine", fmt.Sprintf("latency at %d/s: p99", b.rate), "ms", latP99, "")
	F("engine", fmt.Sprintf("latency at %d/s: p99.9", b.rate), "ms", latP999, "")
	F("engine", fmt.Sprintf("latency at %d/s: max", b.rate), "ms", latMax, "")
	F("engine", "latency: achieved publish rate", "events/s", latRate, "")
	fFan := F("engine", fmt.Sprintf("fan-out: 1 event → %d jobs", fanoutJobs), "jobs/s", fan, "")

	// Ratios.
	floorSum := 1e6/fPub.Median + 1e6/fCons.Median + fEval.Median + 1e6/fGB.Median
	R := func(name string, v float64, how string) {
		rep.Ratios = append(rep.Ratios, Ratio{Name: name, Value: v, How: how})
	}
	pairRatio := newFigure("", "", "", pairs)
	R("throughput / no-plugin pipeline", pairRatio.Median,
		fmt.Sprintf("engine jobs/s over the pipeline's, median of %d back-to-back pairs (%.2f–%.2f); target ≥ 0.7", len(pairs), pairRatio.Min, pairRatio.Max))
	R("CPU per job: no-plugin pipeline / engine", fPipeCPU.Median/(fCPU.Median+fPlugCPU.Median),
		fmt.Sprintf("%.1f µs over %.1f µs (jobd %.1f + plugin %.1f); the throughput ratio's limit on a CPU-bound machine", fPipeCPU.Median, fCPU.Median+fPlugCPU.Median, fCPU.Median, fPlugCPU.Median))
	R("throughput / batched gRPC floor", fThr.Median/fGB.Median, "engine jobs/s over no-op plugin jobs/s at 32 jobs/call")
	R("cost per job / sum of parts", (1e6/fThr.Median)/floorSum,
		fmt.Sprintf("engine %.1f µs/job over publish + consume&ack + eval + batched gRPC = %.1f µs/job", 1e6/fThr.Median, floorSum))
	R("latency p50 / floor p50", fL50.Median/(fPipe50.Median+fG1.Median/1000),
		fmt.Sprintf("over no-plugin pipeline p50 + one gRPC round trip at 1 in flight = %.2f ms", fPipe50.Median+fG1.Median/1000))
	R("latency p99 / floor p99", fL99.Median/(fPipe99.Median+fG1.Median/1000),
		fmt.Sprintf("over no-plugin pipeline p99 + one gRPC round trip p50 = %.2f ms", fPipe99.Median+fG1.Median/1000))
	R("fan-out / throughput", fFan.Median/fThr.Median, "jobs/s with 10 jobs per event over 1 job per event")

	T := func(name, want string, v float64, unit string, met bool) {
		rep.Targets = append(rep.Targets, Target{Name: name, Want: want, Value: v, Unit: unit, Met: met && !math.IsNaN(v)})
	}
	T("throughput", "≥ 40,000 jobs/s", fThr.Median, "jobs/s", fThr.Median >= 40000)
	T("throughput / no-plugin pipeline", "≥ 0.7", pairRatio.Median, "", pairRatio.Median >= 0.7)
	T(fmt.Sprintf("latency p50 at %d/s", b.rate), "≤ 2 ms", fL50.Median, "ms", fL50.Median <= 2)
	T(fmt.Sprintf("latency p99 at %d/s", b.rate), "≤ 10 ms", fL99.Median, "ms", fL99.Median <= 10)
	T("memory (peak RSS, throughput case)", "< 150 MiB", fRSS.Median, "MiB", fRSS.Median < 150)

	return finishReport(b, rep, jsonOut, fail)
}

// finishReport prints the table, writes bench.json and returns the exit code.
func finishReport(b *bench, rep *Report, jsonOut string, fail func(string, error)) int {
	printReport(os.Stdout, rep)
	if jsonOut != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(jsonOut, append(data, '\n'), 0o644); err != nil {
			fail("write json", err)
		} else {
			fmt.Printf("\nwrote %s\n", jsonOut)
		}
	}
	if b.cpuProfile != "" {
		for _, f := range []string{b.cpuProfile, b.cpuProfile + ".plugin", b.cpuProfile + ".floor"} {
			fmt.Printf("\nCPU profile of the first throughput repetition: %s\n", f)
			out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=25", f).CombinedOutput()
			if err == nil {
				fmt.Print(string(out))
			}
		}
	}
	if len(rep.Errors) > 0 {
		return 1
	}
	return 0
}

func scale(s []float64, k float64) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = v * k
	}
	return out
}

func printReport(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "\njobd bench: %s, %s CPUs (%s), %s, settings %v\n\n",
		rep.Time.Format(time.RFC3339), rep.Machine["nproc"], rep.Machine["cpu"], rep.Machine["go"], rep.Settings)
	fmt.Fprintf(w, "%-7s %-52s %12s %12s %12s  %s\n", "", "case", "median", "min", "max", "unit")
	group := ""
	for _, f := range rep.Figures {
		g := ""
		if f.Group != group {
			g, group = f.Group, f.Group
		}
		fmt.Fprintf(w, "%-7s %-52s %12s %12s %12s  %s", g, f.Name, num(f.Median), num(f.Min), num(f.Max), f.Unit)
		if f.Note != "" {
			fmt.Fprintf(w, "  (%s)", f.Note)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nratios\n")
	for _, r := range rep.Ratios {
		fmt.Fprintf(w, "  %-34s %6.2f   %s\n", r.Name, r.Value, r.How)
	}
	fmt.Fprintf(w, "\ntargets\n")
	for _, t := range rep.Targets {
		mark := "MISSED"
		if t.Met {
			mark = "met"
		}
		fmt.Fprintf(w, "  %-36s %-16s %12s %-6s %s\n", t.Name, t.Want, num(t.Value), t.Unit, mark)
	}
	if len(rep.Errors) > 0 {
		fmt.Fprintf(w, "\nerrors\n")
		for _, e := range rep.Errors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

// num formats a figure with three significant digits and thousands
// separators.
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.Abs(v) >= 1000:
		s := fmt.Sprintf("%.0f", v)
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func machine() map[string]string {
	m := map[string]string{
		"nproc":      fmt.Sprint(runtime.NumCPU()),
		"gomaxprocs": fmt.Sprint(runtime.GOMAXPROCS(0)),
		"go":         runtime.Version(),
		"os":         runtime.GOOS + "/" + runtime.GOARCH,
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				if i := strings.IndexByte(line, ':'); i >= 0 {
					m["cpu"] = strings.TrimSpace(line[i+1:])
				}
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(b))
	}
	return m
}
