package main

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/jobd-dev/jobd/engine"
)

func backupCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "backup DIR",
		Short: "Snapshot every jobd stream and the job records into DIR, while jobd runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := clientConfig(g, cmd.Flags().Changed("config"))
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			err = engine.Backup(ctx, cfg, args[0], func(s engine.BackupStream) {
				fmt.Fprintf(out, "%s: %d messages, %d bytes\n", s.Name, s.Messages, s.Bytes)
			})
			if err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			fmt.Fprintf(out, "backup in %s\n", args[0])
			return nil
		},
	}
}

func restoreCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "restore DIR",
		Short: "Load a backup into an empty data folder (jobd stopped) or, with nats.url, an empty cluster",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := clientConfig(g, cmd.Flags().Changed("config"))
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			err = engine.Restore(ctx, cfg, args[0], func(s engine.BackupStream) {
				fmt.Fprintf(out, "%s: %d messages restored\n", s.Name, s.Messages)
			})
			if err != nil {
				return fmt.Errorf("restore: %w", err)
			}
			fmt.Fprintln(out, "restored; start jobd")
			return nil
		},
	}
}
