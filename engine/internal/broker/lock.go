package broker

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// LockFile is the file in server.data_dir that jobd locks while it runs.
const LockFile = "jobd.lock"

// ErrDataDirInUse means another jobd holds the data folder: two embedded
// servers writing one JetStream store lose data (2,000 results gone after a
// restart, issue 17), so the second one does not start.
var ErrDataDirInUse = errors.New("data folder in use")

// DataDirInUseError says which process holds a data folder.
type DataDirInUseError struct {
	Dir     string
	PID     int       // 0 when the holder had not written it yet
	Started time.Time // zero when unknown
}

func (e *DataDirInUseError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("data folder %s is in use by another jobd (its lock file %s is held)", e.Dir, filepath.Join(e.Dir, LockFile))
	}
	return fmt.Sprintf("data folder %s is in use by jobd pid %d (started %s)", e.Dir, e.PID, e.Started.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrDataDirInUse) hold.
func (e *DataDirInUseError) Is(target error) bool { return target == ErrDataDirInUse }

// DirLock is an exclusive lock on a data folder, held until Release.
type DirLock struct {
	f *os.File
}

// LockDataDir creates dir if needed and takes an exclusive, non-blocking
// flock on dir/jobd.lock, then writes this process's pid and start time into
// it. The kernel releases a flock when its process dies, so the lock of a
// jobd killed with -9 is taken over without anything to clean up. When
// another process holds the lock, the error is a *DataDirInUseError naming
// it.
func LockDataDir(dir string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	// The file is never removed: removing it after unlocking would let
	// two processes lock two different files of the same name.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data folder lock: %w", err)
	}
	if err := flock(f); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			held := &DataDirInUseError{Dir: dir}
			held.PID, held.Started = readHolder(path)
			return nil, held
		}
		return nil, fmt.Errorf("data folder lock %s: %w", path, err)
	}
	content := fmt.Sprintf("pid %d\nstarted %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339Nano))
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(content), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("data folder lock %s: %w", path, err)
	}
	return &DirLock{f: f}, nil
}

func flock(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// readHolder reads the pid and start time the holder wrote; zeros when it
// has not written them yet.
func readHolder(path string) (pid int, started time.Time) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, time.Time{}
	}
	for line := range bytes.Lines(b) {
		key, value, _ := strings.Cut(strings.TrimSpace(string(line)), " ")
		switch key {
		case "pid":
			pid, _ = strconv.Atoi(value)
		case "started":
			started, _ = time.Parse(time.RFC3339Nano, value)
		}
	}
	return pid, started
}

// Release unlocks the data folder. Safe on a nil lock and more than once.
func (l *DirLock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}
