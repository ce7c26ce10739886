package sdk_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

type smtp struct {
	Host    string       `json:"host"`
	Port    int          `json:"port"`
	Timeout sdk.Duration `json:"timeout"`
}

type cfg struct {
	From string          `json:"from"`
	SMTP smtp            `json:"smtp"`
	Apps map[string]smtp `json:"apps"`
}

func TestDecodeStrict(t *testing.T) {
	var c cfg
	if err := sdk.DecodeStrict("", json.RawMessage(`{"from":"a@b.c","smtp":{"host":"h","port":25,"timeout":"5s"},"apps":{"x":{"port":1}}}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.SMTP.Port != 25 || time.Duration(c.SMTP.Timeout) != 5*time.Second || c.Apps["x"].Port != 1 {
		t.Fatalf("decoded %+v", c)
	}
	err := sdk.DecodeStrict("email", json.RawMessage(`{"frm":"x","smtp":{"host":"h","timeout":"soon","tls":1},"apps":{"x":{"prt":1}}}`), &c)
	for _, want := range []string{
		"email.frm: unknown key (known: apps, from, smtp)",
		`email.smtp.timeout: want a duration string such as "10s": time: invalid duration "soon"`,
		"email.smtp.tls: unknown key",
		"email.apps.x.prt: unknown key",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	err = sdk.DecodeStrict("", json.RawMessage(`{"smtp":{"port":"25"}}`), &c)
	if err == nil || !strings.Contains(err.Error(), "smtp.port: want int, got string") {
		t.Errorf("type error = %v", err)
	}
	// Wrong types are reported with the unknown keys, every one at once,
	// in lists too; a number for an int must be whole.
	err = sdk.DecodeStrict("", json.RawMessage(`{"frm":"x","from":7,"smtp":{"port":2.5,"host":true},"apps":{"x":{"port":"1"}}}`), &c)
	for _, want := range []string{
		"frm: unknown key",
		"from: want string, got number",
		"smtp.port: want int, got number 2.5",
		"smtp.host: want string, got bool",
		"apps.x.port: want int, got string",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	var l struct {
		Ports  []int `json:"ports"`
		Quoted int   `json:"quoted,string"`
	}
	err = sdk.DecodeStrict("", json.RawMessage(`{"ports":[1,"2"],"quoted":"3"}`), &l)
	if err == nil || !strings.Contains(err.Error(), "ports[1]: want int, got string") || strings.Contains(err.Error(), "quoted") {
		t.Errorf("list item and ,string field: %v", err)
	}
	if err := sdk.DecodeStrict("", json.RawMessage(`[1]`), &c); err == nil || !strings.Contains(err.Error(), "want an object, got a list") {
		t.Errorf("list = %v", err)
	}
	req := &sdk.ConfigureRequest{}
	if err := req.DecodeStrict(&c); err != nil {
		t.Errorf("empty config: %v", err)
	}
}

func TestDuration(t *testing.T) {
	var c smtp
	for raw, want := range map[string]string{
		`{"timeout": 10}`:     `timeout: want a duration string such as "10s", got 10`,
		`{"timeout": "-1s"}`:  `timeout: duration "-1s" is negative`,
		`{"timeout": "10 s"}`: `timeout: want a duration string such as "10s": time: unknown unit`,
	} {
		if err := sdk.DecodeStrict("", json.RawMessage(raw), &c); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", raw, err, want)
		}
	}
	if err := sdk.DecodeStrict("", json.RawMessage(`{"timeout": "1m30s"}`), &c); err != nil || time.Duration(c.Timeout) != 90*time.Second {
		t.Fatalf("1m30s: %v, %v", c.Timeout, err)
	}
	b, err := json.Marshal(c.Timeout)
	if err != nil || string(b) != `"1m30s"` || c.Timeout.String() != "1m30s" {
		t.Errorf("marshal: %s, %v; String %q", b, err, c.Timeout.String())
	}
}
