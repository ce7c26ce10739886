package sdk

import "context"

// Host is what jobd offers a running plugin.
type Host interface {
	// Publish publishes data on a NATS subject through jobd, for example to
	// trigger another feature's event. headers may be nil.
	Publish(ctx context.Context, subject string, data []byte, headers map[string]string) error
}
