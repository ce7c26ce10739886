package main_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// The action kind through the jobd binary: a real HTTP server on loopback
// receives the call with the piped values and the run's idempotency key.
func TestActionKindEndToEnd(t *testing.T) {
	type request struct {
		method, path, auth, key, body string
	}
	var mu sync.Mutex
	var got []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, request{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key"), string(b)})
		n := len(got)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the first attempt fails, the retry succeeds
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"stored":true}`))
	}))
	defer srv.Close()
	s := newSite(t, fmt.Sprintf(`
[plugins.action.config.apps.crm]
base_url = %q
[plugins.action.config.apps.crm.auth]
type = "bearer"
token = "$Secret{CRM_TOKEN}"
[plugins.action.config.apps.crm.retry.503]
retry = true
after = "1s"
[plugins.action.config.apps.crm.actions.post_note]
method = "POST"
path = "/notes/:id"

[[jobs]]
event = "crm:post_note"
kind = "action"
on = ["events.note.created"]
retries = 2
[jobs.input]
params = {id = "$Input{id}"}
body = {text = "$Concat(['Note for ', $Input{name}], '')"}
`, srv.URL))
	s.env = append(s.env, "JOBD_SECRET_CRM_TOKEN=t0k3n")
	d := s.start()
	if _, e, code := s.jobd("publish", "events.note.created", `{"id":"n 1","name":"Ada"}`); code != 0 {
		t.Fatal(e)
	}
	waitFor(t, 15*time.Second, "two requests (a 503, then the retry)", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 2 })
	mu.Lock()
	defer mu.Unlock()
	for _, r := range got {
		if r.method != "POST" || r.path != "/notes/n 1" || r.auth != "Bearer t0k3n" || r.body != `{"text":"Note for Ada"}` {
			t.Errorf("request = %+v", r)
		}
	}
	if got[0].key == "" || got[0].key != got[1].key {
		t.Errorf("Idempotency-Key %q then %q: want the same on every attempt", got[0].key, got[1].key)
	}
	d.stop(t)
}

// The db_action kind through the jobd binary against a real PostgreSQL
// (started by .ci/databases; skipped here only when it is not running and
// CI is not set).
func TestDBActionPostgresEndToEnd(t *testing.T) {
	dsn := os.Getenv("JOBD_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("JOBD_TEST_POSTGRES_DSN is not set: .ci/run starts PostgreSQL with .ci/databases")
		}
		t.Skip("JOBD_TEST_POSTGRES_DSN is not set (eval \"$(.ci/databases)\" starts PostgreSQL)")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	table := fmt.Sprintf("e2e_signups_%d", time.Now().UnixNano())
	if _, err := db.Exec(`CREATE TABLE ` + table + ` (request_key text PRIMARY KEY, email text NOT NULL, note text)`); err != nil {
		t.Fatal(err)
	}
	defer db.Exec(`DROP TABLE ` + table)
	s := newSite(t, fmt.Sprintf(`
[plugins.db_action.config.databases.main]
driver = "postgres"
dsn = %q
[plugins.db_action.config.databases.main.actions.add_signup]
kind = "CREATE"
sql = "INSERT INTO %s (request_key, email, note) VALUES ({{_idempotency_key}}, {{email:email}}, {{note}}) ON CONFLICT (request_key) DO NOTHING"

[[jobs]]
event = "main:add_signup"
kind = "db_action"
on = ["events.signup"]
retries = 2
[jobs.input.data]
email = "$Input{email}"
note = "$Input{note}"
`, dsn, table))
	d := s.start()
	evil := `x'); DROP TABLE ` + table + `; --`
	body, _ := json.Marshal(map[string]string{"email": "ada@example.com", "note": evil})
	if _, e, code := s.jobd("publish", "events.signup", string(body)); code != 0 {
		t.Fatal(e)
	}
	var email, note string
	waitFor(t, 15*time.Second, "the row in PostgreSQL", func() bool {
		return db.QueryRow(`SELECT email, note FROM `+table).Scan(&email, &note) == nil
	})
	if email != "ada@example.com" || note != evil {
		t.Fatalf("row = %q %q: the note must be stored as data", email, note)
	}
	if !strings.Contains(note, "DROP TABLE") {
		t.Fatal("unexpected note")
	}
	d.stop(t)
}
