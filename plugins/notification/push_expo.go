package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jobd-dev/jobd/sdk"
)

// expoBatch is the most messages Expo accepts in one request.
const expoBatch = 100

// Expo's per-ticket error codes (details.error).
const (
	expoDeviceNotRegistered = "DeviceNotRegistered"
	expoRateExceeded        = "MessageRateExceeded"
)

// expoProvider sends through Expo's push API:
// POST {base_url}/--/api/v2/push/send with a JSON list of messages.
type expoProvider struct {
	cfg    ExpoConfig
	client *http.Client
}

func (e *expoProvider) name() string { return ProviderExpo }

// expoMessage is one message of the request.
type expoMessage struct {
	To    string         `json:"to"`
	Title string         `json:"title,omitempty"`
	Body  string         `json:"body,omitempty"`
	Data  map[string]any `json:"data,omitempty"`
}

// expoTicket is Expo's answer for one message.
type expoTicket struct {
	Status  string `json:"status"`
	ID      string `json:"id"`
	Message string `json:"message"`
	Details struct {
		Error string `json:"error"`
	} `json:"details"`
}

// expoAnswer is the body of Expo's answer: tickets in the request's order,
// or request errors.
type expoAnswer struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

// send posts the messages in batches of expoBatch.
func (e *expoProvider) send(ctx context.Context, m *pushMessage, tokens []string) []targetResult {
	out := make([]targetResult, 0, len(tokens))
	for start := 0; start < len(tokens); start += expoBatch {
		out = append(out, e.sendBatch(ctx, m, tokens[start:min(start+expoBatch, len(tokens))])...)
	}
	return out
}

func (e *expoProvider) sendBatch(ctx context.Context, m *pushMessage, tokens []string) []targetResult {
	msgs := make([]expoMessage, len(tokens))
	for i, t := range tokens {
		msgs[i] = expoMessage{To: t, Title: m.title, Body: m.body, Data: m.data}
	}
	h := http.Header{"Accept": {"application/json"}}
	if e.cfg.AccessToken != "" {
		h.Set("Authorization", "Bearer "+e.cfg.AccessToken)
	}
	req := providerRequest{method: http.MethodPost, url: e.cfg.BaseURL + "/--/api/v2/push/send",
		contentType: "application/json", body: jsonBody(msgs), header: h}
	resp, err := req.do(ctx, e.client)
	if err != nil {
		return allFailed(len(tokens), fmt.Errorf("expo: %w", err))
	}
	var ans expoAnswer
	jerr := json.Unmarshal(resp.body, &ans)
	if !resp.ok() {
		detail := resp.snippet()
		if jerr == nil && len(ans.Errors) > 0 {
			var parts []string
			for _, x := range ans.Errors {
				parts = append(parts, x.Code+": "+x.Message)
			}
			detail = strings.Join(parts, "; ")
		}
		return allFailed(len(tokens), resp.classify(fmt.Errorf("expo: %s: %s", resp.statusText(), detail)))
	}
	tickets, err := expoTickets(ans.Data)
	if jerr != nil || err != nil || len(tickets) != len(tokens) {
		return allFailed(len(tokens), sdk.Permanent(fmt.Errorf("expo: unexpected answer (%d tickets for %d messages): %s", len(tickets), len(tokens), resp.snippet())))
	}
	out := make([]targetResult, len(tokens))
	for i, t := range tickets {
		out[i] = t.result()
	}
	return out
}

// expoTickets reads data: a list of tickets, or one ticket (Expo answers a
// single message object with one).
func expoTickets(raw json.RawMessage) ([]expoTicket, error) {
	var list []expoTicket
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var one expoTicket
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, err
	}
	return []expoTicket{one}, nil
}

// result turns a ticket into the token's result. An error ticket is
// permanent (DeviceNotRegistered, MessageTooBig, InvalidCredentials,
// MismatchSenderId), except MessageRateExceeded, which is retryable.
func (t expoTicket) result() targetResult {
	if t.Status == "ok" {
		return targetResult{id: t.ID}
	}
	code := t.Details.Error
	if code == "" {
		code = "error"
	}
	err := fmt.Errorf("expo: %s: %s", code, t.Message)
	if code == expoRateExceeded {
		return targetResult{err: err}
	}
	if code == expoDeviceNotRegistered {
		err = unregistered(err)
	}
	return targetResult{err: sdk.Permanent(err)}
}

// ErrDeviceNotRegistered is a device token the provider no longer knows
// (Expo's DeviceNotRegistered, FCM's UNREGISTERED): stop sending to it.
// errors.Is finds it in such a token's error.
var ErrDeviceNotRegistered = errors.New("device not registered")

// unregisteredError keeps the provider's message and matches
// ErrDeviceNotRegistered.
type unregisteredError struct{ error }

func unregistered(err error) error { return unregisteredError{err} }

func (e unregisteredError) Unwrap() error { return e.error }

func (e unregisteredError) Is(target error) bool { return target == ErrDeviceNotRegistered }
