// Command jobd is the job-event engine's daemon and command line.
//
//	jobd run [-c config.toml]           run the engine
//	jobd validate [-c config.toml]      check the configuration and plugins
//	jobd publish SUBJECT [JSON|@file|-] publish an event
//	jobd eval TEMPLATE --input JSON     resolve a piping template
//	jobd dispatch EVENT [--input JSON]  run a configured job on the running jobd
//	jobd jobs ls|show|history|...       manage jobs on the running jobd
//	jobd dlq ls|show|replay|purge       dead letters
//	jobd plugins                        the plugins jobd finds
//	jobd streams apply                  change the streams to the configuration
//	jobd version                        version and build info
//
// README.md's Commands table documents every flag (TestDocsEveryFlag).
//
// Exit codes: 0 success, 1 the operation failed, 2 bad usage or bad config.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/jobd-dev/jobd/engine"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// usageError marks bad usage or bad configuration (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usage(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// globals are the flags every command takes.
type globals struct {
	configFile string
}

func main() {
	os.Exit(execute(os.Args[1:]))
}

func execute(args []string) int {
	root := newRootCmd(&globals{})
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "jobd:", err)
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, engine.ErrInvalidConfig) || errors.Is(err, engine.ErrDataDirInUse) {
		return exitUsage
	}
	if len(args) > 0 && isUnknownCommand(err) {
		return exitUsage
	}
	return exitFailed
}

// newRootCmd returns the command tree, its flags bound to g.
func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "jobd",
		Short:         "jobd runs jobs triggered by NATS events: now, later, on a schedule, with retries",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&g.configFile, "config", "c", "config.toml", "configuration file (environment overrides: JOBD_<SECTION>__<KEY>)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(runCmd(g), validateCmd(g), publishCmd(g), evalCmd(g), pluginsCmd(g), dispatchCmd(g), jobsCmd(g), runsCmd(g), featuresCmd(g), dlqCmd(g), streamsCmd(g), backupCmd(g), restoreCmd(g), versionCmd())
	return root
}

func isUnknownCommand(err error) bool {
	msg := err.Error()
	return len(msg) > 16 && (msg[:16] == "unknown command " || msg[:14] == "unknown flag: " || msg[:16] == "accepts at most ")
}
