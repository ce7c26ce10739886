package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// docAnnotationKeys are the keys of a doctest annotation, with what each
// does. A block gets every check its keys name; without keys, the default
// of its language: toml is validated, a json job ("type": "job") is
// validated from a jobs_dir, sh is run. Any other block must name a check
// or say `skip reason="..."`.
var docAnnotationKeys = map[string]string{
	"skip":   "the block is not checked; reason says why (required)",
	"reason": "why a skipped block is not checked",

	"validate": "run `jobd validate` on the block (the default for toml and json jobs)",
	"base":     "validate: `site` (default) puts the block after a [server]/[nats]/[plugins] header with fresh ports and the built plugins; `root` after the repository's config.toml",
	"plugin":   "validate and shell: `slack` builds examples/plugin-slack and names it as plugins.slack.path",

	"job-input": "the block is the input of a job: validated (against the plugin's schema) as the input of a job of `kind`, event `event`",
	"kind":      "job-input: the job's kind",
	"event":     "job-input: the job's event (default: doctest)",

	"shell":         "run the block's commands (the default for sh): `bin/jobd ...` against the repository's config.toml, with fresh ports and data folder; `bin/jobd run &` starts jobd; `export K=V` sets the environment; a comment line right after a command is its exact output",
	"config":        "shell: `root` (default), or `prev`: the site header, then the file's last toml block before this one and every json job before this one (in a jobs_dir)",
	"daemon":        "shell: start `jobd run` before the first command",
	"stub":          "shell: an environment variable (such as an app's base_url override) set to the URL of a loopback HTTP server standing in for a third-party API; it records requests and answers with a JSON body (stub-status, stub-header, stub-answer)",
	"stub-path":     "shell: a path appended to the stub's URL",
	"stub-answer":   "shell: the stub's JSON answer (default {\"ok\":true})",
	"stub-status":   "shell: the stub's HTTP status (default 200)",
	"stub-header":   "shell: a header the stub answers with, `Name: value`",
	"request":       "shell: the stub must receive this request, `METHOD PATH?QUERY` (the path as sent, escaped)",
	"result-event":  "shell: wait for the result of this job's run on jobd.result.<event> (several events: separated by spaces, all waited for; result-output is the first's) and check it completed",
	"result-output": "shell: the result's output must be this JSON, or `next`: the file's next block, which then says `output`",
	"placeholders":  "shell: words (separated by |) that stand for any text in result-output's strings, such as KEY or <idempotency key>",
	"output":        "the block is the stated output of the shell block before it, which checks it (result-output=next)",

	"go":      "compile the block: `file` (a whole file), `decls` (top-level declarations) or `stmts` (statements in a func(ctx) error that returns err)",
	"imports": "go: import paths for decls and stmts, separated by spaces",
	"extra":   "go: declarations added to the file (stubs for names the snippet uses)",

	"excerpt-of": "the block appears verbatim in this file, chunk by chunk between elision lines (`// …`, `# …`, `...`)",
	"same-as":    "the block is this file's whole content",
}

// TestDocs checks every fenced example of the documentation and
// config.toml. See docs_helpers_test.go for the annotation.
func TestDocs(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []*docBlock
	for _, f := range docFiles(t, root) {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		bs, err := parseBlocks(f, string(b))
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, bs...)
	}
	d := &docsRun{root: root, blocks: blocks}

	var checked, skipped int
	perFile := map[string][2]int{}
	count := func(file string, skip bool) {
		c := perFile[file]
		if skip {
			skipped++
			c[1]++
		} else {
			checked++
			c[0]++
		}
		perFile[file] = c
	}

	// config.toml is one example: the working configuration. The commands
	// its comments show are ones a checked shell block runs.
	count("config.toml", false)
	t.Run("config.toml", func(t *testing.T) {
		t.Parallel()
		s := rootSite(t)
		out, errOut, code := s.jobd("validate")
		if code != 0 {
			t.Fatalf("jobd validate config.toml: exit %d\n%s%s", code, out, errOut)
		}
		toml, err := os.ReadFile(filepath.Join(root, "config.toml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, cmd := range commentedCommands(string(toml)) {
			if !d.shellRuns(cmd) {
				t.Errorf("config.toml shows %q, which no checked shell block of the docs runs", strings.Join(cmd, " "))
			}
		}
	})

	for _, b := range blocks {
		if _, skip := b.ann["skip"]; skip {
			if strings.TrimSpace(b.ann["reason"]) == "" {
				t.Errorf("%s: skip needs reason=\"...\"", b)
			}
			count(b.file, true)
			continue
		}
		if hasKey(b.ann, "output") {
			if !d.outputChecked(b) {
				t.Errorf("%s: says output, but no shell block before it has result-output=next", b)
			}
			count(b.file, false)
			continue
		}
		checks := d.checks(b)
		if len(checks) == 0 {
			t.Errorf("%s: a %q block that is neither checked nor skipped: annotate it (<!-- doctest: ... -->, keys in docs_test.go) or <!-- doctest: skip reason=\"...\" -->", b, b.lang)
			continue
		}
		count(b.file, false)
		t.Run(b.name(), func(t *testing.T) {
			t.Parallel()
			for _, c := range checks {
				c(t, b)
			}
		})
	}
	t.Cleanup(func() {
		files := make([]string, 0, len(perFile))
		for f := range perFile {
			files = append(files, f)
		}
		sort.Strings(files)
		var sb strings.Builder
		for _, f := range files {
			fmt.Fprintf(&sb, "\n  %-32s %2d checked, %2d skipped", f, perFile[f][0], perFile[f][1])
		}
		t.Logf("docs: %d blocks checked, %d skipped (annotated with the reason)%s", checked, skipped, sb.String())
	})
}

// commentedCommands returns the bin/jobd commands in config.toml's
// comments ("##   bin/jobd publish ... \" and its continuation lines).
func commentedCommands(toml string) [][]string {
	var cmds [][]string
	pending := ""
	for _, l := range strings.Split(toml, "\n") {
		if !strings.HasPrefix(l, "##") {
			pending = ""
			continue
		}
		text := strings.TrimSpace(strings.TrimPrefix(l, "##"))
		if pending == "" && !strings.HasPrefix(text, "bin/jobd ") {
			continue
		}
		if strings.HasSuffix(text, "\\") {
			pending += strings.TrimSuffix(text, "\\") + " "
			continue
		}
		if words, err := shellWords(pending + text); err == nil {
			cmds = append(cmds, words)
		}
		pending = ""
	}
	return cmds
}

// shellRuns reports whether a checked shell block runs cmd.
func (d *docsRun) shellRuns(cmd []string) bool {
	for _, b := range d.blocks {
		if b.lang != "sh" || hasKey(b.ann, "skip") {
			continue
		}
		steps, err := shellSteps(b.text)
		if err != nil {
			continue
		}
		for _, st := range steps {
			if reflect.DeepEqual(st.args, cmd) {
				return true
			}
		}
	}
	return false
}

// docsRun holds what the checks share.
type docsRun struct {
	root   string
	blocks []*docBlock

	slackOnce sync.Once
	slackBin  string
	slackErr  error
}

type docCheck func(t *testing.T, b *docBlock)

// checks returns the checks a block's annotation (or language) asks for.
func (d *docsRun) checks(b *docBlock) []docCheck {
	var cs []docCheck
	a := b.ann
	if p, ok := a["excerpt-of"]; ok {
		cs = append(cs, func(t *testing.T, b *docBlock) {
			if err := checkExcerpt(filepath.Join(d.root, p), b.text); err != nil {
				t.Errorf("%s: %v", b, err)
			}
		})
	}
	if p, ok := a["same-as"]; ok {
		cs = append(cs, func(t *testing.T, b *docBlock) {
			want, err := os.ReadFile(filepath.Join(d.root, p))
			if err != nil {
				t.Fatal(err)
			}
			if normalizeLines(string(want)) != normalizeLines(b.text) {
				t.Errorf("%s: the block is not %s as it is now:\n%s", b, p, want)
			}
		})
	}
	_, validate := a["validate"]
	switch {
	case hasKey(a, "job-input"):
		cs = append(cs, d.checkJobInput)
	case validate, b.lang == "toml", b.lang == "json" && isJSONJob(b.text):
		cs = append(cs, d.checkValidate)
	}
	if _, ok := a["go"]; ok {
		cs = append(cs, d.checkGo)
	}
	if _, ok := a["shell"]; ok || (b.lang == "sh" && len(cs) == 0) {
		cs = append(cs, d.checkShell)
	}
	return cs
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func isJSONJob(text string) bool {
	var v map[string]any
	return json.Unmarshal([]byte(text), &v) == nil && v["type"] == "job"
}

// docSite is a site whose config.toml is top (top-level keys), the
// header newSite writes, then body; env holds a secret for every
// $Secret{KEY} the texts read.
func docSite(t *testing.T, top, body string) *site {
	t.Helper()
	s := newSite(t, body)
	if top != "" {
		b, err := os.ReadFile(s.config)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s.config, append([]byte(top+"\n"), b...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.env = append(s.env, secretEnv(top+body)...)
	return s
}

// rootSiteWith is rootSite with body appended to a copy of config.toml.
func rootSiteWith(t *testing.T, root, body string) *site {
	t.Helper()
	s := rootSite(t)
	b, err := os.ReadFile(filepath.Join(root, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	s.config = filepath.Join(s.dir, "config.toml")
	if err := os.WriteFile(s.config, append(b, "\n"+body...), 0o644); err != nil {
		t.Fatal(err)
	}
	s.env = append(s.env, "JOBD_PLUGINS__DIR="+filepath.Join(bin, "plugins"), "JOBD_SERVER__DATA_DIR="+filepath.Join(s.dir, "data"))
	s.env = append(s.env, secretEnv(body)...)
	return s
}

// checkValidate runs `jobd validate` on a toml block, or on a json job
// written into a jobs_dir.
func (d *docsRun) checkValidate(t *testing.T, b *docBlock) {
	top, body := "", b.text
	var jobFile string
	if b.lang == "json" {
		top, body, jobFile = `jobs_dir = "jobs"`, "", b.text
	}
	d.validate(t, b, top, body, jobFile)
}

func (d *docsRun) validate(t *testing.T, b *docBlock, top, body, jobFile string) {
	t.Helper()
	var s *site
	switch b.ann["base"] {
	case "", "site":
		s = docSite(t, top, body)
	case "root":
		if top != "" {
			t.Fatalf("%s: base=root takes a toml block", b)
		}
		s = rootSiteWith(t, d.root, body)
	default:
		t.Fatalf("%s: base=%q: want site or root", b, b.ann["base"])
	}
	if jobFile != "" {
		writeJobFile(t, s, jobFile)
	}
	d.plugins(t, b, s)
	out, errOut, code := s.jobd("validate")
	if code != 0 {
		cfg, _ := os.ReadFile(s.config)
		t.Fatalf("%s: jobd validate: exit %d\n%s%s\nconfiguration:\n%s", b, code, out, errOut, cfg)
	}
}

// checkJobInput validates the block as the input of a job.
func (d *docsRun) checkJobInput(t *testing.T, b *docBlock) {
	var input map[string]any
	if err := json.Unmarshal([]byte(b.text), &input); err != nil {
		t.Fatalf("%s: not a JSON object: %v", b, err)
	}
	kind := b.ann["kind"]
	if kind == "" {
		t.Fatalf("%s: job-input needs kind=", b)
	}
	event := b.ann["event"]
	if event == "" {
		event = "doctest"
	}
	job, _ := json.Marshal(map[string]any{"type": "job", "event": event, "kind": kind, "input": input})
	d.validate(t, b, `jobs_dir = "jobs"`, "", string(job))
}

// plugins builds the plugins the annotation names and points the site at
// them.
func (d *docsRun) plugins(t *testing.T, b *docBlock, s *site) {
	t.Helper()
	switch b.ann["plugin"] {
	case "":
	case "slack":
		d.slackOnce.Do(func() {
			d.slackBin = filepath.Join(bin, "doc-plugins", "jobd-slack")
			cmd := exec.Command("go", "build", "-o", d.slackBin, ".")
			cmd.Dir = filepath.Join(d.root, "examples", "plugin-slack")
			if out, err := cmd.CombinedOutput(); err != nil {
				d.slackErr = fmt.Errorf("build examples/plugin-slack: %v\n%s", err, out)
			}
		})
		if d.slackErr != nil {
			t.Fatal(d.slackErr)
		}
		s.env = append(s.env, "JOBD_PLUGINS__SLACK__PATH="+d.slackBin)
	default:
		t.Fatalf("%s: plugin=%q: only slack is known", b, b.ann["plugin"])
	}
}

// previousConfig returns the last toml block and every json job before b
// in its file.
func (d *docsRun) previousConfig(b *docBlock) (toml *docBlock, jobs []string) {
	for _, o := range d.blocks {
		if o.file != b.file || o.line > b.line {
			continue
		}
		switch {
		case o.lang == "toml":
			toml = o
		case o.lang == "json" && isJSONJob(o.text):
			jobs = append(jobs, o.text)
		}
	}
	return toml, jobs
}

// neighbour returns the block after (step 1) or before (step -1) b in its
// file.
func (d *docsRun) neighbour(b *docBlock, step int) *docBlock {
	for i, o := range d.blocks {
		if o == b {
			if j := i + step; j >= 0 && j < len(d.blocks) && d.blocks[j].file == b.file {
				return d.blocks[j]
			}
		}
	}
	return nil
}

// outputChecked reports whether the block before b checks b as its output.
func (d *docsRun) outputChecked(b *docBlock) bool {
	prev := d.neighbour(b, -1)
	return prev != nil && prev.ann["result-output"] == "next"
}

// writeJobFile writes a json job into the site's jobs_dir.
func writeJobFile(t *testing.T, s *site, job string) {
	t.Helper()
	dir := filepath.Join(s.dir, "jobs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "doc.json"), []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	s.env = append(s.env, secretEnv(job)...)
}

// stub is a loopback HTTP server standing in for a third-party API.
type stub struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // "METHOD PATH"
}

func startStub(t *testing.T, status int, header, answer string) *stub {
	t.Helper()
	st := &stub{}
	st.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := r.Method + " " + r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			req += "?" + r.URL.RawQuery
		}
		st.mu.Lock()
		st.seen = append(st.seen, req)
		st.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if k, v, ok := strings.Cut(header, ":"); ok {
			w.Header().Set(strings.TrimSpace(k), strings.TrimSpace(v))
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(answer))
	}))
	t.Cleanup(st.Close)
	return st
}

func (st *stub) requests() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]string(nil), st.seen...)
}

// checkShell runs a shell block's commands against a jobd the test starts.
func (d *docsRun) checkShell(t *testing.T, b *docBlock) {
	steps, err := shellSteps(b.text)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	var s *site
	switch b.ann["config"] {
	case "", "root":
		s = rootSite(t)
	case "prev":
		toml, jobs := d.previousConfig(b)
		switch {
		case toml == nil && jobs == nil:
			t.Fatalf("%s: config=prev: no toml block or json job before it", b)
		case jobs != nil:
			body := ""
			if toml != nil {
				body = toml.text
			}
			s = docSite(t, `jobs_dir = "jobs"`, body)
			writeJobFile(t, s, "[\n"+strings.Join(jobs, ",\n")+"]\n")
		default:
			s = docSite(t, "", toml.text)
		}
	default:
		t.Fatalf("%s: config=%q: want root or prev", b, b.ann["config"])
	}
	d.plugins(t, b, s)
	var st *stub
	if env := b.ann["stub"]; env != "" {
		answer := b.ann["stub-answer"]
		if answer == "" {
			answer = `{"ok":true}`
		}
		status := http.StatusOK
		if v := b.ann["stub-status"]; v != "" {
			if _, err := fmt.Sscan(v, &status); err != nil {
				t.Fatalf("%s: stub-status=%q", b, v)
			}
		}
		st = startStub(t, status, b.ann["stub-header"], answer)
		s.env = append(s.env, env+"="+st.URL+b.ann["stub-path"])
	}
	if hasKey(b.ann, "daemon") {
		s.start()
	}
	for _, step := range steps {
		for _, cmd := range splitAnd(step.args) {
			d.runStep(t, b, s, step, cmd)
		}
	}
	if want := b.ann["request"]; want != "" {
		if st == nil {
			t.Fatalf("%s: request= needs stub=", b)
		}
		seen := func() bool {
			for _, r := range st.requests() {
				if r == want {
					return true
				}
			}
			return false
		}
		for deadline := time.Now().Add(60 * time.Second); !seen(); time.Sleep(25 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the stub never saw %s; it saw %q", b, want, st.requests())
			}
		}
	}
	events := strings.Fields(b.ann["result-event"])
	for _, other := range events[min(1, len(events)):] {
		if res := waitDocResult(t, s, other); res.Status != "completed" {
			t.Errorf("%s: the %s run is %s: %s", b, other, res.Status, res.Error)
		}
	}
	if len(events) > 0 {
		ev := events[0]
		res := waitDocResult(t, s, ev)
		if res.Status != "completed" {
			t.Errorf("%s: the %s run is %s: %s", b, ev, res.Status, res.Error)
		}
		if want := b.ann["result-output"]; want != "" {
			if want == "next" {
				next := d.neighbour(b, 1)
				if next == nil || !hasKey(next.ann, "output") {
					t.Fatalf("%s: result-output=next, but the next block does not say output", b)
				}
				want = next.text
			}
			var got, exp any
			if err := json.Unmarshal(res.Output, &got); err != nil {
				t.Fatalf("%s: result of %s: %s", b, ev, res.Output)
			}
			if err := json.Unmarshal([]byte(want), &exp); err != nil {
				t.Fatalf("%s: result-output is not JSON: %v", b, err)
			}
			if !jsonMatches(got, exp, placeholderRE(b.ann["placeholders"])) {
				t.Errorf("%s: the %s run's output is %s, the docs say %s (status %s, error %s)", b, ev, res.Output, want, res.Status, res.Error)
			}
		}
	}
}

// placeholderRE returns a pattern matching any of the |-separated words, or
// nil.
func placeholderRE(words string) *regexp.Regexp {
	if words == "" {
		return nil
	}
	var alts []string
	for _, w := range strings.Split(words, "|") {
		alts = append(alts, regexp.QuoteMeta(w))
	}
	return regexp.MustCompile(strings.Join(alts, "|"))
}

// jsonMatches reports whether got equals want, where a placeholder in one
// of want's strings stands for any text.
func jsonMatches(got, want any, ph *regexp.Regexp) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			if gv, ok := g[k]; !ok || !jsonMatches(gv, v, ph) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !jsonMatches(g[i], w[i], ph) {
				return false
			}
		}
		return true
	case string:
		g, ok := got.(string)
		if !ok {
			return false
		}
		if ph == nil || !ph.MatchString(w) {
			return g == w
		}
		parts := ph.Split(w, -1)
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		return regexp.MustCompile("^" + strings.Join(parts, ".+") + "$").MatchString(g)
	default:
		return reflect.DeepEqual(got, want)
	}
}

// splitAnd splits `a && b` into commands.
func splitAnd(args []string) [][]string {
	var out [][]string
	cur := []string{}
	for _, a := range args {
		if a == "&&" {
			out = append(out, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, a)
	}
	return append(out, cur)
}

func (d *docsRun) runStep(t *testing.T, b *docBlock, s *site, step *shellStep, args []string) {
	t.Helper()
	if len(args) == 0 {
		return
	}
	switch args[0] {
	case "export":
		for _, kv := range args[1:] {
			s.env = append(s.env, kv)
		}
		return
	case "bin/jobd", "jobd":
	default:
		t.Fatalf("%s: %q: the docs test runs only bin/jobd and export; annotate the block with skip reason=\"...\"", b, step.line)
	}
	args = args[1:]
	if len(args) > 0 && args[len(args)-1] == "&" {
		if args[0] != "run" {
			t.Fatalf("%s: only `bin/jobd run &` may run in the background: %q", b, step.line)
		}
		s.start()
		return
	}
	out, errOut, code := s.jobd(args...)
	if code != 0 {
		t.Fatalf("%s: %s: exit %d\n%s%s", b, step.line, code, out, errOut)
	}
	if len(step.expect) > 0 {
		// Comment lines lose their indentation; so does the output here.
		want := strings.Join(step.expect, "\n")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimSpace(l)
		}
		if strings.Join(lines, "\n") != want {
			t.Errorf("%s: %s\nprints:\n%s\nthe docs say:\n%s", b, step.line, out, want)
		}
	}
}

// docResult is the part of a published result the docs test reads.
type docResult struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  json.RawMessage `json:"error"`
}

// waitDocResult waits for the last result of event in JOBD_RESULTS.
func waitDocResult(t *testing.T, s *site, event string) docResult {
	t.Helper()
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", s.natsPort))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var res docResult
	waitFor(t, 90*time.Second, "a result of "+event, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stream, err := js.Stream(ctx, "JOBD_RESULTS")
		if err != nil {
			return false
		}
		m, err := stream.GetLastMsgForSubject(ctx, "jobd.result."+event)
		if err != nil {
			return false
		}
		return json.Unmarshal(m.Data, &res) == nil
	})
	return res
}

// checkGo compiles a Go block in a package of its own, laid over the
// repository with go build -overlay (nothing is written into the tree).
func (d *docsRun) checkGo(t *testing.T, b *docBlock) {
	var src strings.Builder
	mode := b.ann["go"]
	switch mode {
	case "file":
		src.WriteString(b.text)
	case "decls", "stmts":
		src.WriteString("package snippet\n\nimport (\n")
		for _, imp := range strings.Fields(b.ann["imports"]) {
			fmt.Fprintf(&src, "\t%q\n", imp)
		}
		src.WriteString(")\n\n")
		if mode == "decls" {
			src.WriteString(b.text)
		} else {
			fmt.Fprintf(&src, "func snippet(ctx context.Context) error {\n%s\treturn err\n}\n", b.text)
		}
	default:
		t.Fatalf("%s: go=%q: want file, decls or stmts", b, mode)
	}
	if extra := b.ann["extra"]; extra != "" {
		src.WriteString("\n" + extra + "\n")
	}
	tmp := t.TempDir()
	file := filepath.Join(tmp, "snippet.go")
	if err := os.WriteFile(file, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join("cmd", "jobd", "testdata", "doctest", b.name())
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(d.root, pkg, "snippet.go"): file}})
	ov := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-overlay", ov, "-o", os.DevNull, "./"+filepath.ToSlash(pkg))
	cmd.Dir = d.root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: the Go example does not compile: %v\n%s\nas compiled:\n%s", b, err, out, src.String())
	}
}

// Every target `make help` lists is in the README.
func TestDocsEveryMakeTarget(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	targets := regexp.MustCompile(`(?m)^([a-z-]+):.*## `).FindAllStringSubmatch(string(mk), -1)
	if len(targets) < 5 {
		t.Fatalf("found only %v in the Makefile", targets)
	}
	for _, m := range targets {
		if !regexp.MustCompile(`(?m)^make ` + regexp.QuoteMeta(m[1]) + `\b`).Match(readme) {
			t.Errorf("make %s is not in README's Development block", m[1])
		}
	}
}

// The docs cite only files that exist: every relative Markdown link, and
// every *.md name, in the documentation and config.toml.
func TestDocsCiteExistingFiles(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdName := regexp.MustCompile("(?:^|[\\s`(\\[])((?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_-]+\\.md)\\b")
	for _, f := range append(docFiles(t, root), "config.toml") {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Dir(filepath.Join(root, f))
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			if _, err := os.Stat(filepath.Join(dir, target)); err != nil {
				t.Errorf("%s links to %s, which is not in the repository", f, m[1])
			}
		}
		for _, m := range mdName.FindAllStringSubmatch(string(b), -1) {
			name := m[1]
			_, errDir := os.Stat(filepath.Join(dir, name))
			_, errRoot := os.Stat(filepath.Join(root, name))
			if errDir != nil && errRoot != nil {
				t.Errorf("%s cites %s, which is not in the repository", f, name)
			}
		}
	}
}
