package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// outbox is the laptop transport: one .eml file per message in a folder,
// named from the run's idempotency key so a retry never adds a second file.
type outbox struct {
	// dir is the outbox folder.
	dir string
	// base is the folder reported paths are relative to (the data folder).
	base string
}

// newOutbox creates the outbox folder.
func newOutbox(dir, base string) (*outbox, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create outbox: %w", err)
	}
	return &outbox{dir: dir, base: base}, nil
}

// fileName is the run's file in the outbox.
func (o *outbox) fileName(key string) string {
	return filepath.Join(o.dir, sanitizeToken(key)+".eml")
}

// deliver writes msg as the run's file, atomically (a temporary file renamed
// into place), unless an earlier attempt of the run already wrote it. It
// returns the file's path relative to the data folder when it can. Errors
// are retryable: a full disk or a permission may be fixed.
func (o *outbox) deliver(key string, msg []byte) (file string, existed bool, err error) {
	path := o.fileName(key)
	file = path
	if rel, rerr := filepath.Rel(o.base, path); rerr == nil && o.base != "" {
		file = filepath.ToSlash(rel)
	}
	if _, err := os.Stat(path); err == nil {
		return file, true, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return file, false, fmt.Errorf("outbox: %w", err)
	}
	if err := writeAtomic(path, msg); err != nil {
		return file, false, fmt.Errorf("outbox: %w", err)
	}
	return file, false, nil
}

// writeAtomic writes data to path through a temporary file in the same
// folder, synced before the rename, so readers never see half a message.
func writeAtomic(path string, data []byte) (err error) {
	// The temporary name does not end in .eml, so nothing watching the outbox
	// for *.eml (or globbing it) sees a half-written message.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.partial")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err = tmp.Chmod(0o640); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename to %s: %w", path, err)
	}
	return nil
}
