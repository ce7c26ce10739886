// Package jobs keeps the jobs that have a record (scheduled, recurring and
// dispatched ones) in the JOBD_JOBS bucket: it creates a job and the timer
// of its first run, fires each occurrence of a series exactly once and
// stores the next one (advance.go), records how each run ended
// (finish.go), and serves dispatch and the management operations
// (manage.go).
package jobs

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/jonboulle/clockwork"
	json "github.com/segmentio/encoding/json"

	"github.com/jobd-dev/jobd/engine/internal/catalog"
	"github.com/jobd-dev/jobd/engine/internal/jobstore"
	"github.com/jobd-dev/jobd/engine/internal/lograte"
	"github.com/jobd-dev/jobd/engine/internal/run"
	"github.com/jobd-dev/jobd/engine/internal/streams"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// storeTimeout bounds one job-record or timer operation.
const storeTimeout = 10 * time.Second

// Failer ends a run at once with a permanent failure (the run.Executor).
type Failer interface {
	FailNow(ru *run.Run, class, format string, args ...any)
}

// Records keeps job records with compare-and-set (a *jobstore.Store).
type Records interface {
	Create(ctx context.Context, r *wire.Record) error
	Get(ctx context.Context, id string) (*wire.Record, uint64, error)
	Update(ctx context.Context, id string, change func(*wire.Record) error) (*wire.Record, error)
	UpdateAt(ctx context.Context, id string, known *wire.Record, rev uint64, change func(*wire.Record) error) (*wire.Record, uint64, error)
	List(ctx context.Context, f jobstore.Filter) ([]*wire.Record, error)
	AppendHistory(ctx context.Context, id string, e wire.HistoryEntry) error
}

// Timers stores runs due later (a *timers.Store).
type Timers interface {
	Add(ctx context.Context, target, id string, at time.Time, body []byte) error
}

// Options configure a Manager.
type Options struct {
	Catalog *catalog.Catalog
	// Store keeps job records of scheduled, recurring and dispatched jobs.
	Store Records
	// Timers stores runs due later (scheduled occurrences).
	Timers Timers
	// Fail ends runs that cannot go ahead (a start_at that does not
	// resolve, a stored schedule that does not parse).
	Fail Failer
	// Secret resolves $Secret{KEY}; Variables and Constants by app: what a
	// piped start_at reads.
	Secret    func(string) (string, error)
	Variables map[string]map[string]any
	Constants map[string]map[string]any
	// MaxEventDepth is how deeply a dispatch's input and sequence may nest;
	// defaults to config.MaxEventDepthDefault.
	MaxEventDepth int
	Logger        *slog.Logger
	// Clock is the time source of every decision that depends on time.
	// Defaults to the real clock.
	Clock clockwork.Clock
	// Storage, when not nil, is told of failed writes; a storage refusal
	// is not logged per job (see storage.go).
	Storage StorageGate
	// Features starts dispatched features (a *feature.Manager): a dispatch
	// whose event is a feature's tag goes there. Nil without features.
	Features FeatureStarter
}

// FeatureStarter starts a run of a feature with a dispatch request's input
// and sequence, and returns the feature run's id; an input the feature
// cannot use is an error wrapping run.ErrInvalidEvent.
type FeatureStarter interface {
	Dispatch(ctx context.Context, tag string, ev *run.Event) (string, error)
}

// Manager keeps the jobs that have a record: it turns an event or a
// dispatch into a job and the timer of its first run, fires each
// occurrence of a series once (advancing the record with compare-and-set),
// records how each run ended, and serves the management operations
// (cancel, pause, resume, reschedule, retry).
type Manager struct {
	o   Options
	log *slog.Logger

	// logLimit keeps transient failures (a server restarting) to one
	// WARN per cause per interval.
	logLimit lograte.Limiter
}

// New returns a manager.
func New(o Options) *Manager {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	return &Manager{o: o, log: o.Logger}
}

// publishTimer stores rec to run at `at`: as a durable timer, or straight
// on the runs subject when it is due already.
func (r *Manager) publishTimer(ctx context.Context, rec *run.Record, at time.Time) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return r.o.Timers.Add(ctx, streams.RunsSubjectPrefix+rec.Event, timerID(rec), at, body)
}

// timerID names a run's timer. It names the time too: a rescheduled timer
// is a new message, not a duplicate of the one it replaces.
func timerID(rec *run.Record) string {
	return rec.RunID + "/" + strconv.Itoa(rec.Occurrence) + "/" + strconv.Itoa(rec.Attempt) + "/" + strconv.FormatInt(rec.ScheduledAt.UnixMilli(), 10)
}
