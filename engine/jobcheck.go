package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jobd-dev/jobd/engine/internal/config"
	"github.com/jobd-dev/jobd/sdk/host"
)

// jobValidateTimeout bounds one plugin's answer about one job.
const jobValidateTimeout = 10 * time.Second

// jobValidator is a running plugin that can check jobs (a *host.Plugin or
// a dispatch pool).
type jobValidator interface {
	ValidateJob(ctx context.Context, kind, event string, input []byte) ([]string, error)
}

// validateJobs asks a kind's plugin to check each job of that kind (its
// target and static input) and adds what it finds to ps, under the job's
// path. A plugin that does not check jobs is skipped.
func validateJobs(ctx context.Context, ps *config.Problems, cfg *config.Config, kind string, v jobValidator) {
	for i := range cfg.Jobs {
		j := &cfg.Jobs[i]
		if j.Kind != kind {
			continue
		}
		input, err := json.Marshal(j.Input)
		if err != nil || j.Input == nil {
			input = []byte("{}")
		}
		cctx, cancel := context.WithTimeout(ctx, jobValidateTimeout)
		problems, err := v.ValidateJob(cctx, kind, j.Event, input)
		cancel()
		if errors.Is(err, host.ErrValidateUnsupported) {
			return // the plugin does not check jobs: skip its kind
		}
		path := config.JobPath(i, j.Event)
		file := cfg.File
		if j.Source != "" {
			file = j.Source // a job from jobs_dir is blamed on its file
		}
		if err != nil {
			ps.AddProblem(config.Problem{File: file, Path: path, Msg: fmt.Sprintf("plugin %s could not check the job: %v", kind, err)})
			continue
		}
		for _, p := range problems {
			ps.AddProblem(config.Problem{File: file, Path: path, Msg: fmt.Sprintf("plugin %s: %s", kind, p)})
		}
	}
}
