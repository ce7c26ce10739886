package main_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	_ "modernc.org/sqlite"
)

const seedEvent = `{"event_id":"e-1","device_token":"tok-1","email":"ada@example.com","date":"2026-12-24"}`

// smtpEnv points the root config's notification plugin at a mailbox.
func smtpEnv(mb *mailbox) []string {
	return []string{
		"JOBD_PLUGINS__NOTIFICATION__CONFIG__EMAIL__TRANSPORT=smtp",
		"JOBD_PLUGINS__NOTIFICATION__CONFIG__EMAIL__SMTP__HOST=127.0.0.1",
		fmt.Sprintf("JOBD_PLUGINS__NOTIFICATION__CONFIG__EMAIL__SMTP__PORT=%d", mb.port),
		"JOBD_PLUGINS__NOTIFICATION__CONFIG__EMAIL__SMTP__TLS=none",
	}
}

// The README's quick start: the example config, the seed event, the email in
// the file outbox.
func TestQuickStartOutbox(t *testing.T) {
	s := rootSite(t)
	d := s.start()
	out, errOut, code := s.jobd("publish", "events.booking.created", seedEvent)
	if code != 0 {
		t.Fatalf("publish exited %d: %s%s", code, out, errOut)
	}
	outbox := filepath.Join(s.dir, "data", "plugins", "notification", "outbox")
	var files []string
	waitFor(t, 15*time.Second, "an .eml in the outbox", func() bool {
		files, _ = filepath.Glob(filepath.Join(outbox, "*.eml"))
		return len(files) == 1
	})
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatalf("outbox file is not RFC 5322: %v", err)
	}
	if to := m.Header.Get("To"); to != "ada@example.com" {
		t.Errorf("To = %q", to)
	}
	if subj := m.Header.Get("Subject"); subj != "Event Reminder" {
		t.Errorf("Subject = %q", subj)
	}
	if b := body(t, m); !strings.Contains(b, "Hello! This is a reminder for your upcoming event on 2026-12-24.") {
		t.Errorf("body = %q", b)
	}
	// The example's db_action job stored the reminder in the embedded SQLite.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, "data", "plugins", "db_action", "app.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var email, remindAt string
	waitFor(t, 10*time.Second, "the reminder row", func() bool {
		return db.QueryRow(`SELECT email, remind_at FROM reminders WHERE event_id = 'e-1'`).Scan(&email, &remindAt) == nil
	})
	if email != "ada@example.com" || !strings.HasPrefix(remindAt, "2026-12-24") {
		t.Errorf("reminder row = %q %q", email, remindAt)
	}
	// The feature job started the follow-up feature, whose db_action job
	// counted the reminders of the address piped through the envelope (it
	// runs beside the insert, so the count itself may be 0 or 1).
	res := waitResult(t, s, "app:count_reminders")
	var counted struct {
		Status string `json:"status"`
		Input  struct {
			Filter struct {
				Email string `json:"email"`
			} `json:"filter"`
		} `json:"input"`
		Output struct {
			Count *int `json:"count"`
		} `json:"output"`
	}
	if err := json.Unmarshal(res, &counted); err != nil || counted.Status != "completed" ||
		counted.Input.Filter.Email != "ada@example.com" || counted.Output.Count == nil {
		t.Fatalf("count result %s: %v", res, err)
	}
	d.stop(t)
}

// waitResult returns the first result stored for event.
func waitResult(t *testing.T, s *site, event string) []byte {
	t.Helper()
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", s.natsPort))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	var data []byte
	waitFor(t, 15*time.Second, "a result for "+event, func() bool {
		st, err := js.Stream(context.Background(), "JOBD_RESULTS")
		if err != nil {
			return false
		}
		m, err := st.GetLastMsgForSubject(context.Background(), "jobd.result."+event)
		if err != nil {
			return false
		}
		data = m.Data
		return true
	})
	return data
}

// The seed job over a real SMTP server, with every piped value in place;
// event text that looks like a template arrives as literal text.
func TestSeedEmailOverSMTP(t *testing.T) {
	mb := startMailbox(t)
	s := rootSite(t, smtpEnv(mb)...)
	d := s.start()
	if _, e, code := s.jobd("publish", "events.booking.created", seedEvent); code != 0 {
		t.Fatal(e)
	}
	if _, e, code := s.jobd("publish", "events.booking.created", `{"event_id":"e-2","device_token":"t","email":"bob@example.com","date":"$Input{email} ${ 1 + 1 }"}`); code != 0 {
		t.Fatal(e)
	}
	waitFor(t, 15*time.Second, "two emails", func() bool { return len(mb.messages()) == 2 })
	byTo := map[string]*mail.Message{}
	for _, m := range mb.messages() {
		byTo[m.Header.Get("To")] = m
	}
	ada, bob := byTo["ada@example.com"], byTo["bob@example.com"]
	if ada == nil || bob == nil {
		t.Fatalf("recipients: %v", byTo)
	}
	if ada.Header.Get("Subject") != "Event Reminder" || !strings.Contains(body(t, ada), "upcoming event on 2026-12-24.") {
		t.Errorf("seed email wrong: %v", ada.Header)
	}
	if b := body(t, bob); !strings.Contains(b, "upcoming event on $Input{email} ${ 1 + 1 }.") {
		t.Errorf("event data was evaluated: %q", b)
	}
	if id := ada.Header.Get("Message-ID"); !strings.HasSuffix(id, "@jobd>") || id == bob.Header.Get("Message-ID") {
		t.Errorf("Message-IDs %q %q", id, bob.Header.Get("Message-ID"))
	}
	// The HTTP endpoint reports what ran.
	var metrics string
	waitFor(t, 5*time.Second, "metrics of two completed runs", func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", s.httpPort))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		metrics = string(b)
		return strings.Contains(metrics, `jobd_runs_total{event="send_notification",status="completed"} 2`)
	})
	d.stop(t)
}

// kill -9 with runs in flight loses none: every event's email arrives.
func TestKill9LosesNothing(t *testing.T) {
	mb := startMailbox(t)
	s := rootSite(t, smtpEnv(mb)...)
	d := s.start()
	const n = 1000
	events := filepath.Join(s.dir, "events.txt")
	var sb strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, `{"event_id":"e-%d","device_token":"t","email":"user%d@example.com","date":"2026-12-24"}`+"\n", i, i)
	}
	if err := os.WriteFile(events, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, e, code := s.jobd("publish", "events.booking.created", "--lines", "@"+events); code != 0 {
		t.Fatalf("publish: %s %s", out, e)
	}
	waitFor(t, 60*time.Second, "the first emails", func() bool { return len(mb.messages()) >= 50 })
	plugins := children(d.cmd.Process.Pid)
	if len(plugins) == 0 {
		t.Fatal("jobd has no plugin processes")
	}
	d.kill9()
	// The plugins notice and exit by themselves: no orphans.
	waitFor(t, 5*time.Second, "the plugins of the killed jobd to exit", func() bool {
		for _, pid := range plugins {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
				return false
			}
		}
		return true
	})
	before, _ := mb.distinctIDs()
	if before >= n {
		t.Logf("all %d emails arrived before the kill; the test proves less than it should", n)
	}
	d = s.start()
	waitFor(t, 90*time.Second, fmt.Sprintf("%d distinct emails", n), func() bool {
		distinct, _ := mb.distinctIDs()
		return distinct >= n
	})
	distinct, total := mb.distinctIDs()
	t.Logf("killed after %d emails; %d distinct emails, %d deliveries in all", before, distinct, total)
	d.stop(t)
}

// children returns the pids whose parent is pid.
func children(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		var self, parent int
		if len(f) > 1 {
			fmt.Sscan(f[1], &parent)
			fmt.Sscan(e.Name(), &self)
		}
		if parent == pid && self > 0 {
			out = append(out, self)
		}
	}
	return out
}
