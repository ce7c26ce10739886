package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/jobd-dev/jobd/sdk"
)

// fcmScope is the OAuth2 scope that sends FCM messages.
const fcmScope = "https://www.googleapis.com/auth/firebase.messaging"

// fcmTokenSlack renews a cached access token this long before it expires.
const fcmTokenSlack = 5 * time.Minute

// serviceAccount is the part of a Google service account's JSON key the
// plugin uses.
type serviceAccount struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	TokenURI     string `json:"token_uri"`
}

// fcmProvider sends through Firebase Cloud Messaging's HTTP v1 API: one
// POST {base_url}/v1/projects/{project_id}/messages:send per token, with
// an OAuth2 access token got from a service account's signed JWT.
type fcmProvider struct {
	url    string
	client *http.Client
	tokens *fcmTokenSource
}

func (f *fcmProvider) name() string { return ProviderFCM }

// newFCMProvider reads and checks the service account's credentials.
func newFCMProvider(cfg FCMConfig, client *http.Client, now func() time.Time) (*fcmProvider, error) {
	key := "push.fcm.credentials_file"
	if cfg.CredentialsJSON != "" {
		key = "push.fcm.credentials_json"
	}
	b, err := cfg.credentials()
	if err != nil {
		return nil, err
	}
	var sa serviceAccount
	if err := json.Unmarshal(b, &sa); err != nil {
		return nil, fmt.Errorf("%s: not a service account JSON key: %w", key, err)
	}
	if sa.Type != "" && sa.Type != "service_account" {
		return nil, fmt.Errorf("%s: type is %q, want \"service_account\"", key, sa.Type)
	}
	if sa.ClientEmail == "" {
		return nil, fmt.Errorf("%s: client_email missing", key)
	}
	pk, err := parseRSAKey(sa.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("%s: private_key: %w", key, err)
	}
	project := cfg.ProjectID
	if project == "" {
		project = sa.ProjectID
	}
	if project == "" {
		return nil, fmt.Errorf("push.fcm.project_id: required (the credentials name no project_id)")
	}
	tokenURL := cfg.TokenURL
	if tokenURL == "" {
		tokenURL = sa.TokenURI
	}
	if tokenURL == "" {
		tokenURL = FCMTokenURLDefault
	}
	return &fcmProvider{
		url:    cfg.BaseURL + "/v1/projects/" + url.PathEscape(project) + "/messages:send",
		client: client,
		tokens: &fcmTokenSource{sa: sa, key: pk, url: tokenURL, client: client, now: now},
	}, nil
}

// parseRSAKey reads a PEM private key, PKCS #8 (what Google issues) or
// PKCS #1.
func parseRSAKey(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("want an RSA key, got %T", k)
	}
	return rk, nil
}

// fcmRequest is the body of messages:send.
type fcmRequest struct {
	Message fcmMessage `json:"message"`
}

type fcmMessage struct {
	Token        string            `json:"token"`
	Notification *fcmNotification  `json:"notification,omitempty"`
	Data         map[string]string `json:"data,omitempty"`
}

type fcmNotification struct {
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
}

// fcmAnswer is messages:send's answer: the message's name, or an error.
type fcmAnswer struct {
	Name  string `json:"name"`
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type      string `json:"@type"`
			ErrorCode string `json:"errorCode"`
		} `json:"details"`
	} `json:"error"`
}

// send posts one request per token, a few at once.
func (f *fcmProvider) send(ctx context.Context, m *pushMessage, tokens []string) []targetResult {
	base := fcmMessage{Data: fcmData(m.data)}
	if m.title != "" || m.body != "" {
		base.Notification = &fcmNotification{Title: m.title, Body: m.body}
	}
	out := make([]targetResult, len(tokens))
	forEach(len(tokens), providerConcurrency, func(i int) {
		msg := base
		msg.Token = tokens[i]
		out[i] = f.sendOne(ctx, jsonBody(fcmRequest{Message: msg}))
	})
	return out
}

// sendOne sends one message. An access token the API refuses (401
// UNAUTHENTICATED) is dropped and the request made once more with a new one.
func (f *fcmProvider) sendOne(ctx context.Context, body []byte) targetResult {
	for try := 0; ; try++ {
		access, err := f.tokens.get(ctx)
		if err != nil {
			return targetResult{err: err}
		}
		req := providerRequest{method: http.MethodPost, url: f.url, contentType: "application/json", body: body,
			header: http.Header{"Authorization": {"Bearer " + access}}}
		resp, err := req.do(ctx, f.client)
		if err != nil {
			return targetResult{err: fmt.Errorf("fcm: %w", err)}
		}
		var ans fcmAnswer
		_ = json.Unmarshal(resp.body, &ans)
		if resp.ok() {
			return targetResult{id: ans.Name}
		}
		code := ans.Error.Status
		for _, d := range ans.Error.Details {
			if d.ErrorCode != "" {
				code = d.ErrorCode
			}
		}
		if resp.code == http.StatusUnauthorized && code != "THIRD_PARTY_AUTH_ERROR" {
			f.tokens.invalidate(access)
			if try == 0 {
				continue
			}
		}
		detail := resp.snippet()
		if code != "" {
			detail = code + ": " + ans.Error.Message
		}
		err = fmt.Errorf("fcm: %s: %s", resp.statusText(), detail)
		switch {
		case code == "UNREGISTERED":
			return targetResult{err: sdk.Permanent(unregistered(err))}
		case resp.code == http.StatusUnauthorized && code != "THIRD_PARTY_AUTH_ERROR":
			return targetResult{err: err} // a new token may work on the next attempt
		}
		return targetResult{err: resp.classify(err)}
	}
}

// fcmData turns the input's data into FCM's map of strings: scalars as
// text, objects and lists as JSON, null left out.
func fcmData(data map[string]any) map[string]string {
	if len(data) == 0 {
		return nil
	}
	out := make(map[string]string, len(data))
	for k, v := range data {
		if s, ok := varString(v); ok {
			out[k] = s
		}
	}
	return out
}

// fcmTokenSource gets and caches OAuth2 access tokens with the JWT bearer
// grant (RFC 7523), as Google's service accounts do.
type fcmTokenSource struct {
	sa     serviceAccount
	key    *rsa.PrivateKey
	url    string
	client *http.Client
	now    func() time.Time

	mu     sync.Mutex
	token  string
	expiry time.Time
}

// get returns the cached token, or a new one when it is missing or expires
// within fcmTokenSlack. A refused grant (4xx) is permanent: the
// credentials are wrong; 429, 5xx and network failures are retryable.
func (s *fcmTokenSource) get(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.token != "" && now.Before(s.expiry.Add(-fcmTokenSlack)) {
		return s.token, nil
	}
	assertion, err := s.assertion(now)
	if err != nil {
		return "", sdk.Permanent(fmt.Errorf("fcm: sign token request: %w", err))
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
	req := providerRequest{method: http.MethodPost, url: s.url, contentType: "application/x-www-form-urlencoded",
		body: []byte(form.Encode()), header: http.Header{"Accept": {"application/json"}}}
	resp, err := req.do(ctx, s.client)
	if err != nil {
		return "", fmt.Errorf("fcm: token endpoint: %w", err)
	}
	var ans struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(resp.body, &ans)
	if !resp.ok() {
		detail := resp.snippet()
		if ans.Error != "" {
			detail = ans.Error + ": " + ans.Description
		}
		return "", resp.classify(fmt.Errorf("fcm: token endpoint: %s: %s", resp.statusText(), detail))
	}
	if ans.AccessToken == "" {
		return "", fmt.Errorf("fcm: token endpoint: no access_token in the answer")
	}
	if ans.ExpiresIn <= 0 {
		ans.ExpiresIn = 3600
	}
	s.token, s.expiry = ans.AccessToken, now.Add(time.Duration(ans.ExpiresIn)*time.Second)
	return s.token, nil
}

// invalidate drops token if it is still the cached one.
func (s *fcmTokenSource) invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == token {
		s.token = ""
	}
}

// assertion is the signed JWT (RS256) that asks for an access token: the
// service account as issuer, the FCM scope, the token endpoint as
// audience, valid one hour.
func (s *fcmTokenSource) assertion(now time.Time) (string, error) {
	header := map[string]string{"alg": "RS256", "typ": "JWT"}
	if s.sa.PrivateKeyID != "" {
		header["kid"] = s.sa.PrivateKeyID
	}
	claims := map[string]any{
		"iss": s.sa.ClientEmail, "scope": fcmScope, "aud": s.url,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(jsonBody(header)) + "." + enc.EncodeToString(jsonBody(claims))
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signing + "." + enc.EncodeToString(sig), nil
}
