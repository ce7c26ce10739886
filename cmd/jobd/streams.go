package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/jobd-dev/jobd/engine"
)

func streamsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "streams",
		Short: "Manage jobd's JetStream streams",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "apply",
		Short: "Change jobd's streams, job bucket and consumers to this configuration's nats.replicas, server.dedupe_window, server.results_max_age and server.ack_wait (a running replica never changes them itself)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, cat, err := engine.Load(g.configFile, nil)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), cfg.Server.StartTimeout.D()+time.Minute)
			defer cancel()
			changed, err := engine.ApplyStreams(ctx, cfg, cat)
			out := cmd.OutOrStdout()
			for _, c := range changed {
				fmt.Fprintf(out, "%s: %s %s -> %s\n", c.Name, c.Setting, c.Existing, c.Configured)
			}
			if err != nil {
				return fmt.Errorf("streams apply: %w", err)
			}
			if len(changed) == 0 {
				fmt.Fprintln(out, "streams match the configuration: nothing changed")
			}
			return nil
		},
	})
	return cmd
}
