package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/jobd-dev/jobd/engine"
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print version and build info",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rev := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						rev = s.Value
					}
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "jobd %s (commit %s, %s, %s/%s, plugin API %d)\n",
				version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH, engine.PluginAPIVersion)
			return nil
		},
	}
}
