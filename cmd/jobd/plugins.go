package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jobd-dev/jobd/engine"
)

func pluginsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List the plugins jobd finds (plugins.dir and [plugins.<kind>]): path, version, kinds, sha256, health",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := clientConfig(g, cmd.Flags().Changed("config"))
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			reports := engine.InspectPlugins(ctx, cfg, engine.Options{Logger: newLogger(cfg)})
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(reports)
			}
			if len(reports) == 0 {
				fmt.Fprintf(out, "no plugins in %s and none configured\n", cfg.Plugins.Dir)
				return nil
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tVERSION\tKINDS\tAPI\tPROTOCOL\tHEALTH\tSHA256\tPATH")
			failed := 0
			for _, r := range reports {
				health := r.Health
				if r.Error != "" {
					health += ": " + r.Error
					failed++
				}
				pin := r.SHA256
				if len(pin) > 12 {
					pin = pin[:12]
				}
				if r.Pinned {
					pin += " (pinned)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", r.Kind, dash(r.Version), dash(strings.Join(r.Kinds, ",")), r.APIVersion, r.Protocol, health, dash(pin), r.Path)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d plugins are unhealthy", failed, len(reports))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
