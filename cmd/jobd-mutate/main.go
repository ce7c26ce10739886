// Command jobd-mutate measures how well one package's own tests pin its
// behaviour: it runs the gremlins mutation tester on the package, then the
// mutants gremlins cannot judge, and prints the score and every survivor.
//
//	go run ./cmd/jobd-mutate -gremlins bin/gremlins engine/policy
//	go run ./cmd/jobd-mutate -files 'placeholders\.go' plugins/dbaction
//
// Gremlins only tests mutants on lines Go's coverage profile counts, and the
// profile counts neither `case` expressions nor constant declarations, so a
// swapped `case` or an `iota+1` turned `iota-1` always shows as "not
// covered". This command writes those mutants itself (see cases.go) and runs
// `go test` on the package with each one substituted through -overlay, so the
// source tree is never touched.
//
// Both testers run from the folder of the Go module that holds the package
// (the nearest go.mod upwards), one mutant at a time: `make mutate` is meant
// for a developer's machine, not for CI. See docs/TESTING.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

func main() {
	gremlins := flag.String("gremlins", "", "path of the gremlins binary; empty skips gremlins and runs only the hand mutants")
	files := flag.String("files", "", "regexp of the package's file names to mutate (all non-test .go files when empty)")
	coef := flag.Int("timeout-coefficient", 30, "a mutant's test run times out after this many times the unmutated run")
	noCases := flag.Bool("no-cases", false, "skip the hand mutants of case expressions and constants")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: jobd-mutate [flags] path/to/package\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *gremlins, *files, *coef, !*noCases); err != nil {
		fmt.Fprintln(os.Stderr, "jobd-mutate:", err)
		os.Exit(1)
	}
}

// target is the package under test, located in its module.
type target struct {
	dir     string   // absolute folder of the package
	modRoot string   // absolute folder of the nearest go.mod upwards
	rel     string   // dir relative to modRoot, slash-separated ("." for the root)
	files   []string // base names of the non-test .go files to mutate
}

func run(pkg, gremlins, filesRE string, coef int, cases bool) error {
	t, err := locate(pkg, filesRE)
	if err != nil {
		return err
	}
	fmt.Printf("package %s (module root %s), files: %s\n", t.rel, t.modRoot, strings.Join(t.files, " "))
	var all []result
	if gremlins != "" {
		g, err := runGremlins(t, gremlins, coef)
		if err != nil {
			return err
		}
		all = append(all, g...)
	}
	if cases {
		h, err := runCases(t, coef)
		if err != nil {
			return err
		}
		all = append(all, h...)
	}
	report(t, all)
	return nil
}

// locate finds the package's folder, its module root and its files.
func locate(pkg, filesRE string) (target, error) {
	dir, err := filepath.Abs(pkg)
	if err != nil {
		return target{}, err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return target{}, fmt.Errorf("%s is not a folder", pkg)
	}
	root := dir
	for {
		if fi, err := os.Stat(filepath.Join(root, "go.mod")); err == nil && !fi.IsDir() {
			break
		}
		up := filepath.Dir(root)
		if up == root {
			return target{}, fmt.Errorf("no go.mod in %s or above", dir)
		}
		root = up
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return target{}, err
	}
	var only *regexp.Regexp
	if filesRE != "" {
		if only, err = regexp.Compile(filesRE); err != nil {
			return target{}, fmt.Errorf("-files: %w", err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return target{}, err
	}
	t := target{dir: dir, modRoot: root, rel: filepath.ToSlash(rel)}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		if only != nil && !only.MatchString(n) {
			continue
		}
		t.files = append(t.files, n)
	}
	if len(t.files) == 0 {
		return target{}, fmt.Errorf("no Go files to mutate in %s", pkg)
	}
	return t, nil
}

// Statuses of a mutant, spelled as gremlins spells them.
const (
	statusKilled     = "KILLED"
	statusLived      = "LIVED"
	statusTimedOut   = "TIMED OUT"
	statusNotViable  = "NOT VIABLE"
	statusNotCovered = "NOT COVERED"
)

// result is one judged mutant, from either tester.
type result struct {
	tester string // "gremlins" or "cases"
	file   string // base name
	line   int
	col    int
	kind   string // gremlins' mutator type, or this command's
	desc   string // what the mutant changes, for the hand mutants
	status string
}

// report prints the score of each tester and of both, then the survivors.
func report(t target, all []result) {
	type tally struct{ killed, lived, timedOut, notViable, notCovered int }
	count := map[string]*tally{"gremlins": {}, "cases": {}, "total": {}}
	var lived []result
	for _, r := range all {
		for _, k := range []string{r.tester, "total"} {
			c := count[k]
			switch r.status {
			case statusKilled:
				c.killed++
			case statusLived:
				c.lived++
			case statusTimedOut:
				c.timedOut++
			case statusNotViable:
				c.notViable++
			case statusNotCovered:
				c.notCovered++
			}
		}
		if r.status == statusLived {
			lived = append(lived, r)
		}
	}
	sort.SliceStable(lived, func(i, j int) bool {
		if lived[i].file != lived[j].file {
			return lived[i].file < lived[j].file
		}
		if lived[i].line != lived[j].line {
			return lived[i].line < lived[j].line
		}
		return lived[i].col < lived[j].col
	})
	fmt.Printf("\nsurvivors (%d):\n", len(lived))
	for _, r := range lived {
		fmt.Printf("  %s/%s:%d:%d %s %s\n", t.rel, r.file, r.line, r.col, r.kind, r.desc)
	}
	fmt.Println()
	for _, k := range []string{"gremlins", "cases", "total"} {
		c := count[k]
		score := "n/a"
		if c.killed+c.lived > 0 {
			score = fmt.Sprintf("%.1f %%", 100*float64(c.killed)/float64(c.killed+c.lived))
		}
		fmt.Printf("%-8s score %-8s killed %d, lived %d, timed out %d, not viable %d, not covered %d\n",
			k, score, c.killed, c.lived, c.timedOut, c.notViable, c.notCovered)
	}
	fmt.Println("score = killed / (killed + lived), as gremlins' test efficacy; timed-out mutants are left out of it.")
}
