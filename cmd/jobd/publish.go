package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/sdk/client"
)

func publishCmd(g *globals) *cobra.Command {
	var (
		msgID    string
		sequence string
		headers  []string
		raw      bool
		lines    bool
	)
	cmd := &cobra.Command{
		Use:   "publish SUBJECT [JSON | @file | -]",
		Short: "Publish an event (the JSON body is the job's $Input)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := []byte("{}")
			if len(args) == 2 {
				var err error
				if body, err = readBody(args[1], cmd.InOrStdin()); err != nil {
					return err
				}
			}
			bodies := [][]byte{body}
			if lines {
				bodies = bodies[:0]
				for _, l := range bytes.Split(body, []byte("\n")) {
					if len(bytes.TrimSpace(l)) > 0 {
						bodies = append(bodies, l)
					}
				}
			}
			for i, b := range bodies {
				if !raw && !json.Valid(b) {
					return usage("event %d is not JSON (use --raw to send it anyway): %.80q", i+1, b)
				}
			}
			var opts []client.PublishOption
			if msgID != "" {
				opts = append(opts, client.WithMsgID(msgID))
			}
			if sequence != "" {
				var seq map[string]map[string]any
				if err := json.Unmarshal([]byte(sequence), &seq); err != nil {
					return usage("--sequence: want {\"sequence_tag\": {\"event_tag\": output}}: %v", err)
				}
				opts = append(opts, client.WithSequence(seq))
			}
			for _, h := range headers {
				k, v, ok := strings.Cut(h, "=")
				if !ok {
					return usage("--header %q: want KEY=VALUE", h)
				}
				opts = append(opts, client.WithHeader(k, v))
			}
			cfg, err := clientConfig(g, cmd.Flags().Changed("config"))
			if err != nil {
				return err
			}
			nc, err := engine.Connect(cfg, "jobd-publish")
			if err != nil {
				return fmt.Errorf("%w (is jobd running? start it with: jobd run -c %s)", err, g.configFile)
			}
			defer nc.Close()
			c, err := client.New(nc)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			size := 0
			for _, b := range bodies {
				err = c.Publish(ctx, args[0], json.RawMessage(b), opts...)
				if errors.Is(err, client.ErrNotCaptured) {
					return fmt.Errorf("%w: no stream captures %s (does a job in %s list it in `on`, and is jobd running?)", client.ErrNotCaptured, args[0], g.configFile)
				}
				if err != nil {
					return err
				}
				size += len(b)
			}
			if len(bodies) == 1 {
				fmt.Fprintf(cmd.OutOrStdout(), "published %s (%d bytes)\n", args[0], size)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "published %d events on %s (%d bytes)\n", len(bodies), args[0], size)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&msgID, "msg-id", "", "Nats-Msg-Id: a re-publish with the same id is a duplicate, not a second run")
	cmd.Flags().StringVar(&sequence, "sequence", "", "earlier events' outputs as JSON, sent in the v1 envelope ($Sequence{…})")
	cmd.Flags().StringArrayVar(&headers, "header", nil, "extra header KEY=VALUE (repeatable)")
	cmd.Flags().BoolVar(&lines, "lines", false, "publish each line of the body as its own event")
	cmd.Flags().BoolVar(&raw, "raw", false, "send the body even when it is not JSON")
	return cmd
}

// readBody reads an event body: literal JSON, @file, or - for stdin.
func readBody(arg string, stdin io.Reader) ([]byte, error) {
	switch {
	case arg == "-":
		return io.ReadAll(stdin)
	case strings.HasPrefix(arg, "@"):
		b, err := os.ReadFile(arg[1:])
		if err != nil {
			return nil, usage("%v", err)
		}
		return b, nil
	}
	return []byte(arg), nil
}
