package broker

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockDataDirRefusesASecondHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// flock conflicts between two open files even in one process.
	_, err = LockDataDir(dir)
	if !errors.Is(err, ErrDataDirInUse) {
		t.Fatalf("second lock: %v, want ErrDataDirInUse", err)
	}
	want := fmt.Sprintf("data folder %s is in use by jobd pid %d (started ", dir, os.Getpid())
	if !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("second lock: %q, want it to start with %q", err, want)
	}
	var held *DataDirInUseError
	if !errors.As(err, &held) || time.Since(held.Started) > time.Hour || held.Started.After(time.Now()) {
		t.Fatalf("holder = %+v", held)
	}
	first.Release()
	first.Release() // idempotent
	again, err := LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again.Release()
}

// A jobd killed with -9 leaves its lock file behind, but the kernel released
// its flock: the next one takes the folder without any flag.
func TestLockDataDirTakesOverAfterKill9(t *testing.T) {
	if dir := os.Getenv("JOBD_TEST_HOLD_LOCK"); dir != "" {
		if _, err := LockDataDir(dir); err != nil {
			fmt.Println("lock:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Hour)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockDataDirTakesOverAfterKill9$")
	cmd.Env = append(os.Environ(), "JOBD_TEST_HOLD_LOCK="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "locked") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("holder said %q", buf[:n])
	}
	_, err = LockDataDir(dir)
	if want := fmt.Sprintf("in use by jobd pid %d", cmd.Process.Pid); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("lock while another process holds it: %v, want %q", err, want)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	l, err := LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after the holder was killed: %v", err)
	}
	l.Release()
}
