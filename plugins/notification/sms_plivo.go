package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// plivoProvider sends through Plivo's Message API:
// POST {base_url}/v1/Account/{auth_id}/Message/ with a JSON body, with
// basic authentication auth_id:auth_token.
type plivoProvider struct {
	cfg    PlivoConfig
	client *http.Client
}

func (p *plivoProvider) name() string { return ProviderPlivo }

// plivoRequest is the body of a message request.
type plivoRequest struct {
	Src  string `json:"src"`
	Dst  string `json:"dst"`
	Text string `json:"text"`
}

// send sends one message. Plivo answers 202 with message_uuid; an error
// answer has "error".
func (p *plivoProvider) send(ctx context.Context, to, body string) (string, error) {
	req := providerRequest{method: http.MethodPost,
		url:         p.cfg.BaseURL + "/v1/Account/" + url.PathEscape(p.cfg.AuthID) + "/Message/",
		contentType: "application/json", body: jsonBody(plivoRequest{Src: p.cfg.From, Dst: to, Text: body}),
		header: http.Header{"Accept": {"application/json"}}, user: p.cfg.AuthID, pass: p.cfg.AuthToken}
	resp, err := req.do(ctx, p.client)
	if err != nil {
		return "", fmt.Errorf("plivo: %w", err)
	}
	var ans struct {
		MessageUUID []string `json:"message_uuid"`
		Error       any      `json:"error"`
	}
	_ = json.Unmarshal(resp.body, &ans)
	if resp.ok() {
		return strings.Join(ans.MessageUUID, ","), nil
	}
	detail := resp.snippet()
	if s, ok := varString(ans.Error); ok {
		detail = s
	}
	return "", resp.classify(fmt.Errorf("plivo: %s: %s", resp.statusText(), detail))
}
