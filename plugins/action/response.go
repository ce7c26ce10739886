package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxErrorBody bounds how much of a failed response's body an error quotes.
const maxErrorBody = 512

// Output is a successful job's result: the API's answer.
type Output struct {
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Headers are the response headers (all, or the configured
	// response_headers), each with its values joined by ", ".
	Headers map[string]string `json:"headers"`
	// Body is the response body: parsed when it is JSON, else text; absent
	// when empty.
	Body any `json:"body,omitempty"`
	// BodyEncoding is "base64" when the body is not UTF-8 text.
	BodyEncoding string `json:"body_encoding,omitempty"`
	// Truncated is true when the body was longer than max_response_bytes
	// and was cut (a cut JSON body is reported as text).
	Truncated bool `json:"truncated,omitempty"`
}

// readOutput reads a successful response into the output, keeping at most
// limit bytes of its body.
func readOutput(resp *http.Response, limit int64, selected []string) (Output, error) {
	out := Output{Status: resp.StatusCode, Headers: responseHeaders(resp.Header, selected)}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return out, fmt.Errorf("read response: %w", err)
	}
	if int64(len(b)) > limit {
		b, out.Truncated = b[:limit], true
	}
	if len(b) == 0 {
		return out, nil
	}
	if !out.Truncated && isJSON(resp.Header.Get(headerContentType), b) {
		out.Body = json.RawMessage(b)
		return out, nil
	}
	if out.Truncated {
		b = trimPartialRune(b)
	}
	if utf8.Valid(b) {
		out.Body = string(b)
	} else {
		out.Body, out.BodyEncoding = base64.StdEncoding.EncodeToString(b), "base64"
	}
	return out, nil
}

// isJSON reports whether a body is JSON: its media type says so
// (application/json or *+json), or it has none and parses as JSON.
func isJSON(contentType string, b []byte) bool {
	if contentType == "" {
		return json.Valid(b)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return (mt == "application/json" || strings.HasSuffix(mt, "+json")) && json.Valid(b)
}

// responseHeaders returns the selected headers (all when selected is nil),
// single-valued.
func responseHeaders(h http.Header, selected []string) map[string]string {
	out := map[string]string{}
	if selected == nil {
		for k, vs := range h {
			out[k] = strings.Join(vs, ", ")
		}
		return out
	}
	for _, k := range selected {
		if vs := h.Values(k); len(vs) > 0 {
			out[http.CanonicalHeaderKey(k)] = strings.Join(vs, ", ")
		}
	}
	return out
}

// trimPartialRune drops an incomplete UTF-8 sequence a cut left at the end.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return b
}

// StatusError is a request answered with a status other than 2xx.
type StatusError struct {
	// Action is "app_tag:action_tag".
	Action string
	// Method and URL (without query and credentials) of the request.
	Method, URL string
	// Code is the HTTP status code.
	Code int
	// Body is the start of the response body, credentials removed.
	Body string
}

// Error names the request and the status and quotes the start of the body.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s: %s %s: %d %s", e.Action, e.Method, e.URL, e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// snippet reads the start of a failed response's body as one line of text,
// with every secret of the app replaced.
func snippet(r io.Reader, secrets []string) string {
	b, _ := io.ReadAll(io.LimitReader(r, maxErrorBody+1))
	cut := len(b) > maxErrorBody
	if cut {
		b = trimPartialRune(b[:maxErrorBody])
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	if cut {
		s += "..."
	}
	return s
}

// retryPolicy is an app's retry rules, resolved.
type retryPolicy struct {
	rules map[int]RetryRule
	def   *RetryRule
}

// newRetryPolicy resolves the configured rules (validated already).
func newRetryPolicy(rules map[string]RetryRule) retryPolicy {
	p := retryPolicy{rules: map[int]RetryRule{}}
	for k, r := range rules {
		if k == RetryDefaultKey {
			p.def = &r
			continue
		}
		code, _ := strconv.Atoi(k)
		p.rules[code] = r
	}
	return p
}

// decide says whether a failed status is retried, and after how long when
// the answer gives no Retry-After: the status's own rule, else the default
// rule, else the built-in one (429 and 5xx retried).
func (p retryPolicy) decide(code int) (retry bool, after time.Duration) {
	retry = builtinRetry(code)
	r, ok := p.rules[code]
	if !ok && p.def != nil {
		r, ok = *p.def, true
	}
	if !ok {
		return retry, 0
	}
	if r.Retry != nil {
		retry = *r.Retry
	}
	return retry, time.Duration(r.After)
}

// builtinRetry is the rule for a status without a configured one.
func builtinRetry(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(h); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
