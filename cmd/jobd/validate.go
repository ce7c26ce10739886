package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/jobd-dev/jobd/engine"
)

func validateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check the configuration as start-up does: syntax, keys, piping, plugins found and answering",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, cat, err := engine.Load(g.configFile, nil)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			log := newLogger(cfg)
			if err := engine.CheckPlugins(ctx, cfg, cat, engine.Options{Logger: log}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d jobs, %d features, plugins: %v)\n", cfg.File, len(cat.Jobs()), len(cat.Features()), cat.Kinds())
			return nil
		},
	}
}
