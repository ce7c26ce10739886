package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// twilioProvider sends through Twilio's Messages resource:
// POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json, form
// encoded, with basic authentication account_sid:auth_token.
type twilioProvider struct {
	cfg    TwilioConfig
	client *http.Client
}

func (t *twilioProvider) name() string { return ProviderTwilio }

// send creates one message. Twilio answers 201 with the message's sid; an
// error answer carries Twilio's code and message (400 21211 for an invalid
// To number is permanent, 429 20429 retryable).
func (t *twilioProvider) send(ctx context.Context, to, body string) (string, error) {
	form := url.Values{"To": {to}, "Body": {body}}
	if t.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", t.cfg.MessagingServiceSID)
	}
	if t.cfg.From != "" {
		form.Set("From", t.cfg.From)
	}
	req := providerRequest{method: http.MethodPost,
		url:         t.cfg.BaseURL + "/2010-04-01/Accounts/" + url.PathEscape(t.cfg.AccountSID) + "/Messages.json",
		contentType: "application/x-www-form-urlencoded", body: []byte(form.Encode()),
		header: http.Header{"Accept": {"application/json"}}, user: t.cfg.AccountSID, pass: t.cfg.AuthToken}
	resp, err := req.do(ctx, t.client)
	if err != nil {
		return "", fmt.Errorf("twilio: %w", err)
	}
	var ans struct {
		SID     string `json:"sid"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(resp.body, &ans)
	if resp.ok() {
		return ans.SID, nil
	}
	detail := resp.snippet()
	if ans.Message != "" {
		detail = fmt.Sprintf("%d: %s", ans.Code, ans.Message)
	}
	return "", resp.classify(fmt.Errorf("twilio: %s: %s", resp.statusText(), detail))
}
