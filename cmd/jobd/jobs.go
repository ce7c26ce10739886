package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/jobd-dev/jobd/sdk/client"
	"github.com/jobd-dev/jobd/sdk/wire"
	"github.com/spf13/cobra"
)

func jobsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "jobs", Short: "Manage jobs on the running jobd: ls, show, history, cancel, pause, resume, reschedule, retry"}
	var (
		status, event string
		recurring     bool
		limit         int
	)
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List jobs (scheduled, recurring and dispatched), newest first",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var recs []*wire.Record
			req := wire.Request{Status: status, Event: event, Recurring: recurring, Limit: limit}
			err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				recs, err = cl.Jobs(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEVENT\tSTATUS\tRECURRING\tRUNS\tSCHEDULED\tNEXT")
			for _, r := range recs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%d\t%s\t%s\n", r.ID, r.Event, r.Status, r.Recurring, r.ExecutionCount, stamp(&r.ScheduledAt), stamp(r.NextRunAt))
			}
			return tw.Flush()
		},
	}
	ls.Flags().StringVar(&status, "status", "", "only jobs with this status")
	ls.Flags().StringVar(&event, "event", "", "only jobs of this event")
	ls.Flags().BoolVar(&recurring, "recurring", false, "only recurring jobs")
	ls.Flags().IntVar(&limit, "limit", 100, "at most this many")

	show := &cobra.Command{
		Use: "show ID", Short: "Show a job's record", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var rec *wire.Record
			err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				rec, err = cl.Job(ctx, args[0])
				return err
			})
			if err != nil {
				return err
			}
			return printJSON(c.OutOrStdout(), rec)
		},
	}
	history := &cobra.Command{
		Use: "history ID", Short: "Show every run of a job: number, start, end, duration, status, error", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var entries []wire.HistoryEntry
			err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				entries, err = cl.JobHistory(ctx, args[0])
				return err
			})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "#\tRUN\tSTART\tEND\tDURATION\tATTEMPTS\tSTATUS\tERROR")
			for _, e := range entries {
				msg := ""
				if e.Error != nil {
					msg = e.Error.Class + ": " + e.Error.Message
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", e.Number, e.RunID, stamp(e.StartedAt), stamp(&e.EndedAt),
					strconv.FormatFloat(e.DurationMS, 'f', 1, 64)+"ms", e.Attempts, e.Status, msg)
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(ls, show, history)
	for _, op := range []struct {
		name, short string
		call        func(*client.Client, context.Context, string) (*wire.Record, error)
	}{
		{"cancel", "Cancel a job: it never runs again", (*client.Client).CancelJob},
		{"pause", "Pause a job's series", (*client.Client).PauseJob},
		{"resume", "Resume a paused job", (*client.Client).ResumeJob},
		{"retry", "Run a finished job once more, now", (*client.Client).RetryJob},
	} {
		op := op
		cmd.AddCommand(&cobra.Command{
			Use: op.name + " ID", Short: op.short, Args: cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				var rec *wire.Record
				err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
					rec, err = op.call(cl, ctx, args[0])
					return err
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(c.OutOrStdout(), "%s %s\n", rec.ID, rec.Status)
				return nil
			},
		})
	}
	var sf scheduleFlags
	reschedule := &cobra.Command{
		Use: "reschedule ID --start-at T | --cron EXPR --tz ZONE | --every D", Short: "Give a job a new schedule", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			s := sf.schedule()
			if s == nil {
				return usage("give --start-at, --every or --cron")
			}
			var rec *wire.Record
			err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				rec, err = cl.RescheduleJob(ctx, args[0], s)
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "%s %s next %s\n", rec.ID, rec.Status, stamp(rec.NextRunAt))
			return nil
		},
	}
	sf.add(reschedule)
	cmd.AddCommand(reschedule)
	return cmd
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
