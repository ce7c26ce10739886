package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

// smsInput is the input's sms object.
type smsInput struct {
	Recipients addrList `json:"recipients"`
	To         addrList `json:"to"`
	Body       string   `json:"body"`
}

// smsProvider sends one text message to one recipient and returns the
// provider's id of the message.
type smsProvider interface {
	name() string
	send(ctx context.Context, to, body string) (string, error)
}

// newSMSProvider builds the configured provider; nil when none is.
func newSMSProvider(cfg SMSConfig) (smsProvider, error) {
	client := &http.Client{Timeout: time.Duration(cfg.Timeout)}
	switch cfg.Provider {
	case ProviderTwilio:
		return &twilioProvider{cfg: cfg.Twilio, client: client}, nil
	case ProviderVonage:
		return &vonageProvider{cfg: cfg.Vonage, client: client}, nil
	case ProviderPlivo:
		return &plivoProvider{cfg: cfg.Plivo, client: client}, nil
	}
	return nil, nil
}

// phoneNumber is a number once spaces, dashes, dots and brackets are gone:
// E.164 digits with an optional leading "+".
var phoneNumber = regexp.MustCompile(`^\+?[0-9]{6,15}$`)

// normalizePhone drops the separators people write in numbers.
func normalizePhone(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '\t':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// parseSMS decodes and validates the sms channel; errors are permanent and
// name the field. The stored message gives a missing body.
func parseSMS(name string, raw json.RawMessage, msg rendered) (to []string, body string, err error) {
	var in smsInput
	if err := sdk.DecodeStrict(name, raw, &in); err != nil {
		return nil, "", sdk.Permanent(err)
	}
	body = orPart(in.Body, msg.body)
	var errs []error
	check := func(field string, list addrList) {
		for i, entry := range list {
			for part := range strings.SplitSeq(entry, ",") {
				n := normalizePhone(part)
				if n == "" {
					continue // a piped value that resolved to ""
				}
				if !phoneNumber.MatchString(n) {
					key := field
					if len(list) > 1 {
						key = fmt.Sprintf("%s[%d]", field, i)
					}
					errs = append(errs, fmt.Errorf("%s: invalid phone number %q: want E.164, such as +15550100", key, strings.TrimSpace(part)))
					continue
				}
				if !slices.Contains(to, n) {
					to = append(to, n)
				}
			}
		}
	}
	check(name+".to", in.To)
	check(name+".recipients", in.Recipients)
	if len(to) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s.recipients: required (or %s.to)", name, name))
	}
	if strings.TrimSpace(body) == "" {
		errs = append(errs, fmt.Errorf("%s.body: required", name))
	}
	if len(errs) > 0 {
		return nil, "", sdk.Permanent(errors.Join(errs...))
	}
	return to, body, nil
}

// sendSMS delivers the sms channel to each of its recipients that an
// earlier attempt of the run did not deliver, a few at once.
func (p *Plugin) sendSMS(ctx context.Context, job *sdk.Job, key string, ch channelInput, msg rendered) (ChannelOutcome, error) {
	if p.sms == nil {
		return ChannelOutcome{}, sdk.Permanent(fmt.Errorf("%s: %w: set provider in [plugins.notification.config.sms]", ch.name, ErrNoProvider))
	}
	to, body, err := parseSMS(ch.name, ch.raw, msg)
	if err != nil {
		return ChannelOutcome{}, err
	}
	o := ChannelOutcome{Provider: p.sms.name()}
	o.Results, err = p.sendTargets(ctx, job, key, ch.name, false, to, func(ctx context.Context, to []string) []targetResult {
		out := make([]targetResult, len(to))
		forEach(len(to), providerConcurrency, func(i int) {
			out[i].id, out[i].err = p.sms.send(ctx, to[i], body)
		})
		return out
	})
	return o, err
}
