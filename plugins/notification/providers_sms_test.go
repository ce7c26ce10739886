package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// twilio answers like Twilio's Messages resource.
func (f *fakeProviders) twilio(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != twilioSID || pass != twilioToken || r.PathValue("sid") != twilioSID {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 20003, "message": "Authenticate",
			"more_info": "https://www.twilio.com/docs/errors/20003", "status": 401})
		return
	}
	form, _ := f.readBody(r, "application/x-www-form-urlencoded")
	f.checkKeys("twilio form", formMap(form), []string{"To", "Body"}, "From", "MessagingServiceSid")
	f.record(providerCall{path: r.URL.Path, form: form, auth: r.Header.Get("Authorization")})
	switch to := form.Get("To"); to {
	case phoneInvalid:
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": 21211, "message": fmt.Sprintf("Invalid 'To' Phone Number: %s", to),
			"more_info": "https://www.twilio.com/docs/errors/21211", "status": 400})
	case phoneThrottled:
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 20429, "message": "Too Many Requests",
			"more_info": "https://www.twilio.com/docs/errors/20429", "status": 429})
	case phoneDown:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"code": 20500, "message": "Internal Server Error", "status": 500})
	default:
		writeJSON(w, http.StatusCreated, map[string]any{"sid": id("SM", to+form.Get("Body")), "account_sid": twilioSID,
			"to": to, "from": form.Get("From"), "body": form.Get("Body"), "status": "queued", "num_segments": "1",
			"api_version": "2010-04-01", "error_code": nil, "error_message": nil})
	}
}

// vonage answers like https://rest.nexmo.com/sms/json (200 even for errors).
func (f *fakeProviders) vonage(w http.ResponseWriter, r *http.Request) {
	form, _ := f.readBody(r, "application/x-www-form-urlencoded")
	f.checkKeys("vonage form", formMap(form), []string{"api_key", "api_secret", "from", "to", "text"}, "type")
	if form.Get("api_key") != vonageKey || form.Get("api_secret") != vonageSecret {
		writeJSON(w, http.StatusOK, map[string]any{"message-count": "1", "messages": []any{map[string]string{"status": "4", "error-text": "Bad Credentials"}}})
		return
	}
	to := form.Get("to")
	if strings.HasPrefix(to, "+") {
		f.t.Errorf("vonage: to %q, want digits without +", to)
	}
	f.record(providerCall{path: r.URL.Path, form: form})
	var m map[string]string
	switch "+" + to {
	case phoneInvalid:
		m = map[string]string{"status": "3", "error-text": "Invalid Message: to address is not numeric"}
	case phoneThrottled:
		m = map[string]string{"status": "1", "error-text": "Throughput Rate Exceeded - please wait [ 20 ] and retry"}
	case phoneDown:
		w.WriteHeader(http.StatusInternalServerError)
		return
	default:
		m = map[string]string{"to": to, "message-id": strings.ToUpper(id("", to+form.Get("text"))), "status": "0",
			"remaining-balance": "3.14159265", "message-price": "0.03330000", "network": "12345"}
	}
	writeJSON(w, http.StatusOK, map[string]any{"message-count": "1", "messages": []any{m}})
}

// plivo answers like Plivo's Message API.
func (f *fakeProviders) plivo(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != plivoID || pass != plivoToken || r.PathValue("id") != plivoID {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"api_id": "a1", "error": "Authentication failed"})
		return
	}
	_, body := f.readBody(r, "application/json")
	obj, _ := body.(map[string]any)
	f.checkKeys("plivo body", obj, []string{"src", "dst", "text"})
	f.record(providerCall{path: r.URL.Path, json: body, auth: r.Header.Get("Authorization")})
	switch dst, _ := obj["dst"].(string); dst {
	case phoneInvalid:
		writeJSON(w, http.StatusBadRequest, map[string]any{"api_id": "a2", "error": "dst parameter not valid"})
	case phoneThrottled:
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"api_id": "a3", "error": "too many requests"})
	case phoneDown:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"api_id": "a4", "error": "internal error"})
	default:
		text, _ := obj["text"].(string)
		writeJSON(w, http.StatusAccepted, map[string]any{"api_id": "a5", "message": "message(s) queued",
			"message_uuid": []string{id("", dst+text)}})
	}
}

func formMap(v url.Values) map[string]any {
	out := map[string]any{}
	for k := range v {
		out[k] = v.Get(k)
	}
	return out
}
