package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/jobd-dev/jobd/sdk/client"
	"github.com/jobd-dev/jobd/sdk/wire"
)

func featuresCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "features", Short: "Feature runs on the running jobd: ls, show, cancel"}
	var (
		feature, status string
		limit           int
	)
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List feature runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var runs []*wire.FeatureRun
			err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				runs, err = cl.FeatureRuns(ctx, wire.Request{Event: feature, Status: status, Limit: limit})
				return err
			})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tFEATURE\tSTATUS\tAT\tRECEIVED\tFINISHED")
			for _, r := range runs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Feature, r.Status, position(r), stamp(&r.ReceivedAt), stamp(r.FinishedAt))
			}
			return tw.Flush()
		},
	}
	ls.Flags().StringVar(&feature, "feature", "", "only runs of this feature")
	ls.Flags().StringVar(&status, "status", "", "only runs with this status (running, completed, failed, cancelled)")
	ls.Flags().IntVar(&limit, "limit", 100, "at most this many")

	var asJSON bool
	show := &cobra.Command{
		Use: "show ID", Short: "Show a feature run: each event's status, attempts, end and error, and the outputs recorded", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var r *wire.FeatureRun
			err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				r, err = cl.FeatureRun(ctx, args[0])
				return err
			})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(c.OutOrStdout(), r)
			}
			w := c.OutOrStdout()
			fmt.Fprintf(w, "%s  feature %s  %s  received %s  finished %s\n", r.ID, r.Feature, r.Status, stamp(&r.ReceivedAt), stamp(r.FinishedAt))
			if r.Error != nil {
				fmt.Fprintf(w, "error at %s/%s: %s: %s\n", r.Error.Sequence, r.Error.Event, r.Error.Class, r.Error.Message)
			}
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQUENCE\tEVENT\tKIND\tSTATUS\tATTEMPTS\tFINISHED\tOUTPUT OR ERROR")
			for _, e := range r.Events {
				kind := e.Kind
				if e.Job {
					kind += " (job)"
				}
				detail := string(r.Sequence[e.Sequence][e.Event])
				if e.Error != nil {
					detail = e.Error.Class + ": " + e.Error.Message
				}
				if len(detail) > 80 {
					detail = detail[:77] + "..."
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", e.Sequence, e.Event, kind, e.Status, e.Attempts, stamp(e.FinishedAt), detail)
			}
			return tw.Flush()
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print the whole run as JSON (input, every output)")
	cancel := &cobra.Command{
		Use: "cancel ID", Short: "Cancel a running feature run: no event starts after it", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var r *wire.FeatureRun
			err := withClient(g, c.Flags().Changed("config"), func(ctx context.Context, cl *client.Client) (err error) {
				r, err = cl.CancelFeatureRun(ctx, args[0])
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "%s %s\n", r.ID, r.Status)
			return nil
		},
	}
	cmd.AddCommand(ls, show, cancel)
	return cmd
}

// position names the event a running feature run is at, or "-".
func position(r *wire.FeatureRun) string {
	if r.Status != wire.StatusRunning || r.Position >= len(r.Events) {
		return "-"
	}
	e := r.Events[r.Position]
	return e.Sequence + "/" + e.Event
}
