package client

import (
	"errors"
	"strconv"
)

// ErrNotCaptured means no stream captures the subject: no jobd job triggers
// on it, so nothing will run. Publish returns it.
var ErrNotCaptured = errors.New("no jobd job triggers on this subject")

// ErrNoJobd means nothing answers on jobd's request subjects: no jobd runs
// on this NATS server or cluster. Dispatch and the management calls return
// it.
var ErrNoJobd = errors.New("no jobd answers on this NATS server: is jobd running?")

// ErrBadRequest matches an *APIError with code 400: jobd refused the
// request, and the error's message says what is wrong (an unknown event, a
// bad schedule, a job that cannot be resumed…). It also wraps the errors
// of requests the client refuses to send (no job id, no dead letter
// sequence).
var ErrBadRequest = errors.New("bad request")

// ErrNotFound matches an *APIError with code 404: no job has the id, or no
// dead letter the sequence.
var ErrNotFound = errors.New("not found")

// APIError is jobd's refusal of a request, from the headers
// wire.ErrorCodeHeader and wire.ErrorHeader of its reply. errors.Is matches
// it with ErrBadRequest (code 400) and ErrNotFound (code 404).
type APIError struct {
	// Code is the refusal's code: 400 for a bad request, 404 for something
	// not found, 500 for a failure inside jobd.
	Code int
	// Message is jobd's reason, ready to show to a user.
	Message string
}

// Error returns the message jobd gave.
func (e *APIError) Error() string {
	if e.Message == "" {
		return "jobd refused the request with code " + strconv.Itoa(e.Code)
	}
	return e.Message
}

// Is reports whether target is the sentinel of the error's code.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.Code == 400
	case ErrNotFound:
		return e.Code == 404
	}
	return false
}
