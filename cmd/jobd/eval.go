package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/engine/catalog"
	"github.com/jobd-dev/jobd/engine/piping"
)

func evalCmd(g *globals) *cobra.Command {
	var (
		input    string
		sequence string
		reveal   bool
	)
	cmd := &cobra.Command{
		Use:   "eval TEMPLATE --input JSON [--sequence JSON]",
		Short: "Print what a piping template resolves to, as JSON",
		Long: "TEMPLATE is a string such as '$Input{email}' or 'Hello $Input{name}', or a JSON object or list\n" +
			"whose strings are templates. $Variable and $Constant come from the configuration when it exists;\n" +
			"$Secret values are shown as [secret] unless --reveal is given.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := clientConfig(g, cmd.Flags().Changed("config"))
			if err != nil {
				return err
			}
			var tmpl any = args[0]
			if t := strings.TrimSpace(args[0]); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
				var v any
				if json.Unmarshal([]byte(t), &v) == nil {
					tmpl = v
				}
			}
			env := &piping.Env{Now: time.Now(), Variable: catalog.Variables(cfg), Constant: cfg.Constants, Redact: !reveal,
				Job: piping.JobInfo{Event: "eval", Attempt: 1, Execution: 1}}
			if err := json.Unmarshal([]byte(input), &env.Input); err != nil {
				return usage("--input is not JSON: %v", err)
			}
			if sequence != "" {
				if err := json.Unmarshal([]byte(sequence), &env.Sequence); err != nil {
					return usage("--sequence is not a JSON object: %v", err)
				}
			}
			secrets, err := engine.LoadSecrets(os.Environ(), cfg.Secrets.File)
			if err != nil {
				return err
			}
			env.Secret = secrets.Lookup
			t, err := piping.Compile(tmpl, piping.Options{Path: "template", Variables: env.Variable, Constants: cfg.Constants})
			if err != nil {
				return usage("%v", err)
			}
			v, err := t.Eval(env)
			if err != nil {
				return err
			}
			out, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(out))
			return nil
		},
	}
	cmd.Flags().StringVar(&input, "input", "{}", "the event data ($Input) as JSON")
	cmd.Flags().StringVar(&sequence, "sequence", "", "earlier outputs ($Sequence) as JSON")
	cmd.Flags().BoolVar(&reveal, "reveal", false, "show $Secret values instead of [secret]")
	return cmd
}
