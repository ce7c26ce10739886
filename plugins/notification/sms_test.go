package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

func smsOnly(body string, to ...string) string {
	b, _ := json.Marshal(map[string]any{"sms": map[string]any{"recipients": to, "body": body}})
	return string(b)
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestSMSRequests(t *testing.T) {
	t.Run("twilio", func(t *testing.T) {
		f := startProviders(t)
		p, _ := newPlugin(t, f.config("", ProviderTwilio))
		out := mustSend(t, p, newJob("k", smsOnly("Your code is 1234", "+1 (555) 010-0001")))
		calls := f.callsTo("/2010-04-01/")
		if len(calls) != 1 || calls[0].path != "/2010-04-01/Accounts/"+twilioSID+"/Messages.json" || calls[0].auth != basic(twilioSID, twilioToken) {
			t.Fatalf("calls %+v", calls)
		}
		if want := (url.Values{"To": {"+15550100001"}, "From": {"+15550009999"}, "Body": {"Your code is 1234"}}); !reflect.DeepEqual(calls[0].form, want) {
			t.Errorf("form %v, want %v", calls[0].form, want)
		}
		want := ChannelOutcome{Status: StatusSent, Attempt: 1, Provider: "twilio", Results: []TargetOutcome{
			{To: "+15550100001", Status: StatusSent, Attempt: 1, ID: id("SM", "+15550100001Your code is 1234")}}}
		if got := out.Channels["sms"]; !reflect.DeepEqual(got, want) {
			t.Errorf("outcome %+v\nwant %+v", got, want)
		}
	})
	t.Run("twilio messaging service", func(t *testing.T) {
		f := startProviders(t)
		p, _ := newPlugin(t, `{"sms": {"provider": "twilio", "twilio": {"base_url": "`+f.URL+`", "account_sid": "`+twilioSID+`", "auth_token": "`+twilioToken+`", "messaging_service_sid": "MG1"}}}`)
		mustSend(t, p, newJob("k", smsOnly("hi", "+15550100001")))
		if c := f.callsTo("/2010-04-01/"); len(c) != 1 || c[0].form.Get("MessagingServiceSid") != "MG1" || c[0].form.Has("From") {
			t.Errorf("calls %+v", c)
		}
	})
	t.Run("vonage", func(t *testing.T) {
		f := startProviders(t)
		p, _ := newPlugin(t, f.config("", ProviderVonage))
		out := mustSend(t, p, newJob("k", smsOnly("Code: 1234 — merci", "+15550100001")))
		calls := f.callsTo("/sms/json")
		want := url.Values{"api_key": {vonageKey}, "api_secret": {vonageSecret}, "from": {"jobd"}, "to": {"15550100001"},
			"text": {"Code: 1234 — merci"}, "type": {"unicode"}}
		if len(calls) != 1 || !reflect.DeepEqual(calls[0].form, want) {
			t.Fatalf("calls %+v, want form %v", calls, want)
		}
		if r := out.Channels["sms"].Results[0]; r.Status != StatusSent || r.ID == "" || r.To != "+15550100001" {
			t.Errorf("result %+v", r)
		}
	})
	t.Run("plivo", func(t *testing.T) {
		f := startProviders(t)
		p, _ := newPlugin(t, f.config("", ProviderPlivo))
		out := mustSend(t, p, newJob("k", `{"sms": {"to": "+15550100001, +15550100002", "body": "hi"}}`))
		calls := f.callsTo("/v1/Account/")
		if len(calls) != 2 || calls[0].path != "/v1/Account/"+plivoID+"/Message/" || calls[0].auth != basic(plivoID, plivoToken) {
			t.Fatalf("calls %+v", calls)
		}
		got := map[string]bool{}
		for _, c := range calls {
			body := c.json.(map[string]any)
			if body["src"] != "+15550009999" || body["text"] != "hi" {
				t.Errorf("body %v", body)
			}
			got[body["dst"].(string)] = true
		}
		if !got["+15550100001"] || !got["+15550100002"] {
			t.Errorf("destinations %v", got)
		}
		if rs := out.Channels["sms"].Results; len(rs) != 2 || rs[1].To != "+15550100002" || rs[1].ID == "" {
			t.Errorf("results %+v", rs)
		}
	})
}

func TestSMSErrors(t *testing.T) {
	tests := []struct {
		provider  string
		to        []string
		ok        bool
		permanent bool
		delay     time.Duration
		want      string
	}{
		{ProviderTwilio, []string{"+15550100001", phoneInvalid}, true, true, 0,
			"sms: +15550000400: twilio: 400 Bad Request: 21211: Invalid 'To' Phone Number: +15550000400"},
		{ProviderTwilio, []string{phoneInvalid}, false, true, 0, "sms: +15550000400: twilio: 400 Bad Request: 21211"},
		{ProviderTwilio, []string{phoneInvalid, phoneThrottled}, false, false, 5 * time.Second,
			"sms: every recipient failed: sms: +15550000400: twilio: 400 Bad Request: 21211: Invalid 'To' Phone Number: +15550000400; sms: +15550000429: twilio: 429 Too Many Requests: 20429: Too Many Requests"},
		{ProviderTwilio, []string{phoneDown}, false, false, 0, "twilio: 500 Internal Server Error: 20500"},
		{ProviderVonage, []string{"+15550100001", phoneInvalid}, true, true, 0,
			"sms: +15550000400: vonage: status 3: Invalid Message: to address is not numeric"},
		{ProviderVonage, []string{phoneThrottled}, false, false, 0, "vonage: status 1: Throughput Rate Exceeded"},
		{ProviderVonage, []string{phoneDown}, false, false, 0, "vonage: 500 Internal Server Error"},
		{ProviderPlivo, []string{phoneInvalid}, false, true, 0, "sms: +15550000400: plivo: 400 Bad Request: dst parameter not valid"},
		{ProviderPlivo, []string{phoneThrottled}, false, false, 0, "plivo: 429 Too Many Requests: too many requests"},
		{ProviderPlivo, []string{phoneDown, "+15550100001"}, true, false, 0, "sms: +15550000500: plivo: 500 Internal Server Error: internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.provider+" "+strings.Join(tt.to, " "), func(t *testing.T) {
			f := startProviders(t)
			p, _ := newPlugin(t, f.config("", tt.provider))
			res, err := p.Handle(context.Background(), newJob("k", smsOnly("hi", tt.to...)))
			if tt.ok {
				if err != nil {
					t.Fatalf("Handle: %v", err)
				}
				for _, r := range res.Output.(Output).Channels["sms"].Results {
					if r.Status == StatusFailed && (r.Permanent != tt.permanent || r.Error != tt.want) {
						t.Errorf("failed result %+v, want permanent %v, error %q", r, tt.permanent, tt.want)
					}
				}
				return
			}
			mustFail(t, res, err, tt.permanent)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			if d, _ := sdk.RetryDelay(err); d != tt.delay {
				t.Errorf("delay %v, want %v", d, tt.delay)
			}
		})
	}
	t.Run("wrong credentials are permanent", func(t *testing.T) {
		f := startProviders(t)
		for provider, cfg := range map[string]string{
			"twilio": `{"account_sid": "` + twilioSID + `", "auth_token": "nope", "from": "+15550009999"}`,
			"vonage": `{"api_key": "` + vonageKey + `", "api_secret": "nope", "from": "jobd"}`,
			"plivo":  `{"auth_id": "` + plivoID + `", "auth_token": "nope", "from": "+15550009999"}`,
		} {
			cfg = strings.Replace(cfg, "{", `{"base_url": "`+f.URL+`", `, 1)
			p, _ := newPlugin(t, `{"sms": {"provider": "`+provider+`", "`+provider+`": `+cfg+`}}`)
			res, err := p.Handle(context.Background(), newJob("k", smsOnly("hi", "+15550100001")))
			mustFail(t, res, err, true)
		}
	})
}

func TestSMSInputErrors(t *testing.T) {
	f := startProviders(t)
	p, _ := newPlugin(t, f.config("", ProviderTwilio))
	tests := map[string]struct{ input, want string }{
		"no recipient":  {`{"sms": {"to": "", "body": "b"}}`, "sms.recipients: required (or sms.to)"},
		"no body":       {`{"sms": {"to": "+15550100001"}}`, "sms.body: required"},
		"bad number":    {`{"sms": {"to": ["+15550100001", "call me"], "body": "b"}}`, `sms.to[1]: invalid phone number "call me": want E.164, such as +15550100`},
		"unknown field": {`{"sms": {"to": "+15550100001", "body": "b", "from": "x"}}`, "sms.from: unknown key"},
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
