package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// gremlinsReport is the part of gremlins' -o JSON this command reads.
type gremlinsReport struct {
	Files []struct {
		FileName  string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
}

// runGremlins runs gremlins on the package alone, from the module root, with
// the default mutators plus inverted logic and loop control, one worker.
//
// Gremlins walks the package's folder and its subfolders; the subfolders
// are other packages, so every path with a slash is excluded, and so is
// every file the -files regexp left out.
func runGremlins(t target, bin string, coef int) ([]result, error) {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	out, err := os.CreateTemp("", "jobd-mutate-*.json")
	if err != nil {
		return nil, err
	}
	out.Close()
	defer os.Remove(out.Name())

	args := []string{"unleash",
		"--workers", "1",
		"--timeout-coefficient", strconv.Itoa(coef),
		"--invert-logical", "--invert-loopctrl",
		"--output-statuses", "lt", // print survivors and time-outs as they come
		"-o", out.Name(),
		"-E", "/",
	}
	keep := map[string]bool{}
	for _, f := range t.files {
		keep[f] = true
	}
	entries, err := os.ReadDir(t.dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && !keep[n] {
			args = append(args, "-E", "^"+regexp.QuoteMeta(n)+"$")
		}
	}
	args = append(args, "./"+t.rel)
	fmt.Printf("gremlins %v\n", args)
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.modRoot
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// Gremlins times each mutant out after its coefficient times the
	// coverage run; a cached coverage run takes a few milliseconds.
	goflags, err := exec.Command("go", "env", "GOFLAGS").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOFLAGS: %w", err)
	}
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(string(goflags)+" -count=1"))
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("gremlins: %w", err)
	}

	b, err := os.ReadFile(out.Name())
	if err != nil {
		return nil, err
	}
	var rep gremlinsReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("gremlins report: %w", err)
	}
	var rs []result
	for _, f := range rep.Files {
		src, _ := os.ReadFile(filepath.Join(t.dir, f.FileName))
		lines := strings.Split(string(src), "\n")
		for _, m := range f.Mutations {
			desc := ""
			if m.Line >= 1 && m.Line <= len(lines) {
				desc = "| " + strings.TrimSpace(lines[m.Line-1])
			}
			rs = append(rs, result{
				tester: "gremlins",
				file:   f.FileName,
				line:   m.Line,
				col:    m.Column,
				kind:   m.Type,
				desc:   desc,
				status: m.Status,
			})
		}
	}
	return rs, nil
}
