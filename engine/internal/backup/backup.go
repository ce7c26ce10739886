// Package backup copies jobd's streams and key-value buckets out of a
// running NATS server (JetStream stream snapshots) into a folder, and back
// into a server that does not have them.
//
// A backup folder holds, per stream, <stream>.json (its configuration and
// state when the snapshot was taken) and <stream>.snapshot (the server's
// snapshot: its files and its consumers' state), plus backup.json naming
// them.
package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Prefixes of the streams that are jobd's: its own streams, and the
// streams under its key-value buckets.
var Prefixes = []string{"JOBD_", "KV_JOBD_"}

// Order is the order streams are snapshotted in: work moves from events to
// runs and timers and on to results, and a run that moves between two
// streams while the backup runs is then in both (it runs again, with the
// same run id) rather than in neither. Streams not named here follow.
var Order = []string{"JOBD_EVENTS", "JOBD_TIMERS", "JOBD_RUNS", "KV_JOBD_JOBS", "JOBD_HISTORY", "JOBD_RESULTS", "JOBD_DLQ"}

// ManifestFile names the streams of a backup folder.
const ManifestFile = "backup.json"

// Manifest is backup.json.
type Manifest struct {
	// Created is when the backup started.
	Created time.Time `json:"created"`
	// Streams in the order they were snapshotted.
	Streams []StreamFile `json:"streams"`
}

// StreamFile is one stream of a backup.
type StreamFile struct {
	Name     string `json:"name"`
	Messages uint64 `json:"messages"`
	Bytes    uint64 `json:"bytes"`
}

// ErrExists means a stream to restore exists already in the server.
var ErrExists = errors.New("stream exists")

// ErrNotEmpty means the backup folder already holds a backup.
var ErrNotEmpty = errors.New("backup folder is not empty")

// Timeout bounds each JetStream API request.
const Timeout = 30 * time.Second

// snapshotRequest and the replies below are the JetStream API's
// ($JS.API.STREAM.SNAPSHOT / RESTORE), which nats.go does not wrap.
type snapshotRequest struct {
	DeliverSubject string `json:"deliver_subject"`
	ChunkSize      int    `json:"chunk_size,omitempty"`
}

type apiError struct {
	Code        int    `json:"code"`
	ErrCode     int    `json:"err_code"`
	Description string `json:"description"`
}

type snapshotReply struct {
	Error  *apiError       `json:"error,omitempty"`
	Config json.RawMessage `json:"config"`
	State  json.RawMessage `json:"state"`
}

// meta is <stream>.json: what a restore sends with the data.
type meta struct {
	Config json.RawMessage `json:"config"`
	State  json.RawMessage `json:"state"`
}

// Streams returns the names of jobd's streams on the server, in Order.
func Streams(ctx context.Context, js jetstream.JetStream) ([]string, error) {
	var names []string
	l := js.StreamNames(ctx)
	for n := range l.Name() {
		for _, p := range Prefixes {
			if strings.HasPrefix(n, p) {
				names = append(names, n)
				break
			}
		}
	}
	if err := l.Err(); err != nil {
		return nil, fmt.Errorf("list streams: %w", err)
	}
	rank := map[string]int{}
	for i, n := range Order {
		rank[n] = i + 1
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := rank[names[i]], rank[names[j]]
		if ri == 0 {
			ri = len(Order) + 1
		}
		if rj == 0 {
			rj = len(Order) + 1
		}
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names, nil
}

// Backup snapshots every jobd stream on nc's server into dir (created if
// needed; it must not hold a backup already). progress, when not nil, is
// told of each stream as it is done.
func Backup(ctx context.Context, nc *nats.Conn, dir string, progress func(StreamFile)) (*Manifest, error) {
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil {
		return nil, fmt.Errorf("%w: %s holds %s", ErrNotEmpty, dir, ManifestFile)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	names, err := Streams(ctx, js)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("no jobd streams on this server: is this jobd's NATS server, and has jobd run on it?")
	}
	m := &Manifest{Created: time.Now().UTC()}
	for _, name := range names {
		sf, err := snapshot(ctx, nc, dir, name)
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", name, err)
		}
		m.Streams = append(m.Streams, sf)
		if progress != nil {
			progress(sf)
		}
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFile(filepath.Join(dir, ManifestFile), b); err != nil {
		return nil, err
	}
	return m, nil
}

// snapshot writes one stream's snapshot into dir.
func snapshot(ctx context.Context, nc *nats.Conn, dir, name string) (StreamFile, error) {
	sf := StreamFile{Name: name}
	inbox := nc.NewInbox()
	chunks := make(chan *nats.Msg, 64) // the server sends at most 32 unanswered chunks of 256 KiB (its 8 MiB window)
	sub, err := nc.ChanSubscribe(inbox, chunks)
	if err != nil {
		return sf, err
	}
	defer sub.Unsubscribe()
	req, _ := json.Marshal(snapshotRequest{DeliverSubject: inbox, ChunkSize: 256 << 10})
	msg, err := request(ctx, nc, "$JS.API.STREAM.SNAPSHOT."+name, req)
	if err != nil {
		return sf, err
	}
	var rep snapshotReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return sf, fmt.Errorf("snapshot reply %q: %w", msg.Data, err)
	}
	if rep.Error != nil {
		return sf, fmt.Errorf("%s (code %d)", rep.Error.Description, rep.Error.ErrCode)
	}
	var state struct {
		Msgs  uint64 `json:"messages"`
		Bytes uint64 `json:"bytes"`
	}
	_ = json.Unmarshal(rep.State, &state)
	sf.Messages, sf.Bytes = state.Msgs, state.Bytes
	metaBytes, _ := json.MarshalIndent(meta{Config: rep.Config, State: rep.State}, "", "  ")
	if err := writeFile(filepath.Join(dir, name+".json"), metaBytes); err != nil {
		return sf, err
	}
	tmp := filepath.Join(dir, name+".snapshot.part")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return sf, err
	}
	defer os.Remove(tmp)
	defer f.Close()
	// The server sends chunks and waits for an answer to each chunk's
	// reply subject before it sends past its window; an empty message ends
	// the snapshot, with a status header when it failed.
	idle := time.NewTimer(Timeout)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return sf, ctx.Err()
		case <-idle.C:
			return sf, fmt.Errorf("no data from the server for %v", Timeout)
		case c := <-chunks:
			idle.Reset(Timeout)
			if len(c.Data) == 0 {
				if st := c.Header.Get("Status"); st != "" && st != "204" {
					return sf, fmt.Errorf("server ended the snapshot with %s %s", st, c.Header.Get("Description"))
				}
				if err := f.Sync(); err != nil {
					return sf, err
				}
				if err := f.Close(); err != nil {
					return sf, err
				}
				return sf, os.Rename(tmp, filepath.Join(dir, name+".snapshot"))
			}
			if _, err := f.Write(c.Data); err != nil {
				return sf, err
			}
			if c.Reply != "" {
				if err := nc.Publish(c.Reply, nil); err != nil {
					return sf, err
				}
			}
		}
	}
}

// Restore loads every stream of the backup in dir into nc's server, which
// must not have any of them (an empty data folder or cluster).
func Restore(ctx context.Context, nc *nats.Conn, dir string, progress func(StreamFile)) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a jobd backup: %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	existing, err := Streams(ctx, js)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, n := range existing {
		have[n] = true
	}
	for _, s := range m.Streams {
		if have[s.Name] {
			return nil, fmt.Errorf("%w: %s is on the server already; restore into an empty data folder or cluster (stop jobd, move its data folder away)", ErrExists, s.Name)
		}
	}
	for _, s := range m.Streams {
		if err := restore(ctx, nc, dir, s.Name); err != nil {
			return nil, fmt.Errorf("restore %s: %w", s.Name, err)
		}
		if progress != nil {
			progress(s)
		}
	}
	return &m, nil
}

func restore(ctx context.Context, nc *nats.Conn, dir, name string) error {
	metaBytes, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(dir, name+".snapshot"))
	if err != nil {
		return err
	}
	defer f.Close()
	msg, err := request(ctx, nc, "$JS.API.STREAM.RESTORE."+name, metaBytes)
	if err != nil {
		return err
	}
	var rep struct {
		Error          *apiError `json:"error,omitempty"`
		DeliverSubject string    `json:"deliver_subject"`
	}
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return fmt.Errorf("restore reply %q: %w", msg.Data, err)
	}
	if rep.Error != nil {
		return fmt.Errorf("%s (code %d)", rep.Error.Description, rep.Error.ErrCode)
	}
	// Each chunk is a request the server answers once it took it; an empty
	// one ends the restore, answered with the stream's info or an error.
	buf := make([]byte, 128<<10)
	for {
		n, rerr := f.Read(buf)
		if n > 0 {
			if _, err := request(ctx, nc, rep.DeliverSubject, buf[:n]); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	end, err := request(ctx, nc, rep.DeliverSubject, nil)
	if err != nil {
		return err
	}
	var done struct {
		Error *apiError `json:"error,omitempty"`
	}
	if err := json.Unmarshal(end.Data, &done); err != nil {
		return fmt.Errorf("restore result %q: %w", end.Data, err)
	}
	if done.Error != nil {
		return fmt.Errorf("%s (code %d)", done.Error.Description, done.Error.ErrCode)
	}
	return nil
}

// request makes one request, bounded by Timeout; the context of the whole
// operation may end it earlier.
func request(ctx context.Context, nc *nats.Conn, subject string, data []byte) (*nats.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	return nc.RequestWithContext(ctx, subject, data)
}

// writeFile writes a small file and syncs it.
func writeFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
