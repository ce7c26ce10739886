package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

// pushInput returns a push-only input to tokens.
func pushOnly(tokens ...string) string {
	b, _ := json.Marshal(map[string]any{"push_notification": map[string]any{
		"title": "Reminder Alert", "body": "Soon.", "data": map[string]any{"eventId": "evt-42", "n": 3, "nested": map[string]any{"a": true}},
		"device_tokens": tokens}})
	return string(b)
}

func TestExpo(t *testing.T) {
	t.Run("the seed example is sent as Expo documents it", func(t *testing.T) {
		f := startProviders(t)
		p, _ := newPlugin(t, f.config(ProviderExpo, ""))
		out := mustSend(t, p, newJob("seed", seedInput))
		calls := f.callsTo("/--/api/v2/push/send")
		if len(calls) != 1 {
			t.Fatalf("%d requests to Expo, want 1", len(calls))
		}
		if calls[0].auth != "Bearer "+expoAccessToken {
			t.Errorf("Authorization %q", calls[0].auth)
		}
		want := []any{map[string]any{"to": "ExponentPushToken[abc]", "title": "Reminder Alert",
			"body": "This is a reminder for your upcoming event.",
			"data": map[string]any{"eventId": "evt-42", "reminderType": "upcoming_event"}}}
		if !reflect.DeepEqual(calls[0].json, want) {
			t.Errorf("body %v\nwant %v", calls[0].json, want)
		}
		push := out.Channels["push_notification"]
		wantOut := ChannelOutcome{Status: StatusSent, Attempt: 1, Provider: "expo", Results: []TargetOutcome{
			{Token: "ExponentPushToken[abc]", Status: StatusSent, Attempt: 1, ID: id("ticket-", "ExponentPushToken[abc]")}}}
		if !reflect.DeepEqual(push, wantOut) {
			t.Errorf("push outcome %+v\nwant %+v", push, wantOut)
		}
	})
	t.Run("no access token sends no Authorization", func(t *testing.T) {
		f := startProviders(t)
		p, _ := newPlugin(t, `{"push": {"provider": "expo", "expo": {"base_url": "`+f.URL+`"}}}`)
		mustSend(t, p, newJob("k", pushOnly("ExponentPushToken[a]")))
		if c := f.callsTo("/--/"); len(c) != 1 || c[0].auth != "" {
			t.Errorf("calls %+v", c)
		}
	})
	tests := map[string]struct {
		tokens    []string
		ok        bool // the job succeeds
		permanent bool
		want      string // in the error (or in the failed result)
	}{
		"one of two unregistered is a success": {[]string{"ExponentPushToken[a]", "ExponentPushToken[unregistered]"}, true, true,
			`push_notification: ExponentPushToken[unregistered]: expo: DeviceNotRegistered: "ExponentPushToken[unregistered]" is not a registered push notification recipient`},
		"all unregistered is permanent": {[]string{"ExponentPushToken[unregistered-1]", "ExponentPushToken[unregistered-2]"}, false, true,
			"push_notification: every device token failed: push_notification: ExponentPushToken[unregistered-1]: expo: DeviceNotRegistered"},
		"rate exceeded is retryable": {[]string{"ExponentPushToken[unregistered]", "ExponentPushToken[ratelimited]"}, false, false,
			"expo: MessageRateExceeded: Too many messages sent to this device."},
		"503 is retryable": {[]string{"ExponentPushToken[down]"}, false, false,
			"push_notification: ExponentPushToken[down]: expo: 503 Service Unavailable: INTERNAL_SERVER_ERROR: An unknown error occurred."},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := startProviders(t)
			p, _ := newPlugin(t, f.config(ProviderExpo, ""))
			res, err := p.Handle(context.Background(), newJob("k", pushOnly(tt.tokens...)))
			if tt.ok {
				if err != nil {
					t.Fatalf("Handle: %v", err)
				}
				rs := res.Output.(Output).Channels["push_notification"].Results
				if len(rs) != 2 || rs[0].Status != StatusSent || rs[1].Status != StatusFailed || rs[1].Permanent != tt.permanent || rs[1].Error != tt.want {
					t.Errorf("results %+v", rs)
				}
				return
			}
			mustFail(t, res, err, tt.permanent)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
	t.Run("a wrong access token is permanent", func(t *testing.T) {
		f := startProviders(t)
		p, _ := newPlugin(t, `{"push": {"provider": "expo", "expo": {"base_url": "`+f.URL+`", "access_token": "wrong"}}}`)
		res, err := p.Handle(context.Background(), newJob("k", pushOnly("ExponentPushToken[a]")))
		mustFail(t, res, err, true)
		if !strings.Contains(err.Error(), "expo: 401 Unauthorized: UNAUTHORIZED: The bearer token is invalid") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("more than 100 tokens go in batches", func(t *testing.T) {
		f := startProviders(t)
		p, _ := newPlugin(t, f.config(ProviderExpo, ""))
		var tokens []string
		for i := range 150 {
			tokens = append(tokens, "ExponentPushToken["+strings.Repeat("x", i+1)+"]")
		}
		out := mustSend(t, p, newJob("k", pushOnly(tokens...)))
		if n := len(f.callsTo("/--/")); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
		if rs := out.Channels["push_notification"].Results; len(rs) != 150 || rs[149].Token != tokens[149] || rs[149].Status != StatusSent {
			t.Errorf("%d results", len(rs))
		}
	})
	t.Run("a device token is not sent again for the same run", func(t *testing.T) {
		f := startProviders(t)
		p, _ := newPlugin(t, f.config(ProviderExpo, ""))
		// An earlier attempt delivered token a but its channel outcome was
		// never recorded (it was still running when jobd retried).
		p.targets.put("k\x00push_notification\x00ExponentPushToken[a]", TargetOutcome{Token: "ExponentPushToken[a]", Status: StatusSent, Attempt: 1, ID: "t-a"})
		job := newJob("k", pushOnly("ExponentPushToken[a]", "ExponentPushToken[b]"))
		job.Attempt = 2
		out := mustSend(t, p, job)
		calls := f.callsTo("/--/")
		if len(calls) != 1 || len(calls[0].json.([]any)) != 1 {
			t.Fatalf("calls %+v, want one request for token b", calls)
		}
		rs := out.Channels["push_notification"].Results
		if rs[0].ID != "t-a" || rs[0].Attempt != 1 || rs[1].Attempt != 2 {
			t.Errorf("results %+v", rs)
		}
		mustSend(t, p, job) // the channel itself is remembered now
		if n := len(f.callsTo("/--/")); n != 1 {
			t.Errorf("%d requests after the retry, want 1", n)
		}
	})
}

func TestFCM(t *testing.T) {
	t.Run("the seed example is sent as FCM v1 documents it, with a cached token", func(t *testing.T) {
		f := startProviders(t)
		c := &clock{t: fixedNow}
		p := &Plugin{now: c.now}
		if err := p.Configure(context.Background(), &sdk.ConfigureRequest{Config: json.RawMessage(f.config(ProviderFCM, "")), DataDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		out := mustSend(t, p, newJob("seed", seedInput))
		calls := f.callsTo("/v1/projects/")
		if len(calls) != 1 || calls[0].path != "/v1/projects/jobd-test/messages:send" || calls[0].auth != "Bearer ya29.test-1" {
			t.Fatalf("calls %+v", calls)
		}
		want := map[string]any{"message": map[string]any{"token": "ExponentPushToken[abc]",
			"notification": map[string]any{"title": "Reminder Alert", "body": "This is a reminder for your upcoming event."},
			"data":         map[string]any{"eventId": "evt-42", "reminderType": "upcoming_event"}}}
		if !reflect.DeepEqual(calls[0].json, want) {
			t.Errorf("body %v\nwant %v", calls[0].json, want)
		}
		r := out.Channels["push_notification"].Results[0]
		if r.Status != StatusSent || !strings.HasPrefix(r.ID, "projects/jobd-test/messages/0:") {
			t.Errorf("result %+v", r)
		}

		mustSend(t, p, newJob("second", pushOnly("tok-1", "tok-2")))
		if f.tokensIssued() != 1 {
			t.Errorf("token endpoint called %d times, want 1 (cached)", f.tokensIssued())
		}
		calls = f.callsTo("/v1/projects/")
		data := calls[len(calls)-1].json.(map[string]any)["message"].(map[string]any)["data"]
		if want := map[string]any{"eventId": "evt-42", "n": "3", "nested": `{"a":true}`}; !reflect.DeepEqual(data, want) {
			t.Errorf("data %v, want %v", data, want)
		}
		c.add(56 * time.Minute) // within 5 minutes of expiry: renewed
		mustSend(t, p, newJob("third", pushOnly("tok-3")))
		if f.tokensIssued() != 2 {
			t.Errorf("token endpoint called %d times, want 2", f.tokensIssued())
		}
	})
	t.Run("a refused access token is renewed once", func(t *testing.T) {
		f := startProviders(t)
		p, _ := newPlugin(t, f.config(ProviderFCM, ""))
		mustSend(t, p, newJob("a", pushOnly("tok-1")))
		f.mu.Lock()
		f.fcmToken = "revoked-elsewhere"
		f.mu.Unlock()
		mustSend(t, p, newJob("b", pushOnly("tok-2")))
		if f.tokensIssued() != 2 {
			t.Errorf("token endpoint called %d times, want 2", f.tokensIssued())
		}
	})
	t.Run("errors per token", func(t *testing.T) {
		f := startProviders(t)
		p, _ := newPlugin(t, f.config(ProviderFCM, ""))
		m := &pushMessage{title: "t", body: "b"}
		rs := p.push.send(context.Background(), m, []string{"ok", "unregistered", "invalid", "quota", "down"})
		if rs[0].err != nil || rs[0].id == "" {
			t.Errorf("ok: %+v", rs[0])
		}
		if err := rs[1].err; !sdk.IsPermanent(err) || !errors.Is(err, ErrDeviceNotRegistered) ||
			err.Error() != "fcm: 404 Not Found: UNREGISTERED: Requested entity was not found." {
			t.Errorf("unregistered: %v", err)
		}
		if err := rs[2].err; !sdk.IsPermanent(err) || !strings.Contains(err.Error(), "400 Bad Request: INVALID_ARGUMENT") {
			t.Errorf("invalid: %v", err)
		}
		if d, ok := sdk.RetryDelay(rs[3].err); !ok || d != time.Minute || !strings.Contains(rs[3].err.Error(), "QUOTA_EXCEEDED") {
			t.Errorf("quota: %v", rs[3].err)
		}
		if err := rs[4].err; err == nil || sdk.IsPermanent(err) {
			t.Errorf("down: %v", err)
		}
	})
	t.Run("a refused grant is permanent, the token_url override is used", func(t *testing.T) {
		tok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
		}))
		defer tok.Close()
		f := startProviders(t)
		cfg := `{"push": {"provider": "fcm", "fcm": {"base_url": "` + f.URL + `", "token_url": "` + tok.URL + `", "credentials_json": ` + quoteJSON(fcmCredentials(f.URL)) + `}}}`
		p, _ := newPlugin(t, cfg)
		res, err := p.Handle(context.Background(), newJob("k", pushOnly("tok-1")))
		mustFail(t, res, err, true)
		if want := "push_notification: tok-1: fcm: token endpoint: 400 Bad Request: invalid_grant: Invalid JWT Signature."; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
		if n := len(f.callsTo("/v1/")); n != 0 {
			t.Errorf("%d sends without a token", n)
		}
	})
	t.Run("a token endpoint that is down is retryable", func(t *testing.T) {
		f := startProviders(t)
		cfg := `{"push": {"provider": "fcm", "fcm": {"base_url": "` + f.URL + `", "token_url": "http://127.0.0.1:1/token", "credentials_json": ` + quoteJSON(fcmCredentials(f.URL)) + `}}}`
		p, _ := newPlugin(t, cfg)
		res, err := p.Handle(context.Background(), newJob("k", pushOnly("tok-1")))
		mustFail(t, res, err, false)
	})
}

func TestPushInputErrors(t *testing.T) {
	f := startProviders(t)
	p, _ := newPlugin(t, f.config(ProviderExpo, ""))
	tests := map[string]struct{ input, want string }{
		"no token":       {`{"push_notification": {"title": "t", "device_token": ""}}`, "push_notification.device_token: required (or push_notification.device_tokens)"},
		"nothing to say": {`{"push_notification": {"device_token": "x"}}`, "push_notification.body: required (or push_notification.title, or push_notification.data for a data-only message)"},
		"data not object": {`{"push_notification": {"device_token": "x", "body": "b", "data": [1]}}`,
			"push_notification.data: want map[string]interface {}, got array"},
		"unknown field": {`{"push_notification": {"device_token": "x", "body": "b", "sound": "default"}}`, "push_notification.sound: unknown key"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := p.Handle(context.Background(), newJob("k", tt.input))
			mustFail(t, res, err, true)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
	if n := len(f.callsTo("/")); n != 0 {
		t.Errorf("%d requests for invalid input", n)
	}
}
