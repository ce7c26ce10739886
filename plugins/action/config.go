package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/jobd-dev/jobd/sdk"
)

// Defaults of the configuration, applied by [Config.withDefaults].
const (
	// MaxResponseBytesDefault is how much of a response body the output
	// keeps when max_response_bytes is not set (1 MiB).
	MaxResponseBytesDefault = 1 << 20
	// TimeoutDefault bounds one request when an app sets no timeout.
	TimeoutDefault = 30 * time.Second
	// BodyFormatDefault is an action's body format when not set.
	BodyFormatDefault = FormatJSON
	// AuthTypeDefault is an app's authentication when not set.
	AuthTypeDefault = AuthNone
	// APIKeyInDefault is where an API key goes when auth.in is not set.
	APIKeyInDefault = "header"
)

// Body formats of an action.
const (
	// FormatJSON sends the input's body as JSON (application/json).
	FormatJSON = "json"
	// FormatForm sends the input's body, an object, as an HTML form
	// (application/x-www-form-urlencoded).
	FormatForm = "form"
)

// Authentication types of an app.
const (
	// AuthNone sends no credentials.
	AuthNone = "none"
	// AuthBearer sends "Authorization: Bearer <token>".
	AuthBearer = "bearer"
	// AuthBasic sends HTTP basic authentication.
	AuthBasic = "basic"
	// AuthAPIKey sends a key in a header or a query parameter.
	AuthAPIKey = "api_key"
)

// RetryDefaultKey is the retry rule for every status without its own rule.
const RetryDefaultKey = "default"

// Config is the plugin's [plugins.action.config] block. Any string in it
// may be written "$Secret{KEY}": jobd resolves it before the plugin sees it.
type Config struct {
	// MaxResponseBytes caps the response body kept in the output. Defaults
	// to MaxResponseBytesDefault.
	MaxResponseBytes int64 `json:"max_response_bytes"`
	// Apps are the third-party APIs, by app tag.
	Apps map[string]AppConfig `json:"apps"`
}

// AppConfig is an [plugins.action.config.apps.<app>] table.
type AppConfig struct {
	// BaseURL is the API's address; each action's path is appended to it.
	// Required.
	BaseURL string `json:"base_url"`
	// Headers are sent with every request of the app; an action's headers
	// and the input's win.
	Headers map[string]string `json:"headers"`
	// Timeout bounds one request. Defaults to TimeoutDefault.
	Timeout Duration `json:"timeout"`
	// MaxResponseBytes overrides the top-level max_response_bytes.
	MaxResponseBytes int64 `json:"max_response_bytes"`
	// ResponseHeaders lists the response headers copied to the output.
	// Defaults to all of them.
	ResponseHeaders []string `json:"response_headers"`
	// Auth is the app's authentication. Defaults to none.
	Auth AuthConfig `json:"auth"`
	// Retry is the retry policy by HTTP status ("404") or "default".
	Retry map[string]RetryRule `json:"retry"`
	// Actions are the app's calls, by action tag.
	Actions map[string]ActionConfig `json:"actions"`
}

// AuthConfig is an [plugins.action.config.apps.<app>.auth] table.
type AuthConfig struct {
	// Type is "none", "bearer", "basic" or "api_key". Defaults to
	// AuthTypeDefault.
	Type string `json:"type"`
	// Token is the bearer token (type "bearer").
	Token string `json:"token"`
	// Username is the basic-auth user (type "basic").
	Username string `json:"username"`
	// Password is the basic-auth password (type "basic").
	Password string `json:"password"`
	// Name is the API key's header or query parameter (type "api_key").
	Name string `json:"name"`
	// Value is the API key (type "api_key").
	Value string `json:"value"`
	// In is "header" or "query" (type "api_key"). Defaults to
	// APIKeyInDefault.
	In string `json:"in"`
}

// RetryRule is an [plugins.action.config.apps.<app>.retry.<status>] table.
type RetryRule struct {
	// Retry tells whether a job answered with the status is retried.
	// Defaults to the built-in rule: true for 429 and 5xx, false otherwise.
	Retry *bool `json:"retry"`
	// After is the delay before the next attempt when the answer has no
	// Retry-After header. Defaults to jobd's backoff.
	After Duration `json:"after"`
}

// ActionConfig is an [plugins.action.config.apps.<app>.actions.<action>]
// table.
type ActionConfig struct {
	// Method is the HTTP method, such as "POST". Required.
	Method string `json:"method"`
	// Path is appended to the app's base_url; ":name" segments are filled
	// from the input's params. It may hold a fixed query. Required.
	Path string `json:"path"`
	// BodyFormat is "json" or "form". Defaults to BodyFormatDefault.
	BodyFormat string `json:"body_format"`
	// Headers are sent with the action's requests, over the app's.
	Headers map[string]string `json:"headers"`
	// Timeout overrides the app's timeout.
	Timeout Duration `json:"timeout"`
	// ResponseHeaders overrides the app's response_headers.
	ResponseHeaders []string `json:"response_headers"`
	// Description is for people.
	Description string `json:"description"`
}

// Duration is a duration written as a string such as "30s" (sdk.Duration).
type Duration = sdk.Duration

// decodeConfig decodes raw strictly (every unknown key is reported, with
// its path), applies the defaults and reports every invalid value at once.
func decodeConfig(raw json.RawMessage) (Config, error) {
	var cfg Config
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	if err := sdk.DecodeStrict("", raw, &cfg); err != nil {
		return cfg, err
	}
	cfg = cfg.withDefaults()
	return cfg, cfg.validate()
}

// withDefaults returns a copy of c with every unset field at its default.
func (c Config) withDefaults() Config {
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = MaxResponseBytesDefault
	}
	apps := make(map[string]AppConfig, len(c.Apps))
	for tag, a := range c.Apps {
		if a.Timeout == 0 {
			a.Timeout = Duration(TimeoutDefault)
		}
		if a.MaxResponseBytes == 0 {
			a.MaxResponseBytes = c.MaxResponseBytes
		}
		if a.Auth.Type == "" {
			a.Auth.Type = AuthTypeDefault
		}
		if a.Auth.Type == AuthAPIKey && a.Auth.In == "" {
			a.Auth.In = APIKeyInDefault
		}
		actions := make(map[string]ActionConfig, len(a.Actions))
		for name, act := range a.Actions {
			act.Method = strings.ToUpper(act.Method)
			if act.Path != "" && !strings.HasPrefix(act.Path, "/") {
				act.Path = "/" + act.Path
			}
			if act.BodyFormat == "" {
				act.BodyFormat = BodyFormatDefault
			}
			if act.Timeout == 0 {
				act.Timeout = a.Timeout
			}
			if act.ResponseHeaders == nil {
				act.ResponseHeaders = a.ResponseHeaders
			}
			actions[name] = act
		}
		a.Actions = actions
		apps[tag] = a
	}
	c.Apps = apps
	return c
}

// validate reports every invalid field at once, each named by its key path.
func (c Config) validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.MaxResponseBytes < 0 {
		bad("max_response_bytes", "%d is negative", c.MaxResponseBytes)
	}
	for _, tag := range slices.Sorted(maps.Keys(c.Apps)) {
		c.Apps[tag].validate("apps."+tag, bad)
	}
	return errors.Join(errs...)
}

func (a AppConfig) validate(key string, bad func(key, format string, args ...any)) {
	tag := strings.TrimPrefix(key, "apps.")
	if tag == "" || strings.Contains(tag, ":") {
		bad(key, "an app tag must be non-empty and without \":\"")
	}
	u, err := url.Parse(a.BaseURL)
	switch {
	case a.BaseURL == "":
		bad(key+".base_url", "required")
	case err != nil:
		bad(key+".base_url", "%v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		bad(key+".base_url", "want an http or https URL, got %q", a.BaseURL)
	case u.Host == "":
		bad(key+".base_url", "no host in %q", a.BaseURL)
	case u.RawQuery != "" || u.Fragment != "":
		bad(key+".base_url", "no query or fragment allowed (put a fixed query in an action's path)")
	}
	if a.MaxResponseBytes < 0 {
		bad(key+".max_response_bytes", "%d is negative", a.MaxResponseBytes)
	}
	validateHeaders(key+".headers", a.Headers, bad)
	validateHeaderNames(key+".response_headers", a.ResponseHeaders, bad)
	a.Auth.validate(key+".auth", bad)
	for _, s := range slices.Sorted(maps.Keys(a.Retry)) {
		a.Retry[s].validate(key+".retry."+s, s, bad)
	}
	if len(a.Actions) == 0 {
		bad(key+".actions", "the app has no action")
	}
	for _, name := range slices.Sorted(maps.Keys(a.Actions)) {
		a.Actions[name].validate(key+".actions."+name, bad)
	}
}

func (r RetryRule) validate(key, status string, bad func(key, format string, args ...any)) {
	code := 0
	if status != RetryDefaultKey {
		n, err := strconv.Atoi(status)
		if err != nil || n < 400 || n > 599 {
			bad(key, "want an HTTP status from 400 to 599 or %q", RetryDefaultKey)
			return
		}
		code = n
	}
	if r.After > 0 && r.Retry != nil && !*r.Retry {
		bad(key+".after", "only with retry = true")
	}
	if r.After > 0 && r.Retry == nil && code != 0 && !builtinRetry(code) {
		bad(key+".after", "status %d is not retried by default: set retry = true", code)
	}
}

func (a AuthConfig) validate(key string, bad func(key, format string, args ...any)) {
	// set lists the fields given, so a field of another type is reported.
	set := map[string]bool{"token": a.Token != "", "username": a.Username != "", "password": a.Password != "",
		"name": a.Name != "", "value": a.Value != "", "in": a.In != ""}
	allowed := map[string][]string{AuthNone: nil, AuthBearer: {"token"}, AuthBasic: {"username", "password"}, AuthAPIKey: {"name", "value", "in"}}
	fields, ok := allowed[a.Type]
	if !ok {
		bad(key+".type", "want %q, %q, %q or %q, got %q", AuthNone, AuthBearer, AuthBasic, AuthAPIKey, a.Type)
		return
	}
	for _, f := range slices.Sorted(maps.Keys(set)) {
		if set[f] && !slices.Contains(fields, f) {
			bad(key+"."+f, "not used with type = %q", a.Type)
		}
	}
	switch a.Type {
	case AuthBearer:
		if a.Token == "" {
			bad(key+".token", "required with type = %q", AuthBearer)
		}
	case AuthBasic:
		if a.Username == "" {
			bad(key+".username", "required with type = %q", AuthBasic)
		}
	case AuthAPIKey:
		if a.Name == "" {
			bad(key+".name", "required with type = %q", AuthAPIKey)
		} else if a.In == "header" && !httpguts.ValidHeaderFieldName(a.Name) {
			bad(key+".name", "%q is not a valid header name", a.Name)
		}
		if a.Value == "" {
			bad(key+".value", "required with type = %q", AuthAPIKey)
		} else if !httpguts.ValidHeaderFieldValue(a.Value) {
			bad(key+".value", "not a valid header value")
		}
		if a.In != "header" && a.In != "query" {
			bad(key+".in", "want \"header\" or \"query\", got %q", a.In)
		}
	}
}

func (a ActionConfig) validate(key string, bad func(key, format string, args ...any)) {
	switch {
	case a.Method == "":
		bad(key+".method", "required (GET, POST, PUT, PATCH, DELETE...)")
	case !httpguts.ValidHeaderFieldName(a.Method):
		bad(key+".method", "%q is not an HTTP method", a.Method)
	}
	if a.Path == "" {
		bad(key+".path", "required, such as \"/notes/:id\"")
	} else if u, err := url.Parse(a.Path); err != nil || u.Scheme != "" || u.Host != "" || u.Fragment != "" {
		bad(key+".path", "want a path such as \"/notes/:id\" (with an optional query), got %q", a.Path)
	}
	if a.BodyFormat != FormatJSON && a.BodyFormat != FormatForm {
		bad(key+".body_format", "want %q or %q, got %q", FormatJSON, FormatForm, a.BodyFormat)
	}
	validateHeaders(key+".headers", a.Headers, bad)
	validateHeaderNames(key+".response_headers", a.ResponseHeaders, bad)
}

func validateHeaders(key string, h map[string]string, bad func(key, format string, args ...any)) {
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if err := checkHeader(k, h[k]); err != nil {
			bad(key+"."+k, "%v", err)
		}
	}
}

func validateHeaderNames(key string, names []string, bad func(key, format string, args ...any)) {
	for i, n := range names {
		if !httpguts.ValidHeaderFieldName(n) {
			bad(fmt.Sprintf("%s[%d]", key, i), "%q is not a valid header name", n)
		}
	}
}
