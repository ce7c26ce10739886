package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jobd-dev/jobd/engine/internal/api"
	"github.com/jobd-dev/jobd/engine/internal/jobstore"
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
			var recs []*jobstore.Record
			req := api.Request{Status: status, Event: event, Recurring: recurring, Limit: limit}
			if err := apiCall(g, c.Flags().Changed("config"), api.Prefix+".jobs.list", req, &recs); err != nil {
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
			var rec jobstore.Record
			if err := apiCall(g, c.Flags().Changed("config"), api.Prefix+".jobs.get", api.Request{ID: args[0]}, &rec); err != nil {
				return err
			}
			return printJSON(c.OutOrStdout(), rec)
		},
	}
	history := &cobra.Command{
		Use: "history ID", Short: "Show every run of a job: number, start, end, duration, status, error", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var entries []jobstore.Entry
			if err := apiCall(g, c.Flags().Changed("config"), api.Prefix+".jobs.history", api.Request{ID: args[0]}, &entries); err != nil {
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
	for _, op := range []struct{ name, short string }{
		{"cancel", "Cancel a job: it never runs again"},
		{"pause", "Pause a job's series"},
		{"resume", "Resume a paused job"},
		{"retry", "Run a finished job once more, now"},
	} {
		op := op
		cmd.AddCommand(&cobra.Command{
			Use: op.name + " ID", Short: op.short, Args: cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				var rec jobstore.Record
				if err := apiCall(g, c.Flags().Changed("config"), api.Prefix+".jobs."+op.name, api.Request{ID: args[0]}, &rec); err != nil {
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
			var rec jobstore.Record
			if err := apiCall(g, c.Flags().Changed("config"), api.Prefix+".jobs.reschedule", api.Request{ID: args[0], Schedule: s}, &rec); err != nil {
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
