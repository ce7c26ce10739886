package main

import (
	"context"
	"fmt"
)

// floorSamples are the floor cases' samples, one per repetition.
type floorSamples struct {
	pub, cons, grpc1, grpc1p50, grpcN, grpcB []float64
	evalNS, evalJSONNS, pipe, pipeCPU        []float64
	pipeAllocs, pipeAllocKB                  []float64
	pipeP50, pipeP99, pipeP999               []float64
}

// floorRep runs repetition i of every floor case into fl. It returns the
// no-plugin pipeline's rate, or 0 when that case failed.
func floorRep(ctx context.Context, b *bench, i int, fl *floorSamples, fail func(string, error)) float64 {
	progress("floor %d/%d: JetStream publish and consume (%d messages)", i+1, b.reps, b.events)
	if p, c, err := floorJetStream(ctx, b, i); err != nil {
		fail("floor jetstream", err)
	} else {
		fl.pub, fl.cons = append(fl.pub, p), append(fl.cons, c)
	}
	progress("floor %d/%d: gRPC round trips to the no-op plugin", i+1, b.reps)
	if g, err := floorGRPC(ctx, b, i); err != nil {
		fail("floor grpc", err)
	} else {
		fl.grpc1, fl.grpc1p50 = append(fl.grpc1, g.oneCallsPerSec), append(fl.grpc1p50, us(g.oneP50))
		fl.grpcN, fl.grpcB = append(fl.grpcN, g.manyCallsPerS), append(fl.grpcB, g.batchJobsPerS)
	}
	progress("floor %d/%d: template evaluation", i+1, b.reps)
	if e, em, err := floorEval(b); err != nil {
		fail("floor eval", err)
	} else {
		fl.evalNS, fl.evalJSONNS = append(fl.evalNS, e), append(fl.evalJSONNS, em)
	}
	progress("floor %d/%d: pipeline without plugin (%d events, a fresh child process)", i+1, b.reps, b.events)
	prof := ""
	if i == 0 && b.cpuProfile != "" {
		prof = b.cpuProfile + ".floor"
	}
	st, err := runFloorProc(ctx, b, i, prof)
	rate := st.rate
	if err != nil {
		fail("floor pipeline", err)
		rate = 0
	} else {
		fl.pipe, fl.pipeCPU = append(fl.pipe, rate), append(fl.pipeCPU, us(st.cpuPerJob))
		fl.pipeAllocs, fl.pipeAllocKB = append(fl.pipeAllocs, st.allocs), append(fl.pipeAllocKB, st.allocBytes/1024)
		progress("  %.0f jobs/s", rate)
	}
	progress("floor %d/%d: pipeline without plugin at %d/s for %v", i+1, b.reps, b.rate, b.floorDuration)
	if l, err := runLatencyProc(ctx, b, i, true); err != nil {
		fail("floor pipeline latency", err)
	} else {
		fl.pipeP50, fl.pipeP99, fl.pipeP999 = append(fl.pipeP50, ms(l.p50)), append(fl.pipeP99, ms(l.p99)), append(fl.pipeP999, ms(l.p999))
		if l.received < l.sent {
			fail("floor pipeline latency", fmt.Errorf("%d of %d results", l.received, l.sent))
		}
	}
	return rate
}
