package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
)

func TestFill(t *testing.T) {
	vars := map[string]any{
		"name": "Ada", "n": json.Number("3"), "ok": true, "none": nil,
		"user":  map[string]any{"city": "London", "tags": []any{"a", "b"}},
		"title": map[string]any{"name": "Lady Ada"}, // only for the title
		"html":  "<b>&</b>",
	}
	tests := []struct {
		text, part string
		escape     bool
		want       string
	}{
		{"Hello {{name}}!", PartBody, false, "Hello Ada!"},
		{"Hello {{ name }}, {{n}} {{ok}}", PartBody, false, "Hello Ada, 3 true"},
		{"Hello {{name}}", PartTitle, false, "Hello Lady Ada"},
		{"{{missing}} and {{none}} stay", PartBody, false, "{{missing}} and {{none}} stay"},
		{"{{user.city}} {{user.tags}} {{user.zip}}", PartBody, false, `London ["a","b"] {{user.zip}}`},
		{"{{html}}", PartBody, false, "<b>&</b>"},
		{"<p>{{html}}</p>", PartTemplate, true, "<p>&lt;b&gt;&amp;&lt;/b&gt;</p>"},
		{"{name} {{ }} {{bad name}}", PartBody, false, "{name} {{ }} {{bad name}}"},
	}
	for _, tt := range tests {
		if got := fill(tt.text, tt.part, vars, tt.escape); got != tt.want {
			t.Errorf("fill(%q, %s) = %q, want %q", tt.text, tt.part, got, tt.want)
		}
	}
}

// messagesConfig stores reminders:upcoming.
const messagesConfig = `{"reminders": {"upcoming": {
	"title": "Hi {{name}}",
	"body": "Your event {{event}} is on {{date}}.",
	"subject": "Reminder: {{event}}",
	"template": "<p>Dear {{name}}, <b>{{event}}</b> is on {{date}}. {{unknown}}</p>"}}}`

func TestStoredMessage(t *testing.T) {
	f := startProviders(t)
	p, dir := newPlugin(t, f.config(ProviderExpo, ProviderTwilio, "messages", messagesConfig))
	input := `{
	  "message": "reminders:upcoming",
	  "variables": {"name": "Ada", "event": "Launch & party", "date": "2025-03-20",
	                "title": {"name": "Lady Ada"}, "template": {"date": "20 March"}},
	  "push_notification": {"device_token": "ExponentPushToken[a]", "data": {"id": 1}},
	  "email": {"to": "ada@example.com"},
	  "sms": {"to": "+15550100001", "body": "Own text wins: {{name}}"}}`
	out := mustSend(t, p, newJob("msg", input))
	for name, o := range out.Channels {
		if o.Status != StatusSent {
			t.Errorf("%s: %+v", name, o)
		}
	}
	push := f.callsTo("/--/")[0].json.([]any)[0].(map[string]any)
	if push["title"] != "Hi Lady Ada" || push["body"] != "Your event Launch & party is on 2025-03-20." {
		t.Errorf("push %v", push)
	}
	if sms := f.callsTo("/2010-04-01/")[0].form; sms.Get("Body") != "Own text wins: {{name}}" {
		t.Errorf("sms body %q", sms.Get("Body"))
	}
	eml, err := os.ReadFile(filepath.Join(dir, out.Channels["email"].File))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Subject: Reminder: Launch & party\r\n",
		"Your event Launch & party is on 2025-03-20.",
		"<p>Dear Ada, <b>Launch &amp; party</b> is on 20 March. {{unknown}}</p>",
	} {
		if !strings.Contains(string(eml), want) {
			t.Errorf("message lacks %q:\n%s", want, eml)
		}
	}
}

func TestStoredMessageSubjectFallsBackToTitle(t *testing.T) {
	p, dir := newPlugin(t, `{"messages": {"n": {"m": {"title": "T {{x}}", "body": "B"}}}}`)
	out := mustSend(t, p, newJob("k", `{"message": "n:m", "variables": {"x": 1}, "email": {"to": "a@example.com"}}`))
	eml, _ := os.ReadFile(filepath.Join(dir, out.Channels["email"].File))
	if !strings.Contains(string(eml), "Subject: T 1\r\n") {
		t.Errorf("message:\n%s", eml)
	}
}

func TestStoredMessageErrors(t *testing.T) {
	p, _ := newPlugin(t, `{"messages": {"n": {"m": {"body": "B"}}}}`)
	tests := map[string]struct{ input, want string }{
		"unknown message":   {`{"message": "n:other", "sms": {}}`, `message: "n:other" is not configured: add [plugins.notification.config.messages.n.other]`},
		"not tag:tag":       {`{"message": "n", "sms": {}}`, `message: want "notification_tag:message_tag", got "n"`},
		"not a string":      {`{"message": 1, "sms": {}}`, `message: want a string`},
		"variables alone":   {`{"variables": {"a": 1}, "sms": {}}`, "variables: given without a message"},
		"variables list":    {`{"message": "n:m", "variables": [1], "sms": {}}`, "variables: want an object"},
		"part still needed": {`{"message": "n:m", "email": {"to": "a@example.com"}}`, "email.subject: required"},
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
}

func TestProviderConfigErrors(t *testing.T) {
	tests := map[string]struct{ config, want string }{
		"bad push provider": {`{"push": {"provider": "apns"}}`, `push.provider: want "expo" or "fcm", got "apns"`},
		"bad sms provider":  {`{"sms": {"provider": "nexmo"}}`, `sms.provider: want "twilio", "vonage" or "plivo", got "nexmo"`},
		"fcm without credentials": {`{"push": {"provider": "fcm"}}`,
			`push.fcm.credentials_file: required when push.provider is "fcm" (or push.fcm.credentials_json)`},
		"fcm both credentials": {`{"push": {"fcm": {"credentials_file": "a", "credentials_json": "{}"}}}`, "push.fcm.credentials_json: give credentials_file or credentials_json, not both"},
		"fcm missing file":     {`{"push": {"provider": "fcm", "fcm": {"credentials_file": "/nonexistent.json"}}}`, "push.fcm.credentials_file: open /nonexistent.json"},
		"fcm not json":         {`{"push": {"provider": "fcm", "fcm": {"credentials_json": "nope"}}}`, "push.fcm.credentials_json: not a service account JSON key"},
		"fcm bad key": {`{"push": {"provider": "fcm", "fcm": {"credentials_json": "{\"type\": \"service_account\", \"client_email\": \"a@b\", \"private_key\": \"x\"}"}}}`,
			"push.fcm.credentials_json: private_key: no PEM block"},
		"twilio incomplete": {`{"sms": {"provider": "twilio", "twilio": {"account_sid": "AC1"}}}`,
			"sms.twilio.auth_token: required when sms.provider is \"twilio\"\nsms.twilio.from: required when sms.provider is \"twilio\" (or sms.twilio.messaging_service_sid)"},
		"vonage incomplete": {`{"sms": {"provider": "vonage"}}`, "sms.vonage.api_key: required"},
		"plivo incomplete":  {`{"sms": {"provider": "plivo", "plivo": {"auth_id": "a", "auth_token": "b"}}}`, "sms.plivo.from: required"},
		"bad base url":      {`{"sms": {"plivo": {"base_url": "api.plivo.com"}}}`, `sms.plivo.base_url: want an http or https URL, got "api.plivo.com"`},
		"unknown provider key": {`{"sms": {"twilio": {"token": "x"}}}`,
			"sms.twilio.token: unknown key (known: account_sid, auth_token, base_url, from, messaging_service_sid)"},
		"unknown message key": {`{"messages": {"n": {"m": {"titel": "x"}}}}`, "messages.n.m.titel: unknown key (known: body, subject, template, title)"},
		"empty message":       {`{"messages": {"n": {"m": {}}}}`, "messages.n.m: empty message"},
		"colon in tag":        {`{"messages": {"a:b": {"m": {"body": "x"}}}}`, `messages.a:b: a notification tag must be non-empty and hold no ":"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := (&Plugin{}).Configure(context.Background(), &sdk.ConfigureRequest{Config: json.RawMessage(tt.config), DataDir: t.TempDir()})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "notification config: ") {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	t.Run("fcm project from the credentials file, base URLs default", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "sa.json")
		if err := os.WriteFile(file, []byte(fcmCredentials("https://oauth2.googleapis.com")), 0o600); err != nil {
			t.Fatal(err)
		}
		p, _ := newPlugin(t, `{"push": {"provider": "fcm", "fcm": {"credentials_file": "`+file+`"}}}`)
		fp := p.push.(*fcmProvider)
		if fp.url != "https://fcm.googleapis.com/v1/projects/jobd-test/messages:send" || fp.tokens.url != "https://oauth2.googleapis.com/token" {
			t.Errorf("url %s, token url %s", fp.url, fp.tokens.url)
		}
		want := map[string]string{"expo": ExpoBaseURLDefault, "twilio": TwilioBaseURLDefault, "vonage": VonageBaseURLDefault, "plivo": PlivoBaseURLDefault}
		got := map[string]string{"expo": p.cfg.Push.Expo.BaseURL, "twilio": p.cfg.SMS.Twilio.BaseURL, "vonage": p.cfg.SMS.Vonage.BaseURL, "plivo": p.cfg.SMS.Plivo.BaseURL}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("base URLs %v", got)
		}
		if _, err := url.Parse(fp.url); err != nil {
			t.Error(err)
		}
	})
}
