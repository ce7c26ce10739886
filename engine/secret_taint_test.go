package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jobd-dev/jobd/engine"
	"github.com/jobd-dev/jobd/engine/internal/api"

	"github.com/jobd-dev/jobd/sdk/wire"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Every value a template computes from a secret, and every secret resolved
// into a plugin's configuration, is scrubbed like the secret itself: no
// stream, job record or log line (at debug level) holds any of them.
func TestDerivedSecretsLeakNowhere(t *testing.T) {
	const token, pluginKey = "tok-S3CR3T-abcdef", "pk-SECRET-9876"
	leaks := map[string]string{
		"the secret":                 token,
		"$Uppercase":                 strings.ToUpper(token),
		"$Substring":                 token[1:5],
		"${ + }":                     token + "-tail",
		"${ upper()[1:5] }":          strings.ToUpper(token)[1:5],
		"a secret in plugin config":  pluginKey,
		"the plugin config's string": "Bearer " + pluginKey,
	}
	environ := []string{"JOBD_SECRET_TOKEN=" + token, "JOBD_SECRET_PLUGINKEY=" + pluginKey}
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	cfgText := fmt.Sprintf(header, pluginDir) + `
[plugins.test.config.auth]
header = "Bearer $Secret{PLUGINKEY}"

[[jobs]]
event = "derive"
kind = "test"
on = ["events.derive"]
retries = 1
[jobs.backoff]
initial = "1s"
jitter = 0.0
[jobs.input]
mode = "$Input{mode}"
fail_until = 2
echo_config = true
upper = "$Uppercase($Secret{TOKEN})"
sub = "$Substring($Secret{TOKEN}, 1, 5)"
concat = '${ Secret("TOKEN") + "-tail" }'
slice = '${ upper(Secret("TOKEN"))[1:5] }'

[[jobs]]
event = "broken"
kind = "test"
on = ["events.broken"]
input = {n = '${ int(upper(Secret("TOKEN"))) }'}
`
	if err := os.WriteFile(path, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, cat, err := engine.Load(path, environ)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := engine.New(cfg, cat, engine.Options{Logger: log, Environ: environ})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(e.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	en := &env{t: t, dir: dir, cfgPath: path, e: e, nc: nc, js: js}
	t.Cleanup(en.stop)

	en.publish("events.derive", `{"mode":"fail"}`)      // a retry, then completed with the output
	en.publish("events.derive", `{"mode":"permanent"}`) // dead-lettered
	en.publish("events.broken", `{}`)                   // a piping error that shows the derived value
	var reply wire.DispatchReply
	if e := en.request(api.DispatchSubject, map[string]any{"event": "derive", "input": map[string]any{"mode": "ok"}}, &reply); e != "" {
		t.Fatal(e)
	}
	rs := en.results("derive", 3, 10*time.Second)
	en.results("broken", 1, 10*time.Second)
	var echoed bool
	for _, r := range rs {
		if r.Status == "completed" && strings.Contains(string(r.Output), "[redacted]") {
			echoed = true
		}
	}
	if !echoed {
		t.Fatalf("no output shows %s: %+v", "[redacted]", rs)
	}
	if dead := en.deadLetters("broken"); len(dead) != 1 || !strings.Contains(dead[0].Reason, "[redacted]") {
		t.Fatalf("the piping error's dead letter: %+v", dead)
	}
	// The dispatched job's record is written after its result.
	var rec wire.Record
	for deadline := time.Now().Add(patience * 5 * time.Second); rec.Status != wire.StatusCompleted; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("job record = %+v", rec)
		}
		en.request(api.Prefix+".jobs.get", wire.Request{ID: reply.JobID}, &rec)
	}

	// Everything jobd stored: every stream, the job records' bucket
	// included, and the log.
	var stored []string
	for name := range js.StreamNames(context.Background()).Name() {
		for _, m := range en.read(name, ">") {
			stored = append(stored, fmt.Sprintf("%s %s %s %v", name, m.Subject, m.Data, m.Header))
		}
	}
	stored = append(stored, logs.String())
	for what, v := range leaks {
		for _, s := range stored {
			if strings.Contains(s, v) {
				t.Errorf("%s (%q) leaks: %.300s", what, v, s[max(0, strings.Index(s, v)-150):])
			}
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", logs.String())
	}
}
