package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/jobd-dev/jobd/sdk"
)

// MessageTemplate is a stored message, the table
// [plugins.notification.config.messages.<notification_tag>.<message_tag>].
// Each part may hold {{var}} placeholders, filled from the input's
// variables.
type MessageTemplate struct {
	// Title is the push notification's title (and the email's subject when
	// Subject is empty).
	Title string `json:"title"`
	// Body is the push notification's body, the SMS text and the email's
	// plain-text body.
	Body string `json:"body"`
	// Subject is the email's subject.
	Subject string `json:"subject"`
	// Template is the email's HTML body; values filled into it are
	// HTML-escaped.
	Template string `json:"template"`
}

// Parts of a stored message, as named in the input's variables.
const (
	PartTitle    = "title"
	PartBody     = "body"
	PartSubject  = "subject"
	PartTemplate = "template"
)

var messageParts = []string{PartTitle, PartBody, PartSubject, PartTemplate}

// placeholder matches {{name}} (spaces allowed inside the braces); a name
// may hold dots to reach into an object variable: {{user.name}}.
var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_][A-Za-z0-9_.\-]*)\s*\}\}`)

// messageRef is the input's choice of stored message and its variables.
type messageRef struct {
	// name is "notification_tag:message_tag"; empty when none is named.
	name string
	vars map[string]any
}

// rendered is a stored message with its placeholders filled: the defaults
// of each channel's title, body, subject and template.
type rendered struct {
	title, body, subject, template string
}

// validateMessages reports every malformed stored message.
func validateMessages(msgs map[string]map[string]MessageTemplate, bad func(key, format string, args ...any)) {
	for _, n := range slices.Sorted(maps.Keys(msgs)) {
		if strings.TrimSpace(n) == "" || strings.Contains(n, ":") {
			bad("messages."+n, "a notification tag must be non-empty and hold no \":\"")
		}
		for _, m := range slices.Sorted(maps.Keys(msgs[n])) {
			key := "messages." + n + "." + m
			if strings.TrimSpace(m) == "" || strings.Contains(m, ":") {
				bad(key, "a message tag must be non-empty and hold no \":\"")
			}
			if t := msgs[n][m]; t == (MessageTemplate{}) {
				bad(key, "empty message: set any of title, body, subject, template")
			}
		}
	}
}

// resolve finds the named stored message and fills its placeholders. No
// name gives an empty result. An unknown name is a permanent error.
func (r messageRef) resolve(msgs map[string]map[string]MessageTemplate) (rendered, error) {
	if r.name == "" {
		return rendered{}, nil
	}
	ntag, mtag, ok := strings.Cut(r.name, ":")
	if !ok || ntag == "" || mtag == "" {
		return rendered{}, sdk.Permanent(fmt.Errorf("message: want \"notification_tag:message_tag\", got %q", r.name))
	}
	t, ok := msgs[ntag][mtag]
	if !ok {
		return rendered{}, sdk.Permanent(fmt.Errorf("message: %q is not configured: add [plugins.notification.config.messages.%s.%s]", r.name, ntag, mtag))
	}
	return rendered{
		title:    fill(t.Title, PartTitle, r.vars, false),
		body:     fill(t.Body, PartBody, r.vars, false),
		subject:  fill(t.Subject, PartSubject, r.vars, false),
		template: fill(t.Template, PartTemplate, r.vars, true),
	}, nil
}

// emailSubject is the email's subject: the message's subject, else its title.
func (r rendered) emailSubject() string {
	if r.subject != "" {
		return r.subject
	}
	return r.title
}

// fill replaces each {{name}} in text with the variable's value for part; a
// placeholder without a value stays as written. escape HTML-escapes values.
func fill(text, part string, vars map[string]any, escape bool) string {
	if text == "" || !strings.Contains(text, "{{") {
		return text
	}
	return placeholder.ReplaceAllStringFunc(text, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v, ok := lookupVar(vars, part, name)
		if !ok {
			return m
		}
		if escape {
			return html.EscapeString(v)
		}
		return v
	})
}

// lookupVar finds name for part: first in variables.<part> (when that is
// an object), then among the shared variables. A dotted name walks into
// objects. null is no value.
func lookupVar(vars map[string]any, part, name string) (string, bool) {
	if scoped, ok := vars[part].(map[string]any); ok {
		if s, ok := varPath(scoped, name); ok {
			return s, true
		}
	}
	return varPath(vars, name)
}

func varPath(vars map[string]any, name string) (string, bool) {
	if v, ok := vars[name]; ok { // a key holding dots wins over a path
		return varString(v)
	}
	var cur any = vars
	for seg := range strings.SplitSeq(name, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		if cur, ok = obj[seg]; !ok {
			return "", false
		}
	}
	return varString(cur)
}

// varString formats a variable: scalars as text, objects and lists as JSON.
func varString(v any) (string, bool) {
	if v == nil {
		return "", false
	}
	if s, ok := scalarString(v); ok {
		return s, true
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", false
	}
	return strings.TrimSuffix(buf.String(), "\n"), true
}

// parseMessageRef reads the input's message and variables fields.
func parseMessageRef(top map[string]json.RawMessage) (messageRef, error) {
	var r messageRef
	if raw := top[FieldMessage]; isPresent(raw) {
		if err := json.Unmarshal(raw, &r.name); err != nil {
			return r, sdk.Permanent(fmt.Errorf("message: want a string \"notification_tag:message_tag\", got %s", raw))
		}
		r.name = strings.TrimSpace(r.name)
	}
	if raw := top[FieldVariables]; isPresent(raw) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&r.vars); err != nil || r.vars == nil {
			return r, sdk.Permanent(fmt.Errorf("variables: want an object, got %s", raw))
		}
		if r.name == "" {
			return r, sdk.Permanent(fmt.Errorf("variables: given without a message to fill (set message to \"notification_tag:message_tag\")"))
		}
	}
	return r, nil
}
