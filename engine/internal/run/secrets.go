package run

import (
	"cmp"
	"slices"
)

// Redacted replaces a secret, and every value a template computed from one,
// wherever it appears inside what a run produced: the plugin's output and
// errors, jobd's logs, results, dead letters and job records. Where the
// input itself is shown, a secret reads [secret] (piping.RedactedSecret).
const Redacted = "[redacted]"

// scrubOrder returns the distinct non-empty values of secrets, longest
// first, so that "Bearer S3CR3T" is replaced whole before "S3CR3T" alone.
func scrubOrder(secrets []string) []string {
	out := make([]string, 0, len(secrets))
	for _, s := range secrets {
		if s != "" {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		if c := cmp.Compare(len(b), len(a)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return slices.Compact(out)
}

// taint adds a value the run's template computed from a secret to the
// values scrubbed from what the run produces (piping.Env.Taint).
func (ru *Run) taint(s string) { ru.secrets = append(ru.secrets, s) }

// startSecrets starts a run's scrub set with the secrets resolved into its
// plugin's configuration: an API that echoes a request header puts them in
// the output.
func (r *Executor) startSecrets(ru *Run) {
	ru.secrets = append(ru.secrets, r.o.PluginSecrets[ru.Job.Kind]...)
}

// inputShown is the input as a result shows it: redacted is the template
// evaluated with every secret as [secret]; when that evaluation failed
// (a function of "[secret]" may), the input as sent with every secret and
// derived value replaced by [secret].
func inputShown(sent, redacted []byte, err error, secrets []string) []byte {
	if err == nil {
		return redacted
	}
	return scrubWith(sent, secrets, "[secret]")
}
