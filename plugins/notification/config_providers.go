package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Defaults of the push and SMS providers, applied by [Config.withDefaults].
const (
	// ExpoBaseURLDefault is the Expo push API's address.
	ExpoBaseURLDefault = "https://exp.host"
	// FCMBaseURLDefault is the Firebase Cloud Messaging HTTP v1 API's address.
	FCMBaseURLDefault = "https://fcm.googleapis.com"
	// FCMTokenURLDefault is Google's OAuth2 token endpoint, used when the
	// service account's credentials name none.
	FCMTokenURLDefault = "https://oauth2.googleapis.com/token"
	// TwilioBaseURLDefault is Twilio's REST API address.
	TwilioBaseURLDefault = "https://api.twilio.com"
	// VonageBaseURLDefault is Vonage's (Nexmo's) SMS API address.
	VonageBaseURLDefault = "https://rest.nexmo.com"
	// PlivoBaseURLDefault is Plivo's REST API address.
	PlivoBaseURLDefault = "https://api.plivo.com"
	// ProviderTimeoutDefault bounds one request to a push or SMS provider.
	ProviderTimeoutDefault = 10 * time.Second
)

// Push and SMS providers.
const (
	// ProviderExpo is Expo's push service.
	ProviderExpo = "expo"
	// ProviderFCM is Firebase Cloud Messaging (HTTP v1 API).
	ProviderFCM = "fcm"
	// ProviderTwilio is Twilio's Programmable Messaging.
	ProviderTwilio = "twilio"
	// ProviderVonage is Vonage's (formerly Nexmo) SMS API.
	ProviderVonage = "vonage"
	// ProviderPlivo is Plivo's Message API.
	ProviderPlivo = "plivo"
)

// PushConfig is the [plugins.notification.config.push] table.
type PushConfig struct {
	// Provider is "expo" or "fcm"; empty leaves the push channel off (it
	// then fails permanently).
	Provider string `json:"provider"`
	// Timeout bounds one request to the provider. Defaults to
	// ProviderTimeoutDefault.
	Timeout Duration `json:"timeout"`
	// Expo configures provider "expo".
	Expo ExpoConfig `json:"expo"`
	// FCM configures provider "fcm".
	FCM FCMConfig `json:"fcm"`
}

// ExpoConfig is the [plugins.notification.config.push.expo] table.
type ExpoConfig struct {
	// BaseURL is the API's address. Defaults to ExpoBaseURLDefault.
	BaseURL string `json:"base_url"`
	// AccessToken is sent as a Bearer token when set (Expo's "enhanced
	// push security").
	AccessToken string `json:"access_token"`
}

// FCMConfig is the [plugins.notification.config.push.fcm] table.
type FCMConfig struct {
	// BaseURL is the API's address. Defaults to FCMBaseURLDefault.
	BaseURL string `json:"base_url"`
	// ProjectID is the Firebase project. Defaults to the credentials'
	// project_id.
	ProjectID string `json:"project_id"`
	// CredentialsFile is a service account's JSON key file.
	CredentialsFile string `json:"credentials_file"`
	// CredentialsJSON is the service account's JSON key itself (instead of
	// CredentialsFile).
	CredentialsJSON string `json:"credentials_json"`
	// TokenURL overrides the OAuth2 token endpoint. Defaults to the
	// credentials' token_uri, else FCMTokenURLDefault.
	TokenURL string `json:"token_url"`
}

// SMSConfig is the [plugins.notification.config.sms] table.
type SMSConfig struct {
	// Provider is "twilio", "vonage" or "plivo"; empty leaves the SMS
	// channel off (it then fails permanently).
	Provider string `json:"provider"`
	// Timeout bounds one request to the provider. Defaults to
	// ProviderTimeoutDefault.
	Timeout Duration `json:"timeout"`
	// Twilio configures provider "twilio".
	Twilio TwilioConfig `json:"twilio"`
	// Vonage configures provider "vonage".
	Vonage VonageConfig `json:"vonage"`
	// Plivo configures provider "plivo".
	Plivo PlivoConfig `json:"plivo"`
}

// TwilioConfig is the [plugins.notification.config.sms.twilio] table.
type TwilioConfig struct {
	// BaseURL is the API's address. Defaults to TwilioBaseURLDefault.
	BaseURL string `json:"base_url"`
	// AccountSID is the account ("AC..."), the basic-auth user.
	AccountSID string `json:"account_sid"`
	// AuthToken is the basic-auth password.
	AuthToken string `json:"auth_token"`
	// From is the sender: a Twilio number in E.164 form or an alphanumeric
	// sender id.
	From string `json:"from"`
	// MessagingServiceSID ("MG...") sends through a messaging service
	// instead of From.
	MessagingServiceSID string `json:"messaging_service_sid"`
}

// VonageConfig is the [plugins.notification.config.sms.vonage] table.
type VonageConfig struct {
	// BaseURL is the API's address. Defaults to VonageBaseURLDefault.
	BaseURL string `json:"base_url"`
	// APIKey and APISecret are the account's credentials.
	APIKey    string `json:"api_key"`
	APISecret string `json:"api_secret"`
	// From is the sender: a number or an alphanumeric sender id.
	From string `json:"from"`
}

// PlivoConfig is the [plugins.notification.config.sms.plivo] table.
type PlivoConfig struct {
	// BaseURL is the API's address. Defaults to PlivoBaseURLDefault.
	BaseURL string `json:"base_url"`
	// AuthID and AuthToken are the basic-auth credentials.
	AuthID    string `json:"auth_id"`
	AuthToken string `json:"auth_token"`
	// From is the sender (Plivo's src): a number or a sender id.
	From string `json:"from"`
}

// withDefaults sets the unset base URLs and timeouts.
func (c PushConfig) withDefaults() PushConfig {
	c.Provider = strings.ToLower(strings.TrimSpace(c.Provider))
	if c.Timeout == 0 {
		c.Timeout = Duration(ProviderTimeoutDefault)
	}
	c.Expo.BaseURL = orDefault(c.Expo.BaseURL, ExpoBaseURLDefault)
	c.FCM.BaseURL = orDefault(c.FCM.BaseURL, FCMBaseURLDefault)
	return c
}

// withDefaults sets the unset base URLs and timeouts.
func (c SMSConfig) withDefaults() SMSConfig {
	c.Provider = strings.ToLower(strings.TrimSpace(c.Provider))
	if c.Timeout == 0 {
		c.Timeout = Duration(ProviderTimeoutDefault)
	}
	c.Twilio.BaseURL = orDefault(c.Twilio.BaseURL, TwilioBaseURLDefault)
	c.Vonage.BaseURL = orDefault(c.Vonage.BaseURL, VonageBaseURLDefault)
	c.Plivo.BaseURL = orDefault(c.Plivo.BaseURL, PlivoBaseURLDefault)
	return c
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return strings.TrimRight(v, "/")
}

// validate appends a problem per invalid field, named by its key path. The
// selected provider's credentials are required; the others' tables may stay
// empty.
func (c PushConfig) validate(bad func(key, format string, args ...any)) {
	checkBaseURL(bad, "push.expo.base_url", c.Expo.BaseURL)
	checkBaseURL(bad, "push.fcm.base_url", c.FCM.BaseURL)
	if c.FCM.TokenURL != "" {
		checkBaseURL(bad, "push.fcm.token_url", c.FCM.TokenURL)
	}
	if c.FCM.CredentialsFile != "" && c.FCM.CredentialsJSON != "" {
		bad("push.fcm.credentials_json", "give credentials_file or credentials_json, not both")
	}
	switch c.Provider {
	case "", ProviderExpo:
	case ProviderFCM:
		if c.FCM.CredentialsFile == "" && c.FCM.CredentialsJSON == "" {
			bad("push.fcm.credentials_file", "required when push.provider is %q (or push.fcm.credentials_json)", ProviderFCM)
		}
	default:
		bad("push.provider", "want %q or %q, got %q", ProviderExpo, ProviderFCM, c.Provider)
	}
}

// validate appends a problem per invalid field, named by its key path.
func (c SMSConfig) validate(bad func(key, format string, args ...any)) {
	checkBaseURL(bad, "sms.twilio.base_url", c.Twilio.BaseURL)
	checkBaseURL(bad, "sms.vonage.base_url", c.Vonage.BaseURL)
	checkBaseURL(bad, "sms.plivo.base_url", c.Plivo.BaseURL)
	need := func(key, v string) {
		if strings.TrimSpace(v) == "" {
			bad("sms."+key, "required when sms.provider is %q", c.Provider)
		}
	}
	switch c.Provider {
	case "":
	case ProviderTwilio:
		need("twilio.account_sid", c.Twilio.AccountSID)
		need("twilio.auth_token", c.Twilio.AuthToken)
		if c.Twilio.From == "" && c.Twilio.MessagingServiceSID == "" {
			bad("sms.twilio.from", "required when sms.provider is %q (or sms.twilio.messaging_service_sid)", c.Provider)
		}
	case ProviderVonage:
		need("vonage.api_key", c.Vonage.APIKey)
		need("vonage.api_secret", c.Vonage.APISecret)
		need("vonage.from", c.Vonage.From)
	case ProviderPlivo:
		need("plivo.auth_id", c.Plivo.AuthID)
		need("plivo.auth_token", c.Plivo.AuthToken)
		need("plivo.from", c.Plivo.From)
	default:
		bad("sms.provider", "want %q, %q or %q, got %q", ProviderTwilio, ProviderVonage, ProviderPlivo, c.Provider)
	}
}

// checkBaseURL reports a base URL that is not an absolute http(s) URL.
func checkBaseURL(bad func(key, format string, args ...any), key, v string) {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		bad(key, "%v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		bad(key, "want an http or https URL, got %q", v)
	case u.Host == "":
		bad(key, "no host in %q", v)
	}
}

// credentials returns the FCM service account's JSON key, from the file or
// the inline value.
func (c FCMConfig) credentials() ([]byte, error) {
	if c.CredentialsJSON != "" {
		return []byte(c.CredentialsJSON), nil
	}
	b, err := os.ReadFile(c.CredentialsFile)
	if err != nil {
		return nil, fmt.Errorf("push.fcm.credentials_file: %w", err)
	}
	return b, nil
}
