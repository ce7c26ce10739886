package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/jobd-dev/jobd/engine"
)

func runCmd(g *globals) *cobra.Command {
	var acceptDamage bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the engine (and the embedded NATS server when nats.url is empty) until SIGINT or SIGTERM",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, cat, err := engine.Load(g.configFile, nil)
			if err != nil {
				return err
			}
			log := newLogger(cfg)
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			if err := engine.CheckPluginPaths(cfg, cat); err != nil {
				return err
			}
			e := engine.New(cfg, cat, engine.Options{Logger: log, Version: version, AcceptDamagedStore: acceptDamage})
			if err := e.Start(ctx); err != nil {
				return fmt.Errorf("start: %w", err)
			}
			<-ctx.Done()
			log.Info("stopping: draining runs in flight", "timeout", cfg.Server.ShutdownTimeout.D())
			e.Stop(context.Background())
			log.Info("stopped")
			_ = os.Stderr.Sync()
			return nil
		},
	}
	cmd.Flags().BoolVar(&acceptDamage, "accept-damaged-store", false,
		"acknowledge damage found in the embedded server's store (still logged; /readyz answers 200 again)")
	return cmd
}
