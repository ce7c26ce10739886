package catalog

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jobd-dev/jobd/engine/internal/config"
)

var update = flag.Bool("update", false, "rewrite the .want files of testdata/features")

// load loads a configuration file and compiles it, as engine.Load does.
func load(t *testing.T, path string) (*Catalog, error) {
	t.Helper()
	cfg, err := config.Load(path, []string{})
	if err != nil {
		return nil, err
	}
	return Compile(cfg)
}

// TestFeatureConfigErrors loads every testdata/features/invalid_*.toml and
// compares the problems, one a line without the file name, with the .want
// file beside it. Adding a case adds two files.
func TestFeatureConfigErrors(t *testing.T) {
	files, _ := filepath.Glob("testdata/features/invalid_*.toml")
	if len(files) == 0 {
		t.Fatal("no cases")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".toml")
		t.Run(name, func(t *testing.T) {
			_, err := load(t, f)
			if err == nil {
				t.Fatal("loaded without error")
			}
			got := strings.ReplaceAll(err.Error(), f+": ", "") + "\n"
			wantFile := strings.TrimSuffix(f, ".toml") + ".want"
			if *update {
				if err := os.WriteFile(wantFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, _ := os.ReadFile(wantFile)
			if got != string(want) {
				t.Errorf("problems\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestFeatureCompiles(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.toml")
	os.WriteFile(cfgPath, []byte(`
jobs_dir = "jobs"
[[features]]
tag = "report"
on = ["events.report"]
input = { day = "$Input{date}" }
[[features.sequence]]
tag = "main"
[[features.sequence.events]]
type = "database_action"
event = "db:count"
retries = 2
[[features.sequence.events]]
type = "job"
kind = "notification"
event = "mail"
input = { body = "Rows: $Sequence{main}{db:count}{n}" }
when = "${ Sequence.main['db:count'].n > 0 }"
`), 0o644)
	os.Mkdir(filepath.Join(dir, "jobs"), 0o755)
	os.WriteFile(filepath.Join(dir, "jobs", "sync.json"), []byte(`
{"type": "feature", "tag": "sync", "on": "events.sync",
 "sequence": [{"tag": "s", "events": [
   {"type": "action", "event": "api:get", "retries": 3, "allow_fail": true, "timeout": "5s"},
   {"type": "db_action", "event": "db:upsert", "input": {"items": "$Sequence{s}{api:get}{items}"}, "backoff": {"initial": 500}}]}]}`), 0o644)
	cat, err := load(t, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	r := cat.Feature("report")
	if r == nil || len(r.Events) != 2 || r.Input == nil {
		t.Fatalf("report = %+v", r)
	}
	if e := r.Events[0]; e.Job.Kind != "db_action" || e.Job.MaxAttempts != 3 || e.Void || e.Job.Step != "report/main/db:count" {
		t.Errorf("first event = %+v, job %+v", e, e.Job)
	}
	if e := r.Events[1]; !e.Void || e.Job.Kind != "notification" || e.When == nil || e.Index != 1 {
		t.Errorf("second event = %+v", e)
	}
	s := cat.Feature("sync")
	if s == nil || !s.Events[0].Job.AllowFail || s.Events[0].Job.Timeout.String() != "5s" || s.Events[1].Job.Backoff.Initial.String() != "500ms" {
		t.Fatalf("sync = %+v", s)
	}
	if got := strings.Join(cat.Subjects(), " "); got != "events.report events.sync features.report features.sync" {
		t.Errorf("subjects = %s", got)
	}
	if got := strings.Join(cat.Kinds(), " "); got != "action db_action notification" {
		t.Errorf("kinds = %s", got)
	}
	if m := cat.MatchFeatures("features.sync"); len(m) != 1 || m[0] != s {
		t.Errorf("features.sync matches %v", m)
	}
	if cat.Step("sync/s/db:upsert") != s.Events[1] {
		t.Error("step not found by key")
	}
}

func TestFeatureFileErrors(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.toml")
	os.WriteFile(cfgPath, []byte(`jobs_dir = "jobs"`), 0o644)
	os.Mkdir(filepath.Join(dir, "jobs"), 0o755)
	file := filepath.Join(dir, "jobs", "f.json")
	os.WriteFile(file, []byte(`[
 {"type": "feature", "tag": "f", "sequence": [{"tag": "s", "events": [
   {"type": "action", "event": "a", "retry": 3},
   {"type": "action", "event": "b", "timeout": true},
   {"type": "action", "event": "c", "input": {"x": "$Sequence{s}{d}"}},
   {"type": "action", "event": "d"}]}]},
 {"type": "feature", "tag": "g", "bogus": 1}]`), 0o644)
	_, err := load(t, cfgPath)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		file + `: features[f].sequence[s].events[0]: json: unknown field "retry"`,
		file + `: features[f].sequence[s].events[b].timeout: expected a duration string or milliseconds`,
		file + `: [1]: json: unknown field "bogus"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say\n%s\nit says:\n%s", want, err)
		}
	}
}

func TestScheduledFeatureIsAJobOfKindFeature(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.toml")
	os.WriteFile(p, []byte(`
[[features]]
tag = "nightly"
schedule = { cron = "0 3 * * *", tz = "Europe/Berlin" }
[[features.sequence]]
tag = "s"
[[features.sequence.events]]
type = "db_action"
event = "app:clean"

[[features]]
tag = "later"
on = ["events.later"]
schedule = { delay = "24h" }
[[features.sequence]]
tag = "s"
[[features.sequence.events]]
type = "action"
event = "crm:ping"
`), 0o644)
	cat, err := load(t, p)
	if err != nil {
		t.Fatal(err)
	}
	j := cat.Job("nightly")
	if j == nil || j.Kind != "feature" || j.Schedule == nil || len(j.On) != 0 || j.MaxAttempts != 4 {
		t.Fatalf("nightly's job = %+v", j)
	}
	if f := cat.Feature("nightly"); strings.Join(f.On, " ") != "features.nightly" {
		t.Errorf("nightly listens on %v", f.On)
	}
	l := cat.Job("later")
	if l == nil || strings.Join(l.On, " ") != "events.later" || l.Config.Input["input"] != "$Input" {
		t.Fatalf("later's job = %+v", l)
	}
	// The event schedules the feature; it does not start it at once.
	if m := cat.MatchFeatures("events.later"); len(m) != 0 {
		t.Errorf("events.later starts %d features at once", len(m))
	}
	if got := strings.Join(cat.Kinds(), " "); got != "action db_action feature" {
		t.Errorf("kinds = %s", got)
	}
}
