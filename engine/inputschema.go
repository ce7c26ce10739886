package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/jobd-dev/jobd/engine/internal/config"
)

// checkInputs checks the input of every job of a kind against the JSON
// Schema its plugin declares. Values piped from events ("$Input{…}") are
// not known until a run, so problems at a piped string are left to run
// time; everything written literally (required fields, unknown fields,
// literal types) is checked now.
func checkInputs(ps *config.Problems, cfg *config.Config, kind string, schema []byte) {
	if len(bytes.TrimSpace(schema)) == 0 {
		return
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		ps.Add("plugins."+kind, "the plugin's input schema is not JSON: %v", err)
		return
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("input.json", doc); err != nil {
		ps.Add("plugins."+kind, "the plugin's input schema: %v", err)
		return
	}
	sch, err := c.Compile("input.json")
	if err != nil {
		ps.Add("plugins."+kind, "the plugin's input schema does not compile: %v", err)
		return
	}
	printer := message.NewPrinter(language.English)
	for i, j := range cfg.Jobs {
		if j.Kind != kind {
			continue
		}
		raw, err := json.Marshal(j.Input)
		if err != nil {
			continue
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			continue
		}
		verr, ok := sch.Validate(inst).(*jsonschema.ValidationError)
		if !ok {
			continue
		}
		seen := map[string]bool{}
		for _, leaf := range leaves(verr) {
			if piped(inst, leaf.InstanceLocation) {
				continue
			}
			path := config.JobPath(i, j.Event) + ".input"
			for _, seg := range leaf.InstanceLocation {
				path += "." + seg
			}
			msg := leaf.ErrorKind.LocalizedString(printer)
			if key := path + msg; !seen[key] {
				seen[key] = true
				ps.Add(path, "%s (input schema of %s)", msg, kind)
			}
		}
	}
}

// leaves returns the innermost errors, which name the failing value.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// piped reports whether the value at loc is, or sits inside, a string that
// pipes data.
func piped(v any, loc []string) bool {
	for _, seg := range loc {
		if s, ok := v.(string); ok {
			return strings.Contains(s, "$")
		}
		switch x := v.(type) {
		case map[string]any:
			v = x[seg]
		case []any:
			var i int
			if _, err := fmt.Sscan(seg, &i); err != nil || i < 0 || i >= len(x) {
				return false
			}
			v = x[i]
		default:
			return false
		}
	}
	s, ok := v.(string)
	return ok && strings.Contains(s, "$")
}
