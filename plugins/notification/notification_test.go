package main

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/jobd-dev/jobd/sdk"
)

func TestMultiChannel(t *testing.T) {
	t.Run("email sent and push without a provider is a success listing both", func(t *testing.T) {
		p, _ := newPlugin(t, `{}`)
		out := mustSend(t, p, newJob("k", seedInput))
		if len(out.Channels) != 2 || out.Channels["email"].Status != StatusSent {
			t.Fatalf("channels %+v", out.Channels)
		}
		b, _ := json.Marshal(out)
		want := `"push_notification":{"status":"failed","error":"push_notification: no provider configured: set provider in [plugins.notification.config.push]","permanent":true}`
		if !strings.Contains(string(b), want) {
			t.Errorf("output %s lacks %s", b, want)
		}
	})
	t.Run("a retry does not send a channel sent before", func(t *testing.T) {
		h := startHook(t, http.StatusOK, "")
		p, dir := newPlugin(t, callbackConfig(h.URL, "/h"))
		input := `{"email": {"to": "a@example.com", "subject": "s", "body": "b"}, "callback": {"body": {"a": 1}}, "sms": {"to": "+15550100", "body": "b"}}`
		first := mustSend(t, p, newJob("run-7", input))
		retry := newJob("run-7", input)
		retry.Attempt = 2
		second := mustSend(t, p, retry)
		if n := len(h.requests()); n != 1 {
			t.Errorf("callback called %d times, want 1", n)
		}
		if n := len(outboxFiles(t, dir)); n != 1 {
			t.Errorf("%d outbox files, want 1", n)
		}
		if !reflect.DeepEqual(first, second) {
			t.Errorf("retry output %+v differs from %+v", second, first)
		}
		if second.Channels["sms"].Status != StatusFailed {
			t.Errorf("sms %+v", second.Channels["sms"])
		}
		mustSend(t, p, newJob("run-8", input)) // another run sends again
		if n := len(h.requests()); n != 2 {
			t.Errorf("callback called %d times after a second run, want 2", n)
		}
	})
	t.Run("all failed with one retryable is retryable with the longest delay", func(t *testing.T) {
		h := startHook(t, http.StatusServiceUnavailable, "30")
		p, _ := newPlugin(t, callbackConfig(h.URL, "/h"))
		res, err := p.Handle(context.Background(), newJob("k", `{"push_notification": {"title": "t"}, "callback": {}}`))
		mustFail(t, res, err, false)
		if d, _ := sdk.RetryDelay(err); d != 30*time.Second {
			t.Errorf("delay %v", d)
		}
		if !strings.HasPrefix(err.Error(), "every channel failed: push_notification: no provider configured") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("all failed permanently is permanent", func(t *testing.T) {
		p, _ := newPlugin(t, `{}`)
		res, err := p.Handle(context.Background(), newJob("k", `{"push_notification": {}, "email": {"subject": "s", "body": "b"}}`))
		mustFail(t, res, err, true)
		if !strings.Contains(err.Error(), "email.to: required") {
			t.Errorf("error %v", err)
		}
	})
}

func TestInputErrorsArePermanent(t *testing.T) {
	tests := map[string]struct{ input, want string }{
		"empty object":        {`{}`, "input: no channel"},
		"only nulls":          {`{"email": null}`, "input: no channel"},
		"not an object":       {`[1]`, "input: want an object"},
		"unknown channel":     {`{"slack": {}}`, `input: unknown channel "slack"`},
		"callback and alias":  {`{"callback": {}, "webhook": {}}`, "name the same channel"},
		"missing to":          {`{"email": {"subject": "s", "body": "b"}}`, "email.to: required"},
		"piped empty to":      {`{"email": {"to": "", "subject": "s", "body": "b"}}`, "email.to: required"},
		"missing subject":     {`{"email": {"to": "a@example.com", "body": "b"}}`, "email.subject: required"},
		"missing body":        {`{"email": {"to": "a@example.com", "subject": "s"}}`, "email.body: required (or email.template)"},
		"bad address":         {`{"email": {"to": ["a@example.com", "not an address"], "subject": "s", "body": "b"}}`, `email.to[1]: invalid address "not an address"`},
		"bad cc":              {`{"email": {"to": "a@example.com", "cc": "x@", "subject": "s", "body": "b"}}`, `email.cc: invalid address "x@"`},
		"wrong type":          {`{"email": {"to": "a@example.com", "subject": 3, "body": "b"}}`, "email.subject: want string, got number"},
		"to of numbers":       {`{"email": {"to": [1], "subject": "s", "body": "b"}}`, "email.to: want a string or a list of strings"},
		"unknown email field": {`{"email": {"to": "a@example.com", "subjet": "s", "body": "b"}}`, "email.subjet: unknown key"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p, _ := newPlugin(t, `{}`)
			res, err := p.Handle(context.Background(), newJob("k", tt.input))
			mustFail(t, res, err, true)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := map[string]struct{ config, want string }{
		"unknown keys all named": {`{"email": {"form": "x", "smtp": {"hots": "h"}}, "extra": 1}`,
			"email.form: unknown key (known: from, message_id_domain, outbox_dir, smtp, transport)\nemail.smtp.hots: unknown key"},
		"bad transport":      {`{"email": {"transport": "pigeon"}}`, `email.transport: want "outbox" or "smtp", got "pigeon"`},
		"smtp without host":  {`{"email": {"transport": "smtp"}}`, "email.smtp.host: required"},
		"bad tls":            {`{"email": {"smtp": {"tls": "ssl"}}}`, `email.smtp.tls: want "starttls", "tls" or "none", got "ssl"`},
		"bad from":           {`{"email": {"from": "nobody"}}`, `email.from: invalid address "nobody"`},
		"duration as number": {`{"callback": {"timeout": 10}}`, `callback.timeout: want a duration string such as "10s", got 10`},
		"bad duration":       {`{"email": {"smtp": {"timeout": "ten"}}}`, "email.smtp.timeout: want a duration string"},
		"wrong type":         {`{"email": {"smtp": {"port": "25"}}}`, "email.smtp.port: want int, got string"},
		"bad callback url":   {`{"callback": {"url": "ftp://x/y"}}`, "callback.url: want an http or https URL"},
		"bad ca file":        {`{"email": {"transport": "smtp", "smtp": {"host": "h", "ca_file": "/nonexistent/ca.pem"}}}`, "email.smtp.ca_file"},
		"several at once":    {`{"email": {"transport": "x", "smtp": {"port": 70000}}}`, "email.transport: want \"outbox\" or \"smtp\", got \"x\"\nemail.smtp.port: 70000 is out of range"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := (&Plugin{}).Configure(context.Background(), &sdk.ConfigureRequest{Config: json.RawMessage(tt.config), DataDir: t.TempDir()})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "notification config: ") {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	t.Run("outbox needs a data folder", func(t *testing.T) {
		err := (&Plugin{}).Configure(context.Background(), &sdk.ConfigureRequest{Config: json.RawMessage(`{}`)})
		if err == nil || !strings.Contains(err.Error(), "no data folder") {
			t.Errorf("error %v", err)
		}
	})
}

func TestHandleBeforeConfigure(t *testing.T) {
	if _, err := (&Plugin{}).Handle(context.Background(), newJob("k", seedInput)); err == nil {
		t.Fatal("Handle before Configure succeeded")
	}
}

// TestSampleConfigIsTheWorkingDefault parses sample.conf as the root config
// would, converts its block to JSON as jobd does, and configures a plugin.
func TestSampleConfigIsTheWorkingDefault(t *testing.T) {
	info := (&Plugin{}).Info()
	var root map[string]any
	if err := toml.Unmarshal([]byte(info.SampleConfig), &root); err != nil {
		t.Fatalf("sample.conf is not TOML: %v", err)
	}
	if len(root) != 1 || root["plugins"] == nil {
		t.Fatalf("sample.conf top-level tables %v, want only plugins", slices.Collect(maps.Keys(root)))
	}
	block := root["plugins"].(map[string]any)["notification"].(map[string]any)["config"]
	raw, _ := json.Marshal(block)
	p, dir := newPlugin(t, string(raw))
	if p.cfg.Email.Transport != TransportOutbox {
		t.Errorf("sample transport %q, want outbox", p.cfg.Email.Transport)
	}
	out := mustSend(t, p, newJob("sample", seedInput))
	if out.Channels["email"].Status != StatusSent || len(outboxFiles(t, dir)) != 1 {
		t.Errorf("the sample config does not deliver the seed email: %+v", out)
	}
	// Every commented key is a real key: uncomment them all.
	var lines []string
	for _, l := range strings.Split(info.SampleConfig, "\n") {
		trimmed := strings.TrimSpace(l)
		if strings.HasPrefix(trimmed, "# ") && !strings.HasPrefix(trimmed, "##") {
			l = strings.Replace(l, "# ", "", 1)
		}
		lines = append(lines, l)
	}
	root = nil
	if err := toml.Unmarshal([]byte(strings.Join(lines, "\n")), &root); err != nil {
		t.Fatalf("uncommented sample.conf is not TOML: %v", err)
	}
	raw, _ = json.Marshal(root["plugins"].(map[string]any)["notification"].(map[string]any)["config"])
	if _, err := decodeConfig(raw); err != nil {
		t.Errorf("uncommented sample.conf: %v", err)
	}
}

func TestInputSchemaMatchesInput(t *testing.T) {
	info := (&Plugin{}).Info()
	if info.Name != "notification" || info.Version != Version || info.Description == "" {
		t.Errorf("info %+v", info)
	}
	var schema struct {
		Properties map[string]struct {
			Ref        string                     `json:"$ref"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"properties"`
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(info.InputSchema, &schema); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	fields := append(slices.Clone(channelOrder), FieldMessage, FieldVariables)
	if got := slices.Sorted(maps.Keys(schema.Properties)); !slices.Equal(got, slices.Sorted(slices.Values(fields))) {
		t.Errorf("schema fields %v, want %v", got, fields)
	}
	for name, typ := range map[string]reflect.Type{"email": reflect.TypeFor[emailInput](), "callback": reflect.TypeFor[callbackInput](),
		"push_notification": reflect.TypeFor[pushInput](), "sms": reflect.TypeFor[smsInput]()} {
		props := schema.Properties[name].Properties
		if props == nil {
			props = schema.Defs[name].Properties
		}
		var fields []string
		for i := range typ.NumField() {
			tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			fields = append(fields, tag)
		}
		if got := slices.Sorted(maps.Keys(props)); !slices.Equal(got, slices.Sorted(slices.Values(fields))) {
			t.Errorf("schema %s fields %v, input fields %v", name, got, fields)
		}
	}
}

func TestReadmeShowsSampleConfig(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```toml\n"+sampleConfig+"```") {
		t.Error("README.md does not show sample.conf verbatim")
	}
}
