package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials the fake providers accept.
const (
	expoAccessToken = "expo-access-secret"
	fcmProject      = "jobd-test"
	fcmClientEmail  = "jobd@jobd-test.iam.gserviceaccount.com"
	twilioSID       = "AC0123456789abcdef"
	twilioToken     = "twilio-secret"
	vonageKey       = "vkey"
	vonageSecret    = "vsecret"
	plivoID         = "MAPLIVO123"
	plivoToken      = "plivo-secret"
)

// Magic recipients: the fake providers fail them the way the real ones do.
const (
	phoneInvalid   = "+15550000400" // Twilio 400 21211, Vonage status 3, Plivo 400
	phoneThrottled = "+15550000429" // Twilio 429 20429, Vonage status 1, Plivo 429
	phoneDown      = "+15550000500" // 500 from every provider
)

// testRSAKey is the FCM service account's key, made once.
var testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// providerCall is one request a fake provider accepted.
type providerCall struct {
	path string
	// form is a form-encoded body; json a JSON one.
	form url.Values
	json any
	// auth is the Authorization header.
	auth string
}

// fakeProviders is one HTTP server playing Expo, FCM (and Google's token
// endpoint), Twilio, Vonage and Plivo. It checks each request as the
// provider documents it (t.Errorf on a mismatch) and answers as the
// provider does, failing the magic tokens and numbers.
type fakeProviders struct {
	*httptest.Server
	t          *testing.T
	mu         sync.Mutex
	calls      []providerCall
	tokenCalls int
	// fcmToken is the access token the token endpoint hands out last.
	fcmToken string
}

func startProviders(t *testing.T) *fakeProviders {
	t.Helper()
	f := &fakeProviders{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /--/api/v2/push/send", f.expo)
	mux.HandleFunc("POST /token", f.googleToken)
	mux.HandleFunc("POST /v1/projects/{project}/messages:send", f.fcm)
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", f.twilio)
	mux.HandleFunc("POST /sms/json", f.vonage)
	mux.HandleFunc("POST /v1/Account/{id}/Message/", f.plivo)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// tokensIssued is how many access tokens the token endpoint gave.
func (f *fakeProviders) tokensIssued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls
}

func (f *fakeProviders) record(c providerCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// callsTo returns the accepted requests whose path starts with prefix.
func (f *fakeProviders) callsTo(prefix string) []providerCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []providerCall
	for _, c := range f.calls {
		if strings.HasPrefix(c.path, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// id is a stable fake id for s.
func id(prefix, s string) string {
	sum := sha256.Sum256([]byte(s))
	return prefix + hex.EncodeToString(sum[:8])
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// readBody checks the content type and decodes the body.
func (f *fakeProviders) readBody(r *http.Request, wantType string) (url.Values, any) {
	b, _ := io.ReadAll(r.Body)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != wantType {
		f.t.Errorf("%s: Content-Type %q, want %s", r.URL.Path, r.Header.Get("Content-Type"), wantType)
	}
	if wantType == "application/json" {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			f.t.Errorf("%s: body is not JSON: %v", r.URL.Path, err)
		}
		return nil, v
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		f.t.Errorf("%s: body is not a form: %v", r.URL.Path, err)
	}
	return form, nil
}

// checkKeys fails on keys of obj outside allowed, and on missing required.
func (f *fakeProviders) checkKeys(what string, obj map[string]any, required []string, allowed ...string) {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !slices.Contains(allowed, k) && !slices.Contains(required, k) {
			f.t.Errorf("%s: unexpected field %q", what, k)
		}
	}
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			f.t.Errorf("%s: field %q missing", what, k)
		}
	}
}

// expo answers like https://exp.host/--/api/v2/push/send.
func (f *fakeProviders) expo(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Accept") != "application/json" {
		f.t.Errorf("expo: Accept %q", r.Header.Get("Accept"))
	}
	if a := r.Header.Get("Authorization"); a != "" && a != "Bearer "+expoAccessToken {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []any{map[string]string{"code": "UNAUTHORIZED",
			"message": "The bearer token is invalid; it must be a valid access token."}}})
		return
	}
	_, body := f.readBody(r, "application/json")
	msgs, ok := body.([]any)
	if !ok || len(msgs) == 0 || len(msgs) > 100 {
		f.t.Errorf("expo: body is not a list of 1-100 messages: %v", body)
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []any{map[string]string{"code": "VALIDATION_ERROR", "message": "bad body"}}})
		return
	}
	f.record(providerCall{path: r.URL.Path, json: body, auth: r.Header.Get("Authorization")})
	var tickets []any
	for _, m := range msgs {
		obj, _ := m.(map[string]any)
		f.checkKeys("expo message", obj, []string{"to"}, "title", "body", "data")
		to, _ := obj["to"].(string)
		switch {
		case strings.Contains(to, "down"):
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"errors": []any{map[string]string{"code": "INTERNAL_SERVER_ERROR", "message": "An unknown error occurred."}}})
			return
		case strings.Contains(to, "unregistered"):
			tickets = append(tickets, map[string]any{"status": "error",
				"message": fmt.Sprintf("%q is not a registered push notification recipient", to),
				"details": map[string]string{"error": "DeviceNotRegistered"}})
		case strings.Contains(to, "ratelimited"):
			tickets = append(tickets, map[string]any{"status": "error",
				"message": "Too many messages sent to this device.", "details": map[string]string{"error": "MessageRateExceeded"}})
		default:
			tickets = append(tickets, map[string]any{"status": "ok", "id": id("ticket-", to)})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": tickets})
}

// googleToken answers like https://oauth2.googleapis.com/token for the JWT
// bearer grant, checking the assertion's signature and claims.
func (f *fakeProviders) googleToken(w http.ResponseWriter, r *http.Request) {
	form, _ := f.readBody(r, "application/x-www-form-urlencoded")
	if form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		f.t.Errorf("token: grant_type %q", form.Get("grant_type"))
	}
	parts := strings.Split(form.Get("assertion"), ".")
	fail := func(why string) {
		f.t.Errorf("token: %s", why)
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
	}
	if len(parts) != 3 {
		fail("assertion is not a JWT")
		return
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&testRSAKey().PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		fail("bad signature: " + err.Error())
		return
	}
	var header map[string]any
	var claims struct {
		Iss, Scope, Aud string
		Iat, Exp        int64
	}
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(hb, &header)
	_ = json.Unmarshal(cb, &claims)
	if header["alg"] != "RS256" || header["typ"] != "JWT" || header["kid"] != "key-1" {
		fail(fmt.Sprintf("header %v", header))
		return
	}
	if claims.Iss != fcmClientEmail || claims.Scope != "https://www.googleapis.com/auth/firebase.messaging" ||
		claims.Aud != f.URL+"/token" || claims.Exp-claims.Iat != 3600 {
		fail(fmt.Sprintf("claims %+v", claims))
		return
	}
	f.mu.Lock()
	f.tokenCalls++
	f.fcmToken = fmt.Sprintf("ya29.test-%d", f.tokenCalls)
	tok := f.fcmToken
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
}

// fcmError is the body of an FCM v1 error answer.
func fcmError(code int, status, errorCode, msg string) map[string]any {
	return map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status,
		"details": []any{map[string]string{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": errorCode}}}}
}

// fcm answers like https://fcm.googleapis.com/v1/projects/{p}/messages:send.
func (f *fakeProviders) fcm(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	want, have := "Bearer "+f.fcmToken, f.fcmToken != ""
	f.mu.Unlock()
	if r.PathValue("project") != fcmProject {
		f.t.Errorf("fcm: project %q", r.PathValue("project"))
	}
	if r.Header.Get("Authorization") != want || !have {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401, "status": "UNAUTHENTICATED",
			"message": "Request had invalid authentication credentials. Expected OAuth 2 access token."}})
		return
	}
	_, body := f.readBody(r, "application/json")
	top, _ := body.(map[string]any)
	f.checkKeys("fcm request", top, []string{"message"})
	msg, _ := top["message"].(map[string]any)
	f.checkKeys("fcm message", msg, []string{"token"}, "notification", "data")
	if n, ok := msg["notification"].(map[string]any); ok {
		f.checkKeys("fcm notification", n, nil, "title", "body")
	}
	if d, ok := msg["data"].(map[string]any); ok {
		for k, v := range d {
			if _, ok := v.(string); !ok {
				f.t.Errorf("fcm: data.%s is %T, FCM wants strings", k, v)
			}
		}
	}
	tok, _ := msg["token"].(string)
	f.record(providerCall{path: r.URL.Path, json: body, auth: r.Header.Get("Authorization")})
	switch {
	case strings.Contains(tok, "unregistered"):
		writeJSON(w, http.StatusNotFound, fcmError(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found."))
	case strings.Contains(tok, "invalid"):
		writeJSON(w, http.StatusBadRequest, fcmError(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"))
	case strings.Contains(tok, "quota"):
		w.Header().Set("Retry-After", "60")
		writeJSON(w, http.StatusTooManyRequests, fcmError(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded for quota metric 'Send requests'"))
	case strings.Contains(tok, "down"):
		writeJSON(w, http.StatusServiceUnavailable, fcmError(503, "UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable."))
	default:
		writeJSON(w, http.StatusOK, map[string]string{"name": "projects/" + fcmProject + "/messages/" + id("0:", tok)})
	}
}

// fcmCredentials is a service account JSON key for the fake token endpoint.
func fcmCredentials(base string) string {
	der, _ := x509.MarshalPKCS8PrivateKey(testRSAKey())
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	b, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": fcmProject,
		"private_key_id": "key-1", "private_key": pemKey, "client_email": fcmClientEmail,
		"client_id": "1234567890", "token_uri": base + "/token"})
	return string(b)
}

// providerConfig is a plugin configuration with push and sms pointed at f.
func (f *fakeProviders) config(push, sms string, extra ...string) string {
	pushCfg := map[string]any{"provider": push, "expo": map[string]any{"base_url": f.URL, "access_token": expoAccessToken}}
	if push == ProviderFCM {
		pushCfg["fcm"] = map[string]any{"base_url": f.URL, "credentials_json": fcmCredentials(f.URL)}
	}
	smsCfg := map[string]any{"provider": sms,
		"twilio": map[string]any{"base_url": f.URL, "account_sid": twilioSID, "auth_token": twilioToken, "from": "+15550009999"},
		"vonage": map[string]any{"base_url": f.URL, "api_key": vonageKey, "api_secret": vonageSecret, "from": "jobd"},
		"plivo":  map[string]any{"base_url": f.URL, "auth_id": plivoID, "auth_token": plivoToken, "from": "+15550009999"}}
	cfg := map[string]any{"push": pushCfg, "sms": smsCfg}
	for i := 0; i+1 < len(extra); i += 2 {
		var v any
		if err := json.Unmarshal([]byte(extra[i+1]), &v); err != nil {
			panic(err)
		}
		cfg[extra[i]] = v
	}
	b, _ := json.Marshal(cfg)
	return string(b)
}

// clock is a settable clock for the plugin.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
