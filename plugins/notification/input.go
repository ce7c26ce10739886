package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/jobd-dev/jobd/sdk"
)

// Channel names accepted at the top level of a notification's input.
const (
	// ChannelPush is a push notification (Expo, Firebase).
	ChannelPush = "push_notification"
	// ChannelEmail is an email.
	ChannelEmail = "email"
	// ChannelSMS is a text message (Twilio, Vonage, Plivo).
	ChannelSMS = "sms"
	// ChannelCallback is an HTTP request to the configured URL.
	ChannelCallback = "callback"
	// ChannelWebhook is the older name of ChannelCallback.
	ChannelWebhook = "webhook"
)

// Fields of a notification's input that are not channels.
const (
	// FieldMessage names a stored message, "notification_tag:message_tag".
	FieldMessage = "message"
	// FieldVariables holds the values of the stored message's placeholders.
	FieldVariables = "variables"
)

// channelOrder lists the channel names in the order they are reported.
var channelOrder = []string{ChannelPush, ChannelEmail, ChannelSMS, ChannelCallback, ChannelWebhook}

// channelInput is one channel present in a job's input.
type channelInput struct {
	// name is the key as written in the input ("webhook" stays "webhook").
	name string
	// kind is the canonical channel ("webhook" becomes "callback").
	kind string
	raw  json.RawMessage
}

// parseInput splits a notification's input into its channels and its
// choice of stored message. Every error is permanent: the same input fails
// the same way on the next attempt.
func parseInput(raw json.RawMessage) ([]channelInput, messageRef, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return nil, messageRef{}, sdk.Permanent(fmt.Errorf("input: want an object with any of %s", strings.Join(channelOrder[:4], ", ")))
	}
	var unknown []string
	for k := range top {
		if !slices.Contains(channelOrder, k) && k != FieldMessage && k != FieldVariables {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, messageRef{}, sdk.Permanent(fmt.Errorf("input: unknown channel %s (want any of %s; %q is accepted for %q; %q and %q fill a stored message)",
			strings.Join(quoteAll(unknown), ", "), strings.Join(channelOrder[:4], ", "), ChannelWebhook, ChannelCallback, FieldMessage, FieldVariables))
	}
	if isPresent(top[ChannelCallback]) && isPresent(top[ChannelWebhook]) {
		return nil, messageRef{}, sdk.Permanent(fmt.Errorf("input: %q and %q name the same channel: give one", ChannelCallback, ChannelWebhook))
	}
	ref, err := parseMessageRef(top)
	if err != nil {
		return nil, messageRef{}, err
	}
	var chans []channelInput
	for _, name := range channelOrder {
		if !isPresent(top[name]) {
			continue
		}
		kind := name
		if name == ChannelWebhook {
			kind = ChannelCallback
		}
		chans = append(chans, channelInput{name: name, kind: kind, raw: top[name]})
	}
	if len(chans) == 0 {
		return nil, messageRef{}, sdk.Permanent(fmt.Errorf("input: no channel: give any of %s", strings.Join(channelOrder[:4], ", ")))
	}
	return chans, ref, nil
}

// isPresent reports whether a channel's value is there and not null (a
// piped value may resolve to null: the channel is then absent).
func isPresent(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// addrList is a string or a list of strings in the input.
type addrList []string

// UnmarshalJSON accepts a string, a list of strings, or null.
func (a *addrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = addrList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", b)
	}
	*a = many
	return nil
}

// emailInput is the input's email object.
type emailInput struct {
	To         addrList `json:"to"`
	Recipients addrList `json:"recipients"`
	Cc         addrList `json:"cc"`
	Bcc        addrList `json:"bcc"`
	ReplyTo    addrList `json:"reply_to"`
	Subject    string   `json:"subject"`
	Body       string   `json:"body"`
	Template   string   `json:"template"`
}

// email is a validated email channel.
type email struct {
	to, cc, bcc, replyTo []*mail.Address
	subject              string
	text                 string // plain text part, from body or derived from html
	html                 string // HTML part, from template; empty for text only
}

// parseEmail decodes and validates the email channel; errors are permanent
// and name the field.
func parseEmail(name string, raw json.RawMessage, msg rendered) (*email, error) {
	var in emailInput
	if err := sdk.DecodeStrict(name, raw, &in); err != nil {
		return nil, sdk.Permanent(err)
	}
	in.Subject = orPart(in.Subject, msg.emailSubject())
	in.Body = orPart(in.Body, msg.body)
	in.Template = orPart(in.Template, msg.template)
	var errs []error
	m := &email{subject: in.Subject, text: in.Body, html: in.Template}
	m.to = parseAddrs(name+".to", append(slices.Clone(in.To), in.Recipients...), &errs)
	if len(m.to) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s.to: required (or %s.recipients)", name, name))
	}
	m.cc = parseAddrs(name+".cc", in.Cc, &errs)
	m.bcc = parseAddrs(name+".bcc", in.Bcc, &errs)
	m.replyTo = parseAddrs(name+".reply_to", in.ReplyTo, &errs)
	if strings.TrimSpace(in.Subject) == "" {
		errs = append(errs, fmt.Errorf("%s.subject: required", name))
	}
	if strings.TrimSpace(in.Body) == "" && strings.TrimSpace(in.Template) == "" {
		errs = append(errs, fmt.Errorf("%s.body: required (or %s.template)", name, name))
	}
	if len(errs) > 0 {
		return nil, sdk.Permanent(errors.Join(errs...))
	}
	if m.text == "" {
		m.text = htmlToText(m.html)
	}
	return m, nil
}

// orPart is the input's own text when given, else the stored message's part.
func orPart(own, stored string) string {
	if strings.TrimSpace(own) != "" {
		return own
	}
	return stored
}

// parseAddrs parses each entry (which may itself hold a comma-separated
// list) with net/mail, appending an error per bad entry.
func parseAddrs(field string, list []string, errs *[]error) []*mail.Address {
	var out []*mail.Address
	for i, s := range list {
		if strings.TrimSpace(s) == "" {
			continue // a piped value that resolved to "": absent
		}
		addrs, err := mail.ParseAddressList(s)
		if err != nil {
			key := field
			if len(list) > 1 {
				key = fmt.Sprintf("%s[%d]", field, i)
			}
			*errs = append(*errs, fmt.Errorf("%s: invalid address %q: %w", key, s, err))
			continue
		}
		out = append(out, addrs...)
	}
	return out
}

// callbackInput is the input's callback object.
type callbackInput struct {
	Query   map[string]any    `json:"query"`
	Params  map[string]any    `json:"params"`
	Body    json.RawMessage   `json:"body"`
	Headers map[string]string `json:"headers"`
}

// scalarString formats a piped scalar (string, number, boolean) as text.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
