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
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/jobd-dev/jobd/sdk"
)

// Headers the plugin sets itself.
const (
	// HeaderIdempotencyKey carries the run's idempotency key.
	HeaderIdempotencyKey = "Idempotency-Key"
	headerContentType    = "Content-Type"
	headerContentLength  = "Content-Length"
)

// checkHeader refuses an invalid header, and the headers the plugin sets.
func checkHeader(name, value string) error {
	if !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(value) {
		return errors.New("invalid header name or value")
	}
	switch http.CanonicalHeaderKey(name) {
	case HeaderIdempotencyKey:
		return errors.New("set by the plugin from the run's idempotency key")
	case headerContentLength:
		return errors.New("set by the plugin from the body")
	}
	return nil
}

// buildRequest makes the action's request: the app's base URL and the
// action's path with the params filled in, the query, the body in the
// action's format, then headers in this order (a later one wins): the
// app's, the action's, the authentication, the input's; and the
// Idempotency-Key when key is not empty. Every error is a mistake in the
// input: permanent.
func buildRequest(ctx context.Context, a *action, in Input, key, userAgent string) (*http.Request, error) {
	path, err := fillPath(a.path, in.Params)
	if err != nil {
		return nil, err
	}
	u := *a.app.base
	rawPath := strings.TrimRight(u.EscapedPath(), "/") + "/" + strings.TrimLeft(path, "/")
	p, err := url.PathUnescape(rawPath)
	if err != nil {
		return nil, fmt.Errorf("path %s: %w", rawPath, err)
	}
	u.Path, u.RawPath = p, rawPath
	q := maps.Clone(a.query)
	if q == nil {
		q = url.Values{}
	}
	if err := addQuery(q, in.Query); err != nil {
		return nil, err
	}
	auth := a.app.cfg.Auth
	if auth.Type == AuthAPIKey && auth.In == "query" {
		q.Set(auth.Name, auth.Value)
	}
	u.RawQuery = q.Encode()

	var body io.Reader
	contentType := ""
	if in.hasBody() {
		switch a.cfg.BodyFormat {
		case FormatForm:
			form, err := formBody(in.Body)
			if err != nil {
				return nil, err
			}
			body, contentType = strings.NewReader(form), "application/x-www-form-urlencoded"
		default:
			var buf bytes.Buffer
			if err := json.Compact(&buf, in.Body); err != nil {
				return nil, fmt.Errorf("body: %w", err)
			}
			body, contentType = &buf, "application/json"
		}
	}
	req, err := http.NewRequestWithContext(ctx, a.cfg.Method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	if contentType != "" {
		req.Header.Set(headerContentType, contentType)
	}
	setHeaders(req, a.app.cfg.Headers)
	setHeaders(req, a.cfg.Headers)
	switch auth.Type {
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+auth.Token)
	case AuthBasic:
		req.SetBasicAuth(auth.Username, auth.Password)
	case AuthAPIKey:
		if auth.In == "header" {
			req.Header.Set(auth.Name, auth.Value)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(in.Headers)) {
		v, ok := scalarString(in.Headers[k])
		if !ok {
			return nil, fmt.Errorf("headers.%s: want a string, got %s", k, sdk.JSONKind(in.Headers[k]))
		}
		if err := checkHeader(k, v); err != nil {
			return nil, fmt.Errorf("headers.%s: %w", k, err)
		}
		setHeaders(req, map[string]string{k: v})
	}
	if key != "" {
		req.Header.Set(HeaderIdempotencyKey, key)
	}
	return req, nil
}

// setHeaders sets each header on req, in key order; Host sets the
// request's host.
func setHeaders(req *http.Request, h map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(h)) {
		v := h[k]
		if http.CanonicalHeaderKey(k) == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
}

// redactURL hides a URL's user info and query (they may carry an API key).
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	return c.String()
}
