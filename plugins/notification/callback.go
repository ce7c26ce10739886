package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/jobd-dev/jobd/sdk"
)

// maxErrorBody bounds how much of a failed response's body an error quotes.
const maxErrorBody = 512

// callbackSender makes the callback channel's HTTP requests.
type callbackSender struct {
	cfg    CallbackConfig
	client *http.Client
	ua     string
}

// newCallbackSender prepares the HTTP client of the callback channel.
func newCallbackSender(cfg CallbackConfig, version string) *callbackSender {
	return &callbackSender{
		cfg:    cfg,
		client: &http.Client{Timeout: time.Duration(cfg.Timeout)},
		ua:     "jobd-notification/" + version,
	}
}

// callbackResult is what a successful callback reports.
type callbackResult struct {
	statusCode int
	url        string
}

// send makes the request described by the input. A 2xx answer is success;
// 429, 5xx and network failures are retryable (honouring Retry-After); any
// other status, and every input error, is permanent.
func (s *callbackSender) send(ctx context.Context, name string, raw json.RawMessage, key string) (*callbackResult, error) {
	if s.cfg.URL == "" {
		return nil, sdk.Permanent(fmt.Errorf("%s: no URL configured: set url in [plugins.notification.config.callback]", name))
	}
	var in callbackInput
	if err := sdk.DecodeStrict(name, raw, &in); err != nil {
		return nil, sdk.Permanent(err)
	}
	u, err := s.buildURL(name, in)
	if err != nil {
		return nil, sdk.Permanent(err)
	}
	var body io.Reader
	hasBody := isPresent(in.Body)
	if hasBody {
		var buf bytes.Buffer
		if err := json.Compact(&buf, in.Body); err != nil {
			return nil, sdk.Permanent(fmt.Errorf("%s.body: %w", name, err))
		}
		body = &buf
	}
	req, err := http.NewRequestWithContext(ctx, s.cfg.Method, u.String(), body)
	if err != nil {
		return nil, sdk.Permanent(fmt.Errorf("%s: build request: %w", name, err))
	}
	req.Header.Set("User-Agent", s.ua)
	if hasBody {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range s.cfg.Headers {
		req.Header.Set(k, v)
	}
	for _, k := range slices.Sorted(maps.Keys(in.Headers)) {
		v := in.Headers[k]
		if !httpguts.ValidHeaderFieldName(k) || !httpguts.ValidHeaderFieldValue(v) {
			return nil, sdk.Permanent(fmt.Errorf("%s.headers.%s: invalid header name or value", name, k))
		}
		req.Header.Set(k, v)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL, query and all
		}
		return nil, fmt.Errorf("%s: %s %s: %w", name, s.cfg.Method, redact(u), err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return &callbackResult{statusCode: code, url: redact(u)}, nil
	}
	err = &statusError{Name: name, Method: s.cfg.Method, URL: redact(u), Code: code, Body: strings.TrimSpace(string(snippet))}
	switch {
	case code == http.StatusTooManyRequests || code >= 500:
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return nil, sdk.RetryAfter(err, d)
		}
		return nil, err
	default:
		return nil, sdk.Permanent(err)
	}
}

// statusError is a callback answered with a status other than 2xx.
type statusError struct {
	Name, Method, URL string
	// Code is the HTTP status code.
	Code int
	// Body is the start of the response body.
	Body string
}

// Error names the request and quotes the start of the answer.
func (e *statusError) Error() string {
	msg := fmt.Sprintf("%s: %s %s: %d %s", e.Name, e.Method, e.URL, e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// buildURL fills the configured URL's ":name" path segments from params
// (path-escaped) and adds query. A param the URL needs but the input lacks,
// or one the URL has no segment for, is an error naming it.
func (s *callbackSender) buildURL(name string, in callbackInput) (*url.URL, error) {
	u, err := url.Parse(s.cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("callback url: %w", err)
	}
	used := map[string]bool{}
	var errs []error
	segs := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, ":") {
			continue
		}
		pname := seg[1:]
		end := strings.IndexFunc(pname, func(r rune) bool {
			return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_'
		})
		rest := ""
		if end >= 0 {
			pname, rest = pname[:end], pname[end:]
		}
		if pname == "" {
			continue
		}
		used[pname] = true
		v, ok := in.Params[pname]
		if !ok || v == nil {
			errs = append(errs, fmt.Errorf("%s.params.%s: required by the callback url %s", name, pname, s.cfg.URL))
			continue
		}
		sv, ok := scalarString(v)
		if !ok || sv == "" {
			errs = append(errs, fmt.Errorf("%s.params.%s: want a non-empty string or number, got %s", name, pname, sdk.JSONKind(v)))
			continue
		}
		segs[i] = url.PathEscape(sv) + rest
	}
	for _, k := range slices.Sorted(maps.Keys(in.Params)) {
		if !used[k] {
			errs = append(errs, fmt.Errorf("%s.params.%s: the callback url %s has no :%s segment", name, k, s.cfg.URL, k))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	raw := strings.Join(segs, "/")
	p, err := url.PathUnescape(raw)
	if err != nil {
		return nil, fmt.Errorf("callback url: %w", err)
	}
	u.Path, u.RawPath = p, raw
	q := u.Query()
	for _, k := range slices.Sorted(maps.Keys(in.Query)) {
		vals, ok := queryValues(in.Query[k])
		if !ok {
			return nil, fmt.Errorf("%s.query.%s: want a string, number, boolean or a list of them, got %s", name, k, sdk.JSONKind(in.Query[k]))
		}
		for _, v := range vals {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u, nil
}

// queryValues turns a query value (a scalar or a list of scalars) into text.
func queryValues(v any) ([]string, bool) {
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, item := range list {
			s, ok := scalarString(item)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	s, ok := scalarString(v)
	return []string{s}, ok
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

// redact hides a URL's user info and query (they may carry secrets).
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	return c.String()
}
