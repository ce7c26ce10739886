package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/jobd-dev/jobd/sdk/client"
	"github.com/jobd-dev/jobd/sdk/wire"
	"github.com/spf13/cobra"
)

func dlqCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "dlq", Short: "Dead letters: ls, show, replay, purge"}
	var event string
	var limit int
	ls := &cobra.Command{
		Use: "ls", Short: "List dead letters, newest first", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var out []wire.DeadLetterSummary
			err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				out, err = cl.DeadLetters(ctx, wire.Request{Event: event, Limit: limit})
				return err
			})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tTIME\tEVENT\tCLASS\tREASON")
			for _, d := range out {
				reason := d.Reason
				if len(reason) > 100 {
					reason = reason[:100] + "…"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", d.Seq, d.Time.UTC().Format("2006-01-02T15:04:05Z"), d.Event, d.Class, reason)
			}
			return tw.Flush()
		},
	}
	ls.Flags().StringVar(&event, "event", "", "only dead letters of this event")
	ls.Flags().IntVar(&limit, "limit", 100, "at most this many")
	seqArg := func(s string) (uint64, error) {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, usage("%q is not a dead letter number (see jobd dlq ls)", s)
		}
		return n, nil
	}
	show := &cobra.Command{
		Use: "show SEQ", Short: "Show a dead letter", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			seq, err := seqArg(args[0])
			if err != nil {
				return err
			}
			var out *wire.DeadLetterEntry
			err = withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				out, err = cl.DeadLetter(ctx, seq)
				return err
			})
			if err != nil {
				return err
			}
			return printJSON(c.OutOrStdout(), out)
		},
	}
	var newKey bool
	replay := &cobra.Command{
		Use: "replay SEQ [--new-key]", Short: "Run a dead job again with its event and its idempotency key, and remove the dead letter", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			seq, err := seqArg(args[0])
			if err != nil {
				return err
			}
			var out *wire.ReplayReply
			err = withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				out, err = cl.ReplayDeadLetterRequest(ctx, wire.Request{Seq: seq, NewKey: newKey})
				return err
			})
			if err != nil {
				return err
			}
			key := "the dead run's idempotency key"
			if out.NewKey {
				key = "a new idempotency key"
			}
			fmt.Fprintf(c.OutOrStdout(), "replayed %d as run %s of %s, with %s\n", out.Seq, out.RunID, out.Event, key)
			return nil
		},
	}
	replay.Flags().BoolVar(&newKey, "new-key", false, "give the replay a new run id and idempotency key (by default it keeps the dead run's, so a receiver that de-duplicates applies it once)")
	var purgeEvent string
	purge := &cobra.Command{
		Use: "purge [SEQ]", Short: "Remove one dead letter, those of --event, or all", Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			req := wire.Request{Event: purgeEvent}
			if len(args) == 1 {
				seq, err := seqArg(args[0])
				if err != nil {
					return err
				}
				req.Seq = seq
			}
			var out *wire.PurgeReply
			err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				out, err = cl.PurgeDeadLetters(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "purged %d\n", out.Purged)
			return nil
		},
	}
	purge.Flags().StringVar(&purgeEvent, "event", "", "only dead letters of this event")
	cmd.AddCommand(ls, show, replay, purge)
	return cmd
}
