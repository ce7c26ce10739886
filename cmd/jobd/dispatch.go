package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jobd-dev/jobd/sdk/client"
	"github.com/jobd-dev/jobd/sdk/wire"
	"github.com/spf13/cobra"
)

// scheduleFlags are the schedule flags of dispatch and reschedule.
type scheduleFlags struct {
	startAt, every, cron, tz, endDate, delay, misfire string
	limit                                             int
}

func (f *scheduleFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.startAt, "start-at", "", "first run: RFC 3339 time or Unix milliseconds")
	cmd.Flags().StringVar(&f.delay, "delay", "", "first run after this duration")
	cmd.Flags().StringVar(&f.every, "every", "", "repeat interval, e.g. 24h")
	cmd.Flags().StringVar(&f.cron, "cron", "", "repeat on a 5-field cron expression")
	cmd.Flags().StringVar(&f.tz, "tz", "", "IANA time zone of --cron (default UTC)")
	cmd.Flags().IntVar(&f.limit, "limit", 0, "most runs in the series")
	cmd.Flags().StringVar(&f.endDate, "end-date", "", "no run after this time")
	cmd.Flags().StringVar(&f.misfire, "misfire", "", "missed runs after downtime: once, skip or all")
}

// schedule returns the flags as a schedule, or nil when none was given.
func (f *scheduleFlags) schedule() *wire.Schedule {
	if *f == (scheduleFlags{}) {
		return nil
	}
	s := &wire.Schedule{Cron: f.cron, TZ: f.tz, Limit: f.limit, Misfire: f.misfire}
	if f.startAt != "" {
		s.StartAt = f.startAt
	}
	if f.delay != "" {
		s.Delay = f.delay
	}
	if f.every != "" {
		s.Every = f.every
	}
	if f.endDate != "" {
		s.EndDate = f.endDate
	}
	return s
}

func dispatchCmd(g *globals) *cobra.Command {
	var (
		input, sequence string
		retries         int
		allowFail, now  bool
		sf              scheduleFlags
	)
	cmd := &cobra.Command{
		Use:   "dispatch EVENT [--input JSON] [--sequence JSON] [--now | --start-at T | --delay D] [--every D | --cron EXPR --tz ZONE] [--limit N] [--end-date T] [--misfire M] [--retries N] [--allow-fail] [--json]",
		Short: "Ask the running jobd to run a configured job with this input and schedule; prints the job id and when it runs",
		Long: `Ask the running jobd to run a configured job with this input; prints the job id and when it runs.

With no schedule flags the job follows its configured schedule (a piped start_at
is evaluated against --input, as for an event; a cron job starts a series), or
runs once, now, when it has none. --now runs it once, at once, whatever its
schedule. Schedule flags replace the configured schedule.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &wire.DispatchRequest{Event: args[0], Schedule: sf.schedule(), Now: now}
			if now && req.Schedule != nil {
				return usage("--now runs the job once, at once: it takes no schedule flags")
			}
			if input != "" {
				if !json.Valid([]byte(input)) {
					return usage("--input is not JSON")
				}
				req.Input = json.RawMessage(input)
			}
			if sequence != "" {
				req.Sequence = json.RawMessage(sequence)
			}
			if cmd.Flags().Changed("retries") {
				req.Retries = &retries
			}
			if cmd.Flags().Changed("allow-fail") {
				req.AllowFail = &allowFail
			}
			var reply *wire.DispatchReply
			err := withClient(g, cmd.Flags().Changed("config"), func(ctx context.Context, c *client.Client) (err error) {
				reply, err = c.Dispatch(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			if jsonOut, _ := cmd.Flags().GetBool("json"); jsonOut {
				return printJSON(cmd.OutOrStdout(), reply)
			}
			fmt.Fprintln(cmd.OutOrStdout(), reply.JobID)
			// stdout is the job id alone, for scripts; what happens next goes to stderr.
			fmt.Fprintln(cmd.ErrOrStderr(), describeDispatch(reply))
			return nil
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "the job's $Input as JSON (data, never a template)")
	cmd.Flags().StringVar(&sequence, "sequence", "", "earlier outputs ($Sequence) as JSON")
	cmd.Flags().IntVar(&retries, "retries", 0, "override the job's retries")
	cmd.Flags().BoolVar(&allowFail, "allow-fail", false, "override the job's allow_fail")
	cmd.Flags().BoolVar(&now, "now", false, "run the job once, at once, whatever its configured schedule")
	cmd.Flags().Bool("json", false, "print the whole reply as JSON")
	sf.add(cmd)
	return cmd
}

// describeDispatch says when a dispatched job runs: `queued, runs now`,
// `scheduled at T`, or for a series `scheduled (cron "0 9 * * *"
// Europe/Berlin), next run T`, naming the configured schedule when the job
// follows it.
func describeDispatch(r *wire.DispatchReply) string {
	var what string
	if s := r.Schedule; r.Recurring && s != nil {
		switch {
		case s.Cron != "":
			tz := s.TZ
			if tz == "" {
				tz = "UTC"
			}
			what = fmt.Sprintf("cron %q %s", s.Cron, tz)
		case s.Every != "":
			what = "every " + s.Every
		}
		if s.Limit > 0 {
			what += fmt.Sprintf(", limit %d", s.Limit)
		}
	}
	origin := ""
	if r.Configured {
		origin = "the configured schedule: "
	}
	switch {
	case what != "" && r.NextRunAt != nil:
		return fmt.Sprintf("scheduled (%s%s), next run %s", origin, what, r.NextRunAt.Format(time.RFC3339))
	case r.Status == wire.StatusQueued:
		return "queued, runs now"
	default:
		return fmt.Sprintf("scheduled (%sonce), runs at %s", origin, r.ScheduledAt.Format(time.RFC3339))
	}
}
