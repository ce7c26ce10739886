package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/jobd-dev/jobd/sdk"
)

// vonageRetryable are Vonage's message statuses worth retrying: 1
// Throttled, 5 Internal Error, 10 Too Many Existing Binds.
var vonageRetryable = map[string]bool{"1": true, "5": true, "10": true}

// vonageProvider sends through Vonage's (Nexmo's) SMS API:
// POST {base_url}/sms/json, form encoded, credentials in the form.
type vonageProvider struct {
	cfg    VonageConfig
	client *http.Client
}

func (v *vonageProvider) name() string { return ProviderVonage }

// send sends one message. Vonage answers 200 even for a failure: each part
// of the message has a status, "0" for success; type=unicode is asked for
// text outside ASCII. The number goes without its "+".
func (v *vonageProvider) send(ctx context.Context, to, body string) (string, error) {
	form := url.Values{
		"api_key": {v.cfg.APIKey}, "api_secret": {v.cfg.APISecret},
		"from": {v.cfg.From}, "to": {strings.TrimPrefix(to, "+")}, "text": {body},
	}
	if !isASCII(body) {
		form.Set("type", "unicode")
	}
	req := providerRequest{method: http.MethodPost, url: v.cfg.BaseURL + "/sms/json",
		contentType: "application/x-www-form-urlencoded", body: []byte(form.Encode()),
		header: http.Header{"Accept": {"application/json"}}}
	resp, err := req.do(ctx, v.client)
	if err != nil {
		return "", fmt.Errorf("vonage: %w", err)
	}
	if !resp.ok() {
		return "", resp.classify(fmt.Errorf("vonage: %s: %s", resp.statusText(), resp.snippet()))
	}
	var ans struct {
		Messages []struct {
			Status    string `json:"status"`
			MessageID string `json:"message-id"`
			ErrorText string `json:"error-text"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(resp.body, &ans); err != nil || len(ans.Messages) == 0 {
		return "", sdk.Permanent(fmt.Errorf("vonage: unexpected answer: %s", resp.snippet()))
	}
	var ids []string
	for _, m := range ans.Messages {
		if m.Status != "0" {
			err := fmt.Errorf("vonage: status %s: %s", m.Status, m.ErrorText)
			if vonageRetryable[m.Status] {
				return "", err
			}
			return "", sdk.Permanent(err)
		}
		ids = append(ids, m.MessageID)
	}
	return strings.Join(ids, ","), nil
}
