package main

import "errors"

// Errors an action job can fail with, besides a [StatusError] and the
// network's own.
var (
	// ErrUnknownAction is the failure of a job whose event (or input
	// "action") names no configured app or action. Permanent.
	ErrUnknownAction = errors.New("unknown action")
	// ErrMissingParam is the failure of a job whose params lack a ":name"
	// segment of the action's path. Permanent.
	ErrMissingParam = errors.New("missing param")
	// ErrNotConfigured is returned by Handle before Configure succeeded.
	ErrNotConfigured = errors.New("action: Handle called before Configure")
)
