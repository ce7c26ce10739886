package main_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A second `jobd run` on a data folder in use exits 2 at once, naming the
// jobd that holds it; after that one is killed with -9, the folder is taken
// over without a flag.
func TestSecondJobdOnOneDataFolderExits2(t *testing.T) {
	first := newSite(t, "")
	d := first.start()
	second := newSite(t, "")
	data := filepath.Join(first.dir, "data")
	second.env = append(second.env, "JOBD_SERVER__DATA_DIR="+data)

	cmd := second.command("run", "-c", second.config)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 {
			t.Fatalf("second jobd ended with %v, want exit code 2:\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("second jobd on the same data folder kept running:\n%s", out.String())
	}
	want := fmt.Sprintf("data folder %s is in use by jobd pid %d (started ", data, d.cmd.Process.Pid)
	if !strings.Contains(out.String(), want) {
		t.Fatalf("second jobd said:\n%s\nwant %q", out.String(), want)
	}

	d.kill9()
	second.start().stop(t)
}
