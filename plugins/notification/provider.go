package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

// maxResponseBody bounds how much of a provider's answer is read.
const maxResponseBody = 1 << 20

// providerConcurrency bounds the requests one channel makes at once (FCM
// and the SMS providers take one recipient per request).
const providerConcurrency = 4

// TargetOutcome is the outcome of one device token (push) or one
// recipient (SMS).
type TargetOutcome struct {
	// Token is the push device token.
	Token string `json:"token,omitempty"`
	// To is the SMS recipient, as normalised.
	To string `json:"to,omitempty"`
	// Status is StatusSent or StatusFailed.
	Status string `json:"status"`
	// Attempt is the attempt that delivered it.
	Attempt int `json:"attempt,omitempty"`
	// ID is the provider's id of the message: Expo's ticket id, FCM's
	// message name, Twilio's sid, Vonage's message-id, Plivo's message_uuid.
	ID string `json:"id,omitempty"`
	// Error is why it failed.
	Error string `json:"error,omitempty"`
	// Permanent tells whether the failure would fail again on a retry.
	Permanent bool `json:"permanent,omitempty"`
}

// targetResult is what a provider reports for one target.
type targetResult struct {
	id  string
	err error
}

// sendTargets delivers to every target an earlier attempt of the run did
// not deliver, through send, and records each delivered one. It returns
// every target's outcome, in order, and the channel's error: nil when at
// least one target is delivered, else the joined failures.
func (p *Plugin) sendTargets(ctx context.Context, job *sdk.Job, key, name string, push bool, targets []string,
	send func(ctx context.Context, targets []string) []targetResult,
) ([]TargetOutcome, error) {
	outs := make([]TargetOutcome, len(targets))
	var todo []string
	var idx []int
	for i, t := range targets {
		if o, ok := p.targets.get(key + "\x00" + name + "\x00" + t); ok && key != "" {
			outs[i] = o
			continue
		}
		todo, idx = append(todo, t), append(idx, i)
	}
	var results []targetResult
	if len(todo) > 0 {
		results = send(ctx, todo)
	}
	var failures []error
	ok := false
	for j, i := range idx {
		o := TargetOutcome{Status: StatusSent, Attempt: job.Attempt}
		if push {
			o.Token = targets[i]
		} else {
			o.To = targets[i]
		}
		r := results[j]
		if r.err != nil {
			err := fmt.Errorf("%s: %s: %w", name, targets[i], r.err)
			o = TargetOutcome{Token: o.Token, To: o.To, Status: StatusFailed, Error: err.Error(), Permanent: sdk.IsPermanent(err)}
			failures = append(failures, err)
			outs[i] = o
			continue
		}
		o.ID = r.id
		outs[i] = o
		if key != "" {
			p.targets.put(key+"\x00"+name+"\x00"+targets[i], o)
		}
	}
	for _, o := range outs {
		ok = ok || o.Status == StatusSent
	}
	if ok {
		return outs, nil
	}
	noun := "recipient"
	if push {
		noun = "device token"
	}
	return outs, joinErrors(fmt.Sprintf("%s: every %s failed", name, noun), failures)
}

// forEach runs fn for 0..n-1, at most limit at once.
func forEach(n, limit int, fn func(i int)) {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

// allFailed gives every one of n targets the same error.
func allFailed(n int, err error) []targetResult {
	out := make([]targetResult, n)
	for i := range out {
		out[i].err = err
	}
	return out
}

// providerResponse is a provider's answer.
type providerResponse struct {
	code   int
	header http.Header
	body   []byte
}

// providerRequest is one request to a provider's API.
type providerRequest struct {
	method, url string
	// contentType and body; body nil for none.
	contentType string
	body        []byte
	// header holds extra headers (Authorization, Accept...).
	header http.Header
	// user and pass set basic authentication when user is not empty.
	user, pass string
}

// do sends the request. A network failure (or timeout) is retryable; any
// answer, whatever its status, is returned for the provider to read.
func (r providerRequest) do(ctx context.Context, client *http.Client) (*providerResponse, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return nil, sdk.Permanent(fmt.Errorf("build request: %w", err))
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("User-Agent", "jobd-notification/"+Version)
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if r.user != "" {
		req.SetBasicAuth(r.user, r.pass)
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s %s: %w", r.method, redactString(r.url), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", r.method, redactString(r.url), err)
	}
	return &providerResponse{code: resp.StatusCode, header: resp.Header, body: b}, nil
}

// ok reports a 2xx answer.
func (r *providerResponse) ok() bool { return r.code >= 200 && r.code < 300 }

// classify marks err by the answer's status: 429 and 5xx retryable (after
// Retry-After when given), anything else permanent.
func (r *providerResponse) classify(err error) error {
	if r.code == http.StatusTooManyRequests || r.code >= 500 {
		if d, ok := retryAfter(r.header.Get("Retry-After"), time.Now()); ok {
			return sdk.RetryAfter(err, d)
		}
		return err
	}
	return sdk.Permanent(err)
}

// snippet is the start of the answer's body, for an error message.
func (r *providerResponse) snippet() string {
	s := strings.TrimSpace(string(r.body))
	if len(s) > maxErrorBody {
		s = s[:maxErrorBody] + "..."
	}
	return s
}

// statusText is "429 Too Many Requests".
func (r *providerResponse) statusText() string {
	return fmt.Sprintf("%d %s", r.code, http.StatusText(r.code))
}

// jsonBody marshals v without HTML escaping (the text is data, sent as is).
func jsonBody(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// redactString hides a URL's user info and query.
func redactString(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return redact(u)
}
