package sdk_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = duration(v)
	return err
}

type smtp struct {
	Host    string   `json:"host"`
	Port    int      `json:"port"`
	Timeout duration `json:"timeout"`
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
		"email.smtp.timeout: time: invalid duration",
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
	if err := sdk.DecodeStrict("", json.RawMessage(`[1]`), &c); err == nil || !strings.Contains(err.Error(), "want an object, got a list") {
		t.Errorf("list = %v", err)
	}
	req := &sdk.ConfigureRequest{}
	if err := req.DecodeStrict(&c); err != nil {
		t.Errorf("empty config: %v", err)
	}
}
