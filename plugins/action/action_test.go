package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

func TestRequestIsSentAsConfigured(t *testing.T) {
	srv := startRecorder(t)
	p := newPlugin(t, appConfig(srv.URL+"/api/v1/", `"headers": {"Accept": "application/json", "X-App": "app"},`))
	job := newJob("crm:post_note", "run-7/attempts", `{
		"params": {"id": "a b/c"},
		"query": {"notify": true, "tag": ["x", "y z"], "n": 3},
		"body": {"text": "hello", "n": 1.50, "nested": {"ok": true}},
		"headers": {"X-App": "input", "X-Trace": 42}}`)
	out := mustRun(t, p, job)
	r := srv.last(t)
	if r.Method != "POST" || r.RawPath != "/api/v1/notes/a%20b%2Fc" {
		t.Errorf("request %s %s, want POST /api/v1/notes/a%%20b%%2Fc", r.Method, r.RawPath)
	}
	if r.RawQuery != "n=3&notify=true&tag=x&tag=y+z" {
		t.Errorf("query %q", r.RawQuery)
	}
	if r.Body != `{"text":"hello","n":1.50,"nested":{"ok":true}}` {
		t.Errorf("body %s", r.Body)
	}
	for k, want := range map[string]string{
		"Idempotency-Key": "run-7/attempts", "Content-Type": "application/json", "Accept": "application/json",
		"X-App": "input", "X-Trace": "42", "User-Agent": "jobd-action/" + Version, "Authorization": "",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if out.Status != 200 || string(out.Body.(json.RawMessage)) != `{"ok":true}` || out.Headers["Content-Type"] != "application/json" || out.Truncated {
		t.Errorf("output %+v", out)
	}

	t.Run("same key on every attempt", func(t *testing.T) {
		job.Attempt = 2
		mustRun(t, p, job)
		if got := srv.last(t).Header.Get("Idempotency-Key"); got != "run-7/attempts" {
			t.Errorf("attempt 2 Idempotency-Key %q", got)
		}
	})
	t.Run("fixed query and no body", func(t *testing.T) {
		mustRun(t, p, newJob("crm:search", "k", `{"query": {"q": "ada"}}`))
		r := srv.last(t)
		if r.Method != "GET" || r.RawPath != "/api/v1/search" || r.RawQuery != "q=ada&type=note" || r.Body != "" || r.Header.Get("Content-Type") != "" {
			t.Errorf("request %+v", r)
		}
	})
	t.Run("form body", func(t *testing.T) {
		mustRun(t, p, newJob("crm:form", "k", `{"params": {"form_id": 9}, "body": {"name": "Ada L", "tags": ["a", "b"], "age": 36, "skip": null}}`))
		r := srv.last(t)
		if r.RawPath != "/api/v1/forms/9/submit" || r.Body != "age=36&name=Ada+L&tags=a&tags=b" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("request %+v", r)
		}
	})
	t.Run("input action overrides the event", func(t *testing.T) {
		mustRun(t, p, newJob("crm:post_note", "k", `{"action": "crm:get_note", "params": {"id": 1}}`))
		if r := srv.last(t); r.Method != "GET" || r.RawPath != "/api/v1/notes/1" {
			t.Errorf("request %s %s", r.Method, r.RawPath)
		}
	})
}

func TestAuth(t *testing.T) {
	srv := startRecorder(t)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ada:s3cret"))
	for _, c := range []struct {
		name, auth, header, want, query string
	}{
		{"none", `{"type": "none"}`, "Authorization", "", ""},
		{"absent", `{}`, "Authorization", "", ""},
		{"bearer", `{"type": "bearer", "token": "tok-123"}`, "Authorization", "Bearer tok-123", ""},
		{"basic", `{"type": "basic", "username": "ada", "password": "s3cret"}`, "Authorization", basic, ""},
		{"api_key header", `{"type": "api_key", "name": "X-Api-Key", "value": "k-1"}`, "X-Api-Key", "k-1", ""},
		{"api_key query", `{"type": "api_key", "name": "api_key", "value": "k 1", "in": "query"}`, "X-Api-Key", "", "api_key=k+1&q=1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newPlugin(t, appConfig(srv.URL, `"auth": `+c.auth+`,`))
			mustRun(t, p, newJob("crm:get_note", "k", `{"params": {"id": 1}, "query": {"q": 1}}`))
			r := srv.last(t)
			if got := r.Header.Get(c.header); got != c.want {
				t.Errorf("%s = %q, want %q", c.header, got, c.want)
			}
			if c.query != "" && r.RawQuery != c.query {
				t.Errorf("query %q, want %q", r.RawQuery, c.query)
			}
		})
	}
	t.Run("input header wins over auth", func(t *testing.T) {
		p := newPlugin(t, appConfig(srv.URL, `"auth": {"type": "bearer", "token": "app"},`))
		mustRun(t, p, newJob("crm:get_note", "k", `{"params": {"id": 1}, "headers": {"Authorization": "Bearer user"}}`))
		if got := srv.last(t).Header.Get("Authorization"); got != "Bearer user" {
			t.Errorf("Authorization %q", got)
		}
	})
}

func TestStatusClasses(t *testing.T) {
	srv := startRecorder(t)
	p := newPlugin(t, appConfig(srv.URL, `"auth": {"type": "bearer", "token": "tok-secret"},`))
	job := newJob("crm:post_note", "k", `{"params": {"id": 42}, "body": {}}`)

	t.Run("429 with Retry-After seconds", func(t *testing.T) {
		srv.reply(429, `{"error":"slow down"}`, "Retry-After", "7")
		err := mustFail(t, p, job, false, "429 Too Many Requests", `{"error":"slow down"}`, "POST "+srv.URL+"/notes/42")
		if d, ok := sdk.RetryDelay(err); !ok || d != 7*time.Second {
			t.Errorf("delay %v %v, want 7s", d, ok)
		}
		var se *StatusError
		if !errors.As(err, &se) || se.Code != 429 {
			t.Errorf("error %T %v is not a StatusError 429", err, err)
		}
	})
	t.Run("429 with Retry-After date", func(t *testing.T) {
		srv.reply(429, "", "Retry-After", fixedNow.Add(90*time.Second).Format(http.TimeFormat))
		err := mustFail(t, p, job, false)
		if d, ok := sdk.RetryDelay(err); !ok || d != 90*time.Second {
			t.Errorf("delay %v %v, want 1m30s", d, ok)
		}
	})
	t.Run("503 is retryable", func(t *testing.T) {
		srv.reply(503, "maintenance\n\n  back soon")
		err := mustFail(t, p, job, false, "503 Service Unavailable: maintenance back soon")
		if _, ok := sdk.RetryDelay(err); ok {
			t.Errorf("503 without Retry-After asks for a delay: %v", err)
		}
	})
	for _, code := range []int{400, 401, 403, 404, 409, 422} {
		t.Run(http.StatusText(code)+" is permanent", func(t *testing.T) {
			srv.reply(code, `{"error":"nope","echo":"Bearer tok-secret"}`)
			err := mustFail(t, p, job, true, http.StatusText(code), `"error":"nope"`)
			if strings.Contains(err.Error(), "tok-secret") {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
	t.Run("long body is cut in the error", func(t *testing.T) {
		srv.reply(500, strings.Repeat("x", 2000))
		err := mustFail(t, p, job, false, "...")
		if len(err.Error()) > maxErrorBody+200 {
			t.Errorf("error is %d bytes long", len(err.Error()))
		}
	})
}

func TestRetryPolicyOverrides(t *testing.T) {
	srv := startRecorder(t)
	p := newPlugin(t, appConfig(srv.URL, `"retry": {
		"404": {"retry": true, "after": "5s"},
		"503": {"retry": false},
		"500": {"after": "30s"},
		"default": {"retry": true, "after": "1m"}},`))
	job := newJob("crm:get_note", "k", `{"params": {"id": 1}}`)
	for _, c := range []struct {
		code      int
		header    string
		permanent bool
		delay     time.Duration
	}{
		{404, "", false, 5 * time.Second},
		{404, "2", false, 2 * time.Second}, // Retry-After wins over after
		{503, "", true, 0},
		{500, "", false, 30 * time.Second},
		{400, "", false, time.Minute}, // default rule
		{502, "", false, time.Minute},
	} {
		srv.reply(c.code, "x", "Retry-After", c.header)
		err := mustFail(t, p, job, c.permanent)
		d, _ := sdk.RetryDelay(err)
		if d != c.delay {
			t.Errorf("%d (Retry-After %q): delay %v, want %v", c.code, c.header, d, c.delay)
		}
	}
}

func TestResponse(t *testing.T) {
	srv := startRecorder(t)
	p := newPlugin(t, appConfig(srv.URL, `"max_response_bytes": 10, "response_headers": ["x-request-id", "X-Missing"],`))
	job := newJob("crm:get_note", "k", `{"params": {"id": 1}}`)

	srv.reply(200, `{"a":"0123456789"}`, "Content-Type", "application/json", "X-Request-Id", "r-1")
	out := mustRun(t, p, job)
	if out.Body != `{"a":"0123` || !out.Truncated {
		t.Errorf("capped output %+v", out)
	}
	if len(out.Headers) != 1 || out.Headers["X-Request-Id"] != "r-1" {
		t.Errorf("headers %v, want only X-Request-Id", out.Headers)
	}
	srv.reply(201, "héllo wwörld", "Content-Type", "text/plain")
	if out := mustRun(t, p, job); out.Status != 201 || out.Body != "héllo ww" || !out.Truncated {
		t.Errorf("cut UTF-8 output %+v", out)
	}
	srv.reply(204, "")
	if out := mustRun(t, p, job); out.Status != 204 || out.Body != nil || out.Truncated {
		t.Errorf("204 output %+v", out)
	}
	srv.reply(200, "\xff\xfe\x00")
	if out := mustRun(t, p, job); out.Body != "//4A" || out.BodyEncoding != "base64" {
		t.Errorf("binary output %+v", out)
	}

	t.Run("default cap is 1 MiB and all headers", func(t *testing.T) {
		p := newPlugin(t, appConfig(srv.URL, ""))
		srv.reply(200, strings.Repeat("y", MaxResponseBytesDefault+5), "X-One", "1")
		out := mustRun(t, p, job)
		if s, _ := out.Body.(string); len(s) != MaxResponseBytesDefault || !out.Truncated {
			t.Errorf("body of %d bytes, truncated %v", len(s), out.Truncated)
		}
		if out.Headers["X-One"] != "1" || out.Headers["Content-Type"] == "" {
			t.Errorf("headers %v", out.Headers)
		}
	})
}

func TestNetworkErrorsRetry(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		p := newPlugin(t, appConfig("http://"+addr, `"auth": {"type": "api_key", "name": "key", "value": "hidden-key", "in": "query"},`))
		err = mustFail(t, p, newJob("crm:get_note", "k", `{"params": {"id": 1}}`), false, "crm:get_note: GET http://"+addr+"/notes/1")
		if strings.Contains(err.Error(), "hidden-key") {
			t.Errorf("the error shows the API key: %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		defer hang.Close()
		p := newPlugin(t, appConfig(hang.URL, `"timeout": "100ms",`))
		mustFail(t, p, newJob("crm:get_note", "k", `{"params": {"id": 1}}`), false, "timed out after 100ms")
	})
	t.Run("cancelled job", func(t *testing.T) {
		srv := startRecorder(t)
		p := newPlugin(t, appConfig(srv.URL, ""))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := p.Handle(ctx, newJob("crm:get_note", "k", `{"params": {"id": 1}}`))
		if err == nil || sdk.IsPermanent(err) || srv.count() != 0 {
			t.Errorf("error %v, %d requests", err, srv.count())
		}
	})
}

func TestInputErrorsArePermanent(t *testing.T) {
	srv := startRecorder(t)
	p := newPlugin(t, appConfig(srv.URL, ""))
	for _, c := range []struct{ event, input, want string }{
		{"crm:post_note", `{}`, "params.id: missing param: required by the path /notes/:id"},
		{"crm:post_note", `{"params": {"id": 1, "extra": 2}}`, "params.extra: the path /notes/:id has no :extra segment"},
		{"crm:post_note", `{"params": {"id": {"x": 1}}}`, "params.id: want a non-empty string or number, got an object"},
		{"crm:post_note", `{"params": {"id": 1}, "bdy": {}}`, "input.bdy: unknown key"},
		{"crm:post_note", `[]`, "input: want an object, got a list"},
		{"crm:post_note", `{"params": {"id": 1}, "headers": {"Idempotency-Key": "mine"}}`, "headers.Idempotency-Key: set by the plugin"},
		{"crm:post_note", `{"params": {"id": 1}, "query": {"q": {"a": 1}}}`, "query.q: want a string, number, boolean or a list of them"},
		{"crm:form", `{"params": {"form_id": 1}, "body": [1]}`, `body: want an object for body_format "form", got a list`},
		{"crm:form", `{"params": {"form_id": 1}, "body": {"a": {"b": 1}}}`, "body.a: want a string, number, boolean or a list of them"},
		{"crm", `{}`, `unknown action "crm": want "app_tag:action_tag"`},
		{"shop:post_note", `{}`, `unknown action "shop:post_note": no app "shop" (configured: crm)`},
		{"crm:delete", `{}`, `app "crm" has no action "delete" (configured: form, get_note, post_note, search)`},
	} {
		err := mustFail(t, p, newJob(c.event, "k", c.input), true, c.want)
		if errors.Is(err, ErrMissingParam) != strings.Contains(c.want, "missing param") {
			t.Errorf("%v: errors.Is(ErrMissingParam) wrong", err)
		}
	}
	if srv.count() != 0 {
		t.Errorf("%d requests sent for bad inputs", srv.count())
	}
}

func TestHandleBeforeConfigure(t *testing.T) {
	if _, err := (&Plugin{}).Handle(context.Background(), newJob("crm:get_note", "k", `{}`)); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("error %v, want ErrNotConfigured", err)
	}
}
