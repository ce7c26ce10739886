package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/sdktest"
)

// The plugin passes the SDK's conformance suite through the real protocol;
// the harness's host refuses to publish data that holds "unreachable".
func TestConformance(t *testing.T) {
	publish := func(_ context.Context, _ string, data []byte, _ map[string]string) error {
		if bytes.Contains(data, []byte("unreachable")) {
			return errors.New("nats: no servers available")
		}
		return nil
	}
	sdktest.Conformance(t, func() sdk.Plugin { return &Plugin{} }, sdktest.Case{
		Options:        []sdktest.Option{sdktest.WithPublish(publish)},
		Input:          map[string]any{"user_id": 7},
		BadInput:       map[string]any{"input": []int{1}},
		RetryableInput: map[string]any{"note": "unreachable"},
		BadConfig:      map[string]any{"subject": "features.>"},
	})
}

// Through the real protocol, the host receives the envelope and headers.
func TestPublishThroughTheProtocol(t *testing.T) {
	h := sdktest.Start(t, &Plugin{})
	if err := h.Configure(json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	r := h.Run(sdktest.Job{Event: "onboarding", IdempotencyKey: "k-1", Input: map[string]any{"user_id": 7}})
	if r.Outcome != sdktest.OK {
		t.Fatalf("outcome %v: %s", r.Outcome, r.Error)
	}
	msgs := h.Published()
	if len(msgs) != 1 || msgs[0].Subject != "features.onboarding" || string(msgs[0].Data) != `{"input":{"user_id":7}}` ||
		msgs[0].Headers["Nats-Msg-Id"] != "feature:k-1" || msgs[0].Headers["Jobd-Envelope"] != "v1" {
		t.Errorf("published %+v", msgs)
	}
}

// TestSampleConfig configures a plugin with sample.conf as jobd would, and
// with every commented key uncommented.
func TestSampleConfig(t *testing.T) {
	raw, err := sdktest.ConfigFromTOML(sampleConfig, "feature")
	if err != nil {
		t.Fatal(err)
	}
	p := newPlugin(t, string(raw))
	if p.cfg.Subject != SubjectDefault {
		t.Errorf("sample subject %q, want %q", p.cfg.Subject, SubjectDefault)
	}
	var lines []string
	for _, l := range strings.Split(sampleConfig, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "# ") {
			l = strings.Replace(l, "# ", "", 1)
		}
		lines = append(lines, l)
	}
	raw, err = sdktest.ConfigFromTOML(strings.Join(lines, "\n"), "feature")
	if err != nil {
		t.Fatal(err)
	}
	if p := newPlugin(t, string(raw)); p.cfg.subject("onboarding") != "events.user.onboard" {
		t.Errorf("uncommented sample: subject %q", p.cfg.subject("onboarding"))
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

func TestInfoAndSchema(t *testing.T) {
	info := (&Plugin{}).Info()
	if info.Name != "feature" || info.Version != Version || info.Description == "" {
		t.Errorf("info %+v", info)
	}
	var schema struct {
		Then struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"then"`
	}
	if err := json.Unmarshal(info.InputSchema, &schema); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	if len(schema.Then.Properties) != 2 || schema.Then.Properties[FieldInput] == nil || schema.Then.Properties[FieldSequence] == nil {
		t.Errorf("schema's wrapped input has %v, want input and sequence", schema.Then.Properties)
	}
}
