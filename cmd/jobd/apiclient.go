package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/sdk/client"
)

// withClient connects to the jobd the configuration points at and calls fn
// with a client of its management service. A refusal by jobd (a bad
// request, a job or dead letter that does not exist) is an error with
// jobd's reason: the operation failed.
func withClient(g *globals, explicit bool, fn func(ctx context.Context, c *client.Client) error) error {
	cfg, err := clientConfig(g, explicit)
	if err != nil {
		return err
	}
	// A call the user's role does not allow is refused by the server
	// without a reply: stop at once with the refusal.
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	nc, err := engine.ConnectWatch(cfg, "jobd-cli", cancel)
	if err != nil {
		return fmt.Errorf("%w (is jobd running? start it with: jobd run -c %s)", err, g.configFile)
	}
	defer nc.Close()
	c, err := client.New(nc)
	if err != nil {
		return err
	}
	// A refusal (no such job, no job with that event, a schedule jobd
	// cannot use) is a failed operation, exit 1, as the README's exit codes
	// say; exit 2 stays for what the command line itself gets wrong.
	err = fn(ctx, c)
	if cause := context.Cause(ctx); errors.Is(cause, engine.ErrPermissionDenied) {
		return cause
	}
	var apiErr *client.APIError
	switch {
	case errors.Is(err, client.ErrNoJobd):
		return fmt.Errorf("%w (with the configuration %s)", err, g.configFile)
	case errors.As(err, &apiErr):
		return errors.New(apiErr.Message)
	}
	return err
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
