package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jobd-dev/jobd/engine"
)

// apiCall sends a request to a running jobd over NATS and decodes the
// reply into out. A refusal by jobd is an error with its reason.
func apiCall(g *globals, explicit bool, subject string, req any, out any) error {
	cfg, err := clientConfig(g, explicit)
	if err != nil {
		return err
	}
	nc, err := engine.Connect(cfg, "jobd-cli")
	if err != nil {
		return fmt.Errorf("%w (is jobd running? start it with: jobd run -c %s)", err, g.configFile)
	}
	defer nc.Close()
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	msg, err := nc.Request(subject, body, 30*time.Second)
	if errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("no jobd answers on %s (is jobd running with this configuration?)", subject)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", subject, err)
	}
	if code := msg.Header.Get("Nats-Service-Error-Code"); code != "" {
		reason := msg.Header.Get("Nats-Service-Error")
		if code == "400" || code == "404" {
			return usage("%s", reason)
		}
		return errors.New(reason)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(msg.Data, out)
}

// printJSON prints v indented.
func printJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}
