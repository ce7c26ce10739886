package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk/wire"
)

// The runs calls send their request on their subject and decode the reply.
func TestRunsCalls(t *testing.T) {
	nc := startNATS(t)
	api := wire.APISubject
	f := startFake(t, nc, map[string]answer{
		api(wire.EndpointRunsList):   {body: []wire.RunSummary{{RunID: "r1", JobID: "r1", Event: "digest", Status: wire.StatusWaiting, Attempts: 1}}},
		api(wire.EndpointRunsGet):    {body: wire.RunInfo{RunSummary: wire.RunSummary{RunID: "r1", Status: wire.StatusCompleted}, Result: &wire.Result{RunID: "r1"}}},
		api(wire.EndpointRunsCancel): {body: wire.RunCancelReply{RunID: "r1", JobID: "r1", Attempt: 2}},
	})
	c := newClient(t, nc)
	since := t0
	runs, err := c.Runs(ctx(t), wire.Request{Job: "digest", Status: wire.StatusWaiting, Since: &since})
	if err != nil || len(runs) != 1 || runs[0].Status != wire.StatusWaiting {
		t.Fatalf("Runs: %v %+v", err, runs)
	}
	if got := f.request(t, api(wire.EndpointRunsList)); got != `{"status":"waiting","job":"digest","since":"`+t0.Format(time.RFC3339Nano)+`"}` {
		t.Fatalf("runs.list request %s", got)
	}
	if info, err := c.Run(ctx(t), "r1"); err != nil || info.Result == nil || info.RunID != "r1" {
		t.Fatalf("Run: %v %+v", err, info)
	}
	if rep, err := c.CancelRun(ctx(t), "r1"); err != nil || rep.Attempt != 2 {
		t.Fatalf("CancelRun: %v %+v", err, rep)
	}
	if _, err := c.Run(ctx(t), ""); err == nil {
		t.Fatal("Run without an id was sent")
	}
}

func TestTailResults(t *testing.T) {
	nc := startNATS(t)
	c := newClient(t, nc)
	tctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan *wire.Result, 4)
	done := make(chan error, 1)
	go func() {
		done <- c.TailResults(tctx, "digest", func(r *wire.Result) error {
			got <- r
			if len(got) == 2 {
				return errors.New("enough")
			}
			return nil
		})
	}()
	// Publish until the subscription is there; only digest's results count.
	for i := 0; ; i++ {
		b, _ := json.Marshal(wire.Result{RunID: "other", Event: "other"})
		_ = nc.Publish(wire.ResultSubjectPrefix+"other", b)
		b, _ = json.Marshal(wire.Result{RunID: "r", Event: "digest"})
		_ = nc.Publish(wire.ResultSubjectPrefix+"digest", b)
		select {
		case err := <-done:
			if err == nil || err.Error() != "enough" {
				t.Fatalf("TailResults: %v", err)
			}
			for len(got) > 0 {
				if r := <-got; r.Event != "digest" {
					t.Fatalf("tail gave %+v", r)
				}
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if i > 200 {
			t.Fatal("no results tailed")
		}
	}
}
