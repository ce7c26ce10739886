package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jobd-dev/jobd/engine"
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
			req := engine.EvalRequest{Template: tmpl, Reveal: reveal, Environ: os.Environ()}
			if err := json.Unmarshal([]byte(input), &req.Input); err != nil {
				return usage("--input is not JSON: %v", err)
			}
			if sequence != "" {
				if err := json.Unmarshal([]byte(sequence), &req.Sequence); err != nil {
					return usage("--sequence is not a JSON object: %v", err)
				}
			}
			v, err := engine.Eval(cfg, req)
			var te *engine.TemplateError
			if errors.As(err, &te) {
				return usage("%v", te)
			}
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
