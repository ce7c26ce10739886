package main

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readEML parses the outbox file named in an email outcome.
func readEML(t *testing.T, dataDir string, o ChannelOutcome) (*mail.Message, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dataDir, filepath.FromSlash(o.File)))
	if err != nil {
		t.Fatalf("read outbox file: %v", err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse %s: %v", o.File, err)
	}
	return msg, raw
}

// outboxFiles lists the outbox folder.
func outboxFiles(t *testing.T, dataDir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dataDir, "outbox"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestOutboxSeedEmail(t *testing.T) {
	p, dir := newPlugin(t, `{}`)
	out := mustSend(t, p, newJob("01JRUN", seedInput))
	email := out.Channels["email"]
	if email.Status != StatusSent || email.Transport != "outbox" || email.File != "outbox/01JRUN.eml" {
		t.Fatalf("email outcome %+v", email)
	}
	msg, raw := readEML(t, dir, email)
	for h, want := range map[string]string{
		"To": "ada@example.com", "Subject": "Event Reminder", "From": `"jobd" <jobd@localhost>`,
		"Message-Id": "<01JRUN@jobd>", "Content-Type": "text/plain; charset=utf-8",
	} {
		if v := msg.Header.Get(h); v != want {
			t.Errorf("%s = %q, want %q", h, v, want)
		}
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if string(body) != "Hello! This is a reminder for your upcoming event on 2025-03-20.\r\n" {
		t.Errorf("body %q", body)
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("the message has bare LF line ends")
	}
}

func TestOutboxRetryKeepsOneFilePerRun(t *testing.T) {
	p, dir := newPlugin(t, `{}`)
	input := `{"email": {"to": "a@example.com", "subject": "s", "body": "b"}}`
	first := mustSend(t, p, newJob("run/1", input))
	_, raw1 := readEML(t, dir, first.Channels["email"])

	// A new plugin process (no memory of the run) retries: the file is there.
	p2 := &Plugin{now: p.now}
	p2.cfg, p2.from, p2.outbox, p2.callback, p2.sent = p.cfg, p.from, p.outbox, p.callback, newLedger(ledgerTTL, p.now)
	again := newJob("run/1", input)
	again.Attempt = 2
	second := mustSend(t, p2, again)
	if second.Channels["email"].MessageID != first.Channels["email"].MessageID {
		t.Errorf("Message-ID changed on retry: %s then %s", first.Channels["email"].MessageID, second.Channels["email"].MessageID)
	}
	_, raw2 := readEML(t, dir, second.Channels["email"])
	if !bytes.Equal(raw1, raw2) {
		t.Error("the retry rewrote the message")
	}
	mustSend(t, p, newJob("run/2", input))
	files := outboxFiles(t, dir)
	if len(files) != 2 {
		t.Errorf("outbox holds %v, want one file per run (2)", files)
	}
	for _, f := range files {
		if strings.HasPrefix(f, ".tmp-") {
			t.Errorf("temporary file %s left behind", f)
		}
	}
}

func TestOutboxHTMLTemplateIsMultipartAlternative(t *testing.T) {
	p, dir := newPlugin(t, `{}`)
	input := `{"email": {"recipients": ["Zoë Ünal <zoe@example.com>", "b@example.com"], "reply_to": "help@example.com",
		"subject": "Réunion à 10h — $Input{x}",
		"template": "<html><head><title>t</title><style>p{}</style></head><body><h1>Hi &amp; welcome</h1><p>See <a href=\"https://example.com/e/1\">the event</a>.</p><ul><li>one</li><li>two</li></ul><script>alert(1)</script></body></html>"}}`
	out := mustSend(t, p, newJob("k", input))
	msg, _ := readEML(t, dir, out.Channels["email"])

	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "Réunion à 10h — $Input{x}" {
		t.Errorf("Subject %q (%v), want it RFC 2047-encoded and literal", msg.Header.Get("Subject"), err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "Zoë Ünal" {
		t.Errorf("To %v (%v)", to, err)
	}
	if msg.Header.Get("Reply-To") != "help@example.com" {
		t.Errorf("Reply-To %q", msg.Header.Get("Reply-To"))
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v)", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var parts []string
	var types []string
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		types = append(types, part.Header.Get("Content-Type"))
		parts = append(parts, string(b))
	}
	if len(parts) != 2 || types[0] != "text/plain; charset=utf-8" || types[1] != "text/html; charset=utf-8" {
		t.Fatalf("parts %v", types)
	}
	wantText := "Hi & welcome\r\n\r\nSee the event (https://example.com/e/1).\r\n\r\n- one\r\n- two\r\n"
	if parts[0] != wantText {
		t.Errorf("text part %q, want %q", parts[0], wantText)
	}
	if !strings.Contains(parts[1], `<a href="https://example.com/e/1">the event</a>`) {
		t.Errorf("html part %q", parts[1])
	}
}

func TestOutboxBodyIsData(t *testing.T) {
	p, dir := newPlugin(t, `{}`)
	body := "Literal $Input{secret} and {{var}} and =?utf-8?q?x?= stay.\nSecond line.\r\nSubject: injected"
	out := mustSend(t, p, newJob("k", `{"email": {"to": "a@example.com", "subject": "line one\r\nBcc: evil@example.com", "body": `+quoteJSON(body)+`}}`))
	msg, _ := readEML(t, dir, out.Channels["email"])
	got, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	want := strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n") + "\r\n"
	if string(got) != want {
		t.Errorf("body %q, want %q", got, want)
	}
	if msg.Header.Get("Bcc") != "" || msg.Header.Get("Subject") != "line one Bcc: evil@example.com" {
		t.Errorf("headers injected: Subject %q, Bcc %q", msg.Header.Get("Subject"), msg.Header.Get("Bcc"))
	}
}

func TestSanitizeToken(t *testing.T) {
	for _, key := range []string{"abc", "a.b", "run:1/2", ".hidden", "a..b", "../../etc/passwd", "", strings.Repeat("x", 300), "ключ"} {
		got := sanitizeToken(key)
		if got == "" || strings.ContainsAny(got, "/\\:<>@ ") || strings.HasPrefix(got, ".") || strings.HasSuffix(got, ".") || strings.Contains(got, "..") || len(got) > maxTokenLen+13 {
			t.Errorf("sanitizeToken(%q) = %q", key, got)
		}
		if _, err := mail.ParseAddress("x <" + got + "@jobd>"); err != nil {
			t.Errorf("Message-ID from %q is invalid: %v", key, err)
		}
	}
	if sanitizeToken("run:1") == sanitizeToken("run/1") {
		t.Error("two keys share a token")
	}
	if sanitizeToken("abc-1") != "abc-1" {
		t.Error("a clean key must stay as it is")
	}
}
