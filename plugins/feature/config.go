package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jobd-dev/jobd/sdk"
)

// SubjectDefault is the subject a feature's event is published on when
// subject is not set; TagPlaceholder is replaced by the feature's tag.
const SubjectDefault = "features." + TagPlaceholder

// TagPlaceholder stands for the feature's tag (the job's event) in a
// subject.
const TagPlaceholder = "{tag}"

// Config is the plugin's [plugins.feature.config] block. Any string in it
// may be written "$Secret{KEY}": jobd resolves it before the plugin sees it.
type Config struct {
	// Subject is the subject of every feature's event, with "{tag}"
	// replaced by the feature's tag. Defaults to SubjectDefault.
	Subject string `json:"subject"`
	// Features override the subject per feature tag.
	Features map[string]FeatureConfig `json:"features"`
}

// FeatureConfig is a [plugins.feature.config.features.<tag>] table.
type FeatureConfig struct {
	// Subject is this feature's subject ("{tag}" is replaced too).
	// Defaults to the top-level subject.
	Subject string `json:"subject"`
}

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
	if cfg.Subject == "" {
		cfg.Subject = SubjectDefault
	}
	var errs []error
	if err := checkSubject(cfg.Subject); err != nil { // "{tag}" is a valid token
		errs = append(errs, fmt.Errorf("subject: %w", err))
	}
	for _, tag := range slices.Sorted(maps.Keys(cfg.Features)) {
		key := "features." + tag
		if err := checkSubject(tag); err != nil {
			errs = append(errs, fmt.Errorf("%s: the tag makes no valid subject: %w", key, err))
		}
		if s := cfg.Features[tag].Subject; s != "" {
			if err := checkSubject(strings.ReplaceAll(s, TagPlaceholder, tag)); err != nil {
				errs = append(errs, fmt.Errorf("%s.subject: %w", key, err))
			}
		}
	}
	return cfg, errors.Join(errs...)
}

// subject is the subject the feature tag's event is published on.
func (c Config) subject(tag string) string {
	s := c.Subject
	if f, ok := c.Features[tag]; ok && f.Subject != "" {
		s = f.Subject
	}
	return strings.ReplaceAll(s, TagPlaceholder, tag)
}

// checkSubject accepts a subject one can publish on: dot-separated,
// non-empty tokens without spaces or the wildcards * and >.
func checkSubject(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty", ErrInvalidSubject)
	}
	for tok := range strings.SplitSeq(s, ".") {
		switch {
		case tok == "":
			return fmt.Errorf("%w %q: empty token", ErrInvalidSubject, s)
		case tok == "*" || tok == ">":
			return fmt.Errorf("%w %q: wildcards cannot be published to", ErrInvalidSubject, s)
		case strings.ContainsAny(tok, " \t\r\n\x00"):
			return fmt.Errorf("%w %q: contains white space", ErrInvalidSubject, s)
		}
	}
	return nil
}
