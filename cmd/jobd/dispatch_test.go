package main

import (
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk/wire"
)

func TestDescribeDispatchSaysWhenTheJobRuns(t *testing.T) {
	next := time.Date(2026, 12, 24, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		reply wire.DispatchReply
		want  string
	}{
		{"configured cron", wire.DispatchReply{Status: wire.StatusScheduled, Recurring: true, NextRunAt: &next, Configured: true,
			Schedule: &wire.RecordSchedule{Cron: "0 9 * * *", TZ: "Europe/Berlin"}},
			`scheduled (the configured schedule: cron "0 9 * * *" Europe/Berlin), next run 2026-12-24T08:00:00Z`},
		{"every with a limit", wire.DispatchReply{Status: wire.StatusScheduled, Recurring: true, NextRunAt: &next,
			Schedule: &wire.RecordSchedule{Every: "1h0m0s", Limit: 3}},
			`scheduled (every 1h0m0s, limit 3), next run 2026-12-24T08:00:00Z`},
		{"now", wire.DispatchReply{Status: wire.StatusQueued, ScheduledAt: next}, "queued, runs now"},
		{"later", wire.DispatchReply{Status: wire.StatusScheduled, ScheduledAt: next, Configured: true},
			"scheduled (the configured schedule: once), runs at 2026-12-24T08:00:00Z"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := describeDispatch(&c.reply); got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestDispatchNowTakesNoScheduleFlags(t *testing.T) {
	code := execute([]string{"dispatch", "daily", "--now", "--every", "1h", "-c", "/nonexistent/config.toml"})
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
}
