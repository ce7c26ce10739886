package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/jobd-dev/jobd/sdk"
)

// Version is the plugin's version.
const Version = "0.1.0"

//go:embed sample.conf
var sampleConfig string

//go:embed schema.json
var inputSchema []byte

// Plugin is the db_action plugin: it runs named SQL statements
// ("database_tag:action_tag") against PostgreSQL, MySQL/MariaDB and SQLite,
// with every placeholder bound as a parameter. The zero value is ready for
// Configure.
type Plugin struct {
	// log receives Configure's warnings; stderr (which go-plugin forwards
	// to jobd) when nil.
	log *slog.Logger

	mu  sync.RWMutex
	dbs map[string]*database
}

// Info describes the plugin.
func (p *Plugin) Info() sdk.Info {
	return sdk.Info{
		Name:         "db_action",
		Version:      Version,
		Kinds:        []string{"db_action"},
		Description:  "Runs named SQL statements (database_tag:action_tag) on PostgreSQL, MySQL/MariaDB and SQLite, placeholders bound as parameters.",
		InputSchema:  json.RawMessage(inputSchema),
		SampleConfig: sampleConfig,
	}
}

// Configure decodes the configuration strictly, parses every action's SQL,
// opens one pool per database, pings each and runs its init statements.
// Configuration and SQL errors refuse the plugin; a database that does not
// answer is only logged, and its jobs retry until it does.
func (p *Plugin) Configure(ctx context.Context, req *sdk.ConfigureRequest) error {
	cfg, err := decodeConfig(req.Config)
	if err != nil {
		return fmt.Errorf("db_action config: %w", err)
	}
	actions, err := compile(cfg)
	if err != nil {
		return fmt.Errorf("db_action config: %w", err)
	}
	log := p.logger()
	dbs := map[string]*database{}
	var errs []error
	for _, tag := range slices.Sorted(maps.Keys(cfg.Databases)) {
		d, err := openDatabase(tag, cfg.Databases[tag], actions[tag], req.DataDir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		dbs[tag] = d
	}
	if len(errs) == 0 {
		for _, tag := range slices.Sorted(maps.Keys(dbs)) {
			if err := dbs[tag].start(ctx, log); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		closeAll(dbs)
		return fmt.Errorf("db_action config: %w", errors.Join(errs...))
	}
	p.mu.Lock()
	old := p.dbs
	p.dbs = dbs
	p.mu.Unlock()
	closeAll(old)
	return nil
}

// Close closes every database pool. Handle fails after Close until the
// next Configure.
func (p *Plugin) Close() error {
	p.mu.Lock()
	old := p.dbs
	p.dbs = nil
	p.mu.Unlock()
	closeAll(old)
	return nil
}

func closeAll(dbs map[string]*database) {
	for _, d := range dbs {
		_ = d.db.Close()
	}
}

// Handle runs the job's action (its event, or the input's "action") with
// the placeholders bound from the input's data and filter.
func (p *Plugin) Handle(ctx context.Context, job *sdk.Job) (*sdk.Result, error) {
	p.mu.RLock()
	dbs := p.dbs
	p.mu.RUnlock()
	if dbs == nil {
		return nil, ErrNotConfigured
	}
	in, err := parseInput(job.Input)
	if err != nil {
		return nil, err
	}
	ref := job.Event
	if in.Action != "" {
		ref = in.Action
	}
	d, a, err := resolve(dbs, ref)
	if err != nil {
		return nil, err
	}
	key := job.IdempotencyKey
	if key == "" {
		key = job.RunID
	}
	args, err := bindArgs(a.stmt, in, jobValues{idempotencyKey: key, runID: job.RunID, jobID: job.ID})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.ref, err)
	}
	if err := d.runInit(ctx); err != nil {
		return nil, err
	}
	out, err := a.run(ctx, d.db, args)
	if err != nil {
		return nil, classify(describeFailure(a.ref, err))
	}
	return &sdk.Result{Output: out}, nil
}

// resolve finds the database and action "database_tag:action_tag" names.
func resolve(dbs map[string]*database, ref string) (*database, *action, error) {
	dbTag, actTag, ok := strings.Cut(ref, ":")
	if !ok || dbTag == "" || actTag == "" {
		return nil, nil, sdk.Permanent(fmt.Errorf("%w %q: want \"database_tag:action_tag\"", ErrUnknownAction, ref))
	}
	d, ok := dbs[dbTag]
	if !ok {
		return nil, nil, sdk.Permanent(fmt.Errorf("%w %q: no database %q (configured: %s)", ErrUnknownAction, ref, dbTag, known(dbs)))
	}
	a, ok := d.actions[actTag]
	if !ok {
		return nil, nil, sdk.Permanent(fmt.Errorf("%w %q: database %q has no action %q (configured: %s)", ErrUnknownAction, ref, dbTag, actTag, known(d.actions)))
	}
	return d, a, nil
}

func known[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}

func (p *Plugin) logger() *slog.Logger {
	if p.log != nil {
		return p.log
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, nil))
}
