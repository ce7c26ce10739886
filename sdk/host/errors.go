package host

import "errors"

// Errors a plugin start can end with; each is wrapped with the plugin's kind
// and path and what was expected and found.
var (
	// ErrPinMismatch means the executable's SHA-256 differs from the pin.
	ErrPinMismatch = errors.New("sha256 pin does not match")
	// ErrAPIVersion means the plugin speaks an API version jobd does not.
	ErrAPIVersion = errors.New("unsupported plugin API version")
	// ErrKind means the plugin does not serve the kind it was started for.
	ErrKind = errors.New("plugin does not serve this kind")
	// ErrStart means the process did not start or did not complete the
	// handshake.
	ErrStart = errors.New("plugin did not start")
	// ErrConfigure means the plugin refused its configuration.
	ErrConfigure = errors.New("plugin refused its configuration")
	// ErrClosed means the plugin connection is gone.
	ErrClosed = errors.New("plugin connection closed")
)
