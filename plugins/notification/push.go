package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

// pushInput is the input's push_notification object.
type pushInput struct {
	Title        string         `json:"title"`
	Body         string         `json:"body"`
	Data         map[string]any `json:"data"`
	DeviceToken  addrList       `json:"device_token"`
	DeviceTokens addrList       `json:"device_tokens"`
}

// pushMessage is a validated push notification, the same for every token.
type pushMessage struct {
	title, body string
	data        map[string]any
	tokens      []string
}

// pushProvider sends one push notification to device tokens and reports
// each token's result, in order.
type pushProvider interface {
	name() string
	send(ctx context.Context, m *pushMessage, tokens []string) []targetResult
}

// newPushProvider builds the configured provider; nil when none is.
func newPushProvider(cfg PushConfig, now func() time.Time) (pushProvider, error) {
	client := &http.Client{Timeout: time.Duration(cfg.Timeout)}
	switch cfg.Provider {
	case ProviderExpo:
		return &expoProvider{cfg: cfg.Expo, client: client}, nil
	case ProviderFCM:
		return newFCMProvider(cfg.FCM, client, now)
	}
	return nil, nil
}

// parsePush decodes and validates the push channel; errors are permanent
// and name the field. The stored message gives a missing title and body.
func parsePush(name string, raw json.RawMessage, msg rendered) (*pushMessage, error) {
	var in pushInput
	if err := sdk.DecodeStrict(name, raw, &in); err != nil {
		return nil, sdk.Permanent(err)
	}
	m := &pushMessage{title: orPart(in.Title, msg.title), body: orPart(in.Body, msg.body), data: in.Data}
	for _, t := range append(slices.Clone(in.DeviceToken), in.DeviceTokens...) {
		t = strings.TrimSpace(t)
		if t != "" && !slices.Contains(m.tokens, t) { // "" is a piped value that resolved to nothing
			m.tokens = append(m.tokens, t)
		}
	}
	var errs []error
	if len(m.tokens) == 0 {
		errs = append(errs, fmt.Errorf("%s.device_token: required (or %s.device_tokens)", name, name))
	}
	if strings.TrimSpace(m.title) == "" && strings.TrimSpace(m.body) == "" && len(m.data) == 0 {
		errs = append(errs, fmt.Errorf("%s.body: required (or %s.title, or %s.data for a data-only message)", name, name, name))
	}
	if len(errs) > 0 {
		return nil, sdk.Permanent(errors.Join(errs...))
	}
	return m, nil
}

// sendPush delivers the push channel to each of its device tokens that an
// earlier attempt of the run did not deliver.
func (p *Plugin) sendPush(ctx context.Context, job *sdk.Job, key string, ch channelInput, msg rendered) (ChannelOutcome, error) {
	if p.push == nil {
		return ChannelOutcome{}, sdk.Permanent(fmt.Errorf("%s: %w: set provider in [plugins.notification.config.push]", ch.name, ErrNoProvider))
	}
	m, err := parsePush(ch.name, ch.raw, msg)
	if err != nil {
		return ChannelOutcome{}, err
	}
	o := ChannelOutcome{Provider: p.push.name()}
	o.Results, err = p.sendTargets(ctx, job, key, ch.name, true, m.tokens, func(ctx context.Context, tokens []string) []targetResult {
		return p.push.send(ctx, m, tokens)
	})
	return o, err
}
