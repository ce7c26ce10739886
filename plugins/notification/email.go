package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxTokenLen bounds the readable part of a sanitized token.
const maxTokenLen = 128

// sanitizeToken turns s into text that is both a valid RFC 5322 dot-atom
// (for a Message-ID's left side) and a safe file name: letters, digits,
// "-_+=" and single inner dots. When anything had to change, a short hash
// of s is appended so two different keys never share a token.
func sanitizeToken(s string) string {
	var b strings.Builder
	last := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-_+=", c) >= 0:
		case c == '.' && b.Len() > 0 && last != '.':
		default:
			c = '-'
		}
		b.WriteByte(c)
		last = c
	}
	out := strings.TrimRight(b.String(), ".")
	if out == s && out != "" && len(out) <= maxTokenLen {
		return out
	}
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:6])
	if len(out) > maxTokenLen {
		out = strings.TrimRight(out[:maxTokenLen], ".")
	}
	if out == "" {
		return h
	}
	return out + "-" + h
}

// messageID is the Message-ID of a run's email: the same for every attempt.
func messageID(key, domain string) string {
	return "<" + sanitizeToken(key) + "@" + domain + ">"
}

// envelope returns the SMTP recipients: to, cc and bcc, without duplicates.
func (m *email) envelope() []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]*mail.Address{m.to, m.cc, m.bcc} {
		for _, a := range list {
			k := strings.ToLower(a.Address)
			if !seen[k] {
				seen[k] = true
				out = append(out, a.Address)
			}
		}
	}
	return out
}

// render writes m as an RFC 5322 message with CRLF line ends. withBcc keeps
// a Bcc header (for the outbox, a record of the message; never on the wire).
func (m *email) render(from *mail.Address, msgID string, date time.Time, withBcc bool) []byte {
	var b bytes.Buffer
	header := func(name, value string) {
		if value != "" {
			b.WriteString(foldHeader(name + ": " + value))
			b.WriteString("\r\n")
		}
	}
	header("Date", date.Format(time.RFC1123Z))
	header("From", formatAddr(from))
	header("To", joinAddrs(m.to))
	header("Cc", joinAddrs(m.cc))
	if withBcc {
		header("Bcc", joinAddrs(m.bcc))
	}
	header("Reply-To", joinAddrs(m.replyTo))
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(m.subject)))
	header("Message-ID", msgID)
	header("MIME-Version", "1.0")
	header("Auto-Submitted", "auto-generated")
	if m.html == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		b.Write(qp(m.text))
		return b.Bytes()
	}
	text, htm := qp(m.text), qp(m.html)
	boundary := "jobd-" + hashHex(msgID, 12)
	var parts bytes.Buffer
	mw := multipart.NewWriter(&parts)
	if bytes.Contains(text, []byte(boundary)) || bytes.Contains(htm, []byte(boundary)) {
		boundary = mw.Boundary() // random: the content holds ours
	}
	_ = mw.SetBoundary(boundary)
	for _, p := range []struct {
		ctype string
		body  []byte
	}{{"text/plain; charset=utf-8", text}, {"text/html; charset=utf-8", htm}} {
		w, _ := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		_, _ = w.Write(p.body) // a bytes.Buffer does not fail
	}
	_ = mw.Close()
	header("Content-Type", fmt.Sprintf("multipart/alternative; boundary=%q", boundary))
	b.WriteString("\r\n")
	b.Write(parts.Bytes())
	return b.Bytes()
}

func hashHex(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:n])
}

// qp encodes text as quoted-printable with CRLF line ends, ending in CRLF.
func qp(text string) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write([]byte(text))
	_ = w.Close()
	if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func joinAddrs(addrs []*mail.Address) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = formatAddr(a)
	}
	return strings.Join(s, ", ")
}

// formatAddr writes a as "Name <addr>", or the bare address without a name.
func formatAddr(a *mail.Address) string {
	s := a.String()
	if a.Name == "" {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	}
	return s
}

// oneLine keeps header text on one line: input is data, never headers.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// foldHeader folds a header line at spaces so lines stay near 78 octets.
func foldHeader(line string) string {
	const limit = 76
	if len(line) <= limit {
		return line
	}
	var b strings.Builder
	cur := 0
	for i, word := range strings.Split(line, " ") {
		if i > 0 {
			if i > 1 && cur+1+len(word) > limit { // never fold right after "Name:"
				b.WriteString("\r\n ")
				cur = 1
			} else {
				b.WriteByte(' ')
				cur++
			}
		}
		b.WriteString(word)
		cur += len(word)
	}
	return b.String()
}

var (
	spaceRun = regexp.MustCompile(`[ \t\r\n\f]+`)
	blankRun = regexp.MustCompile(`\n{3,}`)
)

// htmlToText derives the plain-text alternative of an HTML body: tags
// dropped, entities decoded, block elements on their own lines, links
// followed by their address, script and style removed.
func htmlToText(src string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(src))
	skip := 0
	type link struct {
		href  string
		start int
	}
	var links []link
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			lines := strings.Split(b.String(), "\n")
			for i, l := range lines {
				lines[i] = strings.TrimSpace(spaceRun.ReplaceAllString(l, " "))
			}
			return strings.TrimSpace(blankRun.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
		case html.TextToken:
			if skip == 0 {
				b.WriteString(spaceRun.ReplaceAllString(string(z.Text()), " "))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			end := tt == html.EndTagToken
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Title:
				if tt == html.StartTagToken {
					skip++
				} else if end && skip > 0 {
					skip--
				}
			case atom.Br:
				b.WriteString("\n")
			case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
				atom.Table, atom.Ul, atom.Ol, atom.Blockquote, atom.Section, atom.Article, atom.Hr, atom.Pre:
				b.WriteString("\n\n")
			case atom.Tr:
				if !end {
					b.WriteString("\n")
				}
			case atom.Td, atom.Th:
				b.WriteString(" ")
			case atom.Li:
				if !end {
					b.WriteString("\n- ")
				}
			case atom.A:
				if !end {
					links = append(links, link{href: attr(z, "href"), start: b.Len()})
				} else if n := len(links); n > 0 {
					l := links[n-1]
					links = links[:n-1]
					shown := strings.TrimSpace(b.String()[l.start:])
					if l.href != "" && shown != l.href && shown != strings.TrimPrefix(l.href, "mailto:") {
						b.WriteString(" (" + l.href + ")")
					}
				}
			}
		}
	}
}

// attr returns the named attribute of the tokenizer's current tag.
func attr(z *html.Tokenizer, name string) string {
	for {
		k, v, more := z.TagAttr()
		if string(k) == name {
			return string(v)
		}
		if !more {
			return ""
		}
	}
}
