package main

import "errors"

// Errors a feature job can fail with, besides the host's own.
var (
	// ErrInvalidSubject is the failure of a job whose feature tag makes no
	// valid NATS subject (empty, spaces, wildcards). Permanent.
	ErrInvalidSubject = errors.New("invalid subject")
	// ErrNoHost is the failure of a job while jobd offers the plugin no
	// host services to publish through. Permanent.
	ErrNoHost = errors.New("jobd offered no host services to publish through (is the plugin run by jobd?)")
	// ErrNotConfigured is returned by Handle before Configure succeeded.
	ErrNotConfigured = errors.New("feature: Handle called before Configure")
)
