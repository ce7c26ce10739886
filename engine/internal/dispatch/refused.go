package dispatch

import (
	"errors"
	"io/fs"
	"time"

	"github.com/jobd-dev/jobd/sdk/host"
)

// Refused reports whether a plugin start failed for a reason that starting
// it again cannot mend: its executable does not match the sha256 pin, it
// speaks another API version, it does not serve the kind, or it is not
// there. Runs of its kind then fail at once with class no_plugin and the
// reason, rather than waiting out their retries as if it had crashed.
func Refused(err error) bool {
	return errors.Is(err, host.ErrPinMismatch) || errors.Is(err, host.ErrAPIVersion) ||
		errors.Is(err, host.ErrKind) || errors.Is(err, fs.ErrNotExist)
}

// refusedRecheck is how long a refused plugin's jobs are answered without
// trying to start it again (someone may install the right binary).
const refusedRecheck = RestartMaxDefault

// stillRefused returns the refusal to answer jobs with, without starting
// the plugin, when it was refused less than refusedRecheck ago.
func (p *Pool) stillRefused() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refused != nil && time.Since(p.refusedAt) < refusedRecheck {
		return p.refused
	}
	return nil
}

// setRefused records a start's error: a refusal, or nil after a start that
// was not refused.
func (p *Pool) setRefused(err error) {
	if err != nil && !Refused(err) {
		return
	}
	p.refused = err
	p.refusedAt = time.Now()
}

// noPlugin is the answer to a job whose plugin was refused.
func noPlugin(kind string, err error) host.Result {
	return host.Result{Outcome: host.Permanent, NoPlugin: true, Error: "plugin " + kind + " refused: " + err.Error()}
}
