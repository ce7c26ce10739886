package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jobd-dev/jobd/sdk/client"
	"github.com/jobd-dev/jobd/sdk/wire"
)

func runsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "runs", Short: "Runs on the running jobd (event-triggered ones too): ls, show, cancel, tail"}
	var (
		job, status, since string
		limit              int
	)
	ls := &cobra.Command{
		Use:   "ls [--job J] [--status S] [--since T]",
		Short: "List the latest runs, newest first: finished ones and those waiting for a retry",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			req := wire.Request{Job: job, Status: status, Limit: limit}
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return usage("--since: %v", err)
				}
				req.Since = &t
			}
			var out []wire.RunSummary
			err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				out, err = cl.Runs(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			if asJSON, _ := c.Flags().GetBool("json"); asJSON {
				return printJSON(c.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tJOB\tEVENT\tSTATUS\tATTEMPTS\tRECEIVED\tFINISHED/NEXT\tERROR")
			for _, r := range out {
				when := stamp(r.FinishedAt)
				if r.NextAttemptAt != nil {
					when = "next " + stamp(r.NextAttemptAt)
				}
				msg := "-"
				if r.Error != nil {
					msg = r.Error.Class + ": " + oneLine(r.Error.Message, 80)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.RunID, r.JobID, r.Event, r.Status, r.Attempts, stamp(&r.ReceivedAt), when, msg)
			}
			return tw.Flush()
		},
	}
	ls.Flags().StringVar(&job, "job", "", "only runs of this job (event tag or job id)")
	ls.Flags().StringVar(&status, "status", "", "only runs with this status: completed, failed, failed_allowed, waiting (for a retry) or cancelled (while waiting)")
	ls.Flags().StringVar(&since, "since", "", "only runs received since this time (RFC 3339) or this long ago (a duration, e.g. 1h)")
	ls.Flags().IntVar(&limit, "limit", 50, "at most this many")
	ls.Flags().Bool("json", false, "print JSON")

	show := &cobra.Command{
		Use: "show RUN_ID", Short: "Show a run: attempts, timings, errors, input (secrets redacted), output", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out *wire.RunInfo
			err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				out, err = cl.Run(ctx, args[0])
				return err
			})
			if err != nil {
				return err
			}
			return printJSON(c.OutOrStdout(), out)
		},
	}
	cancel := &cobra.Command{
		Use: "cancel RUN_ID", Short: "Cancel a run waiting for a retry: its next attempt does not run", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out *wire.RunCancelReply
			err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				out, err = cl.CancelRun(ctx, args[0])
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "cancelled run %s: attempt %d will not run (job %s is cancelled)\n", out.RunID, out.Attempt, out.JobID)
			return nil
		},
	}
	var tailJob string
	tail := &cobra.Command{
		Use: "tail [--job EVENT]", Short: "Print each run's result as it finishes, until interrupted", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			asJSON, _ := c.Flags().GetBool("json")
			return withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) error {
				ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
				defer stop()
				w := c.OutOrStdout()
				return cl.TailResults(ctx, tailJob, func(r *wire.Result) error {
					if asJSON {
						return printJSON(w, r)
					}
					msg := ""
					if r.Error != nil {
						msg = " " + r.Error.Class + ": " + oneLine(r.Error.Message, 120)
					}
					_, err := fmt.Fprintf(w, "%s %s %s %s attempts=%d %.1fms%s\n", r.FinishedAt.UTC().Format(time.RFC3339), r.Event, r.RunID, r.Status, r.Attempts, r.DurationMS, msg)
					return err
				})
			})
		},
	}
	tail.Flags().StringVar(&tailJob, "job", "", "only results of this job (event tag)")
	tail.Flags().Bool("json", false, "print each result as JSON")
	cmd.AddCommand(ls, show, cancel, tail)
	return cmd
}

// parseSince reads --since: an RFC 3339 time, or a duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", s)
	}
	return t, nil
}

// oneLine shortens a message to one line of at most n characters.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
