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
	equiv := flag.String("equivalent", "", "Markdown file whose ```equivalent block lists survivors judged equivalent (docs/TESTING.md)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: jobd-mutate [flags] path/to/package\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *gremlins, *files, *equiv, *coef, !*noCases); err != nil {
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

func run(pkg, gremlins, filesRE, equivFile string, coef int, cases bool) error {
	t, err := locate(pkg, filesRE)
	if err != nil {
		return err
	}
	var eqs []equivalent
	if equivFile != "" {
		if eqs, err = readEquivalents(equivFile); err != nil {
			return err
		}
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
	report(t, all, eqs)
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

// report prints the survivors, those judged equivalent apart, then the
// score of each tester and of both.
func report(t target, all []result, eqs []equivalent) {
	type tally struct{ killed, lived, equivalent, timedOut, notViable, notCovered int }
	count := map[string]*tally{"gremlins": {}, "cases": {}, "total": {}}
	var lived, equiv []result
	judged := judge(t, all, eqs)
	for i, r := range all {
		isEquiv := judged[i]
		if r.status == statusLived {
			if isEquiv {
				equiv = append(equiv, r)
			} else {
				lived = append(lived, r)
			}
		}
		for _, k := range []string{r.tester, "total"} {
			c := count[k]
			switch r.status {
			case statusKilled:
				c.killed++
			case statusLived:
				c.lived++
				if isEquiv {
					c.equivalent++
				}
			case statusTimedOut:
				c.timedOut++
			case statusNotViable:
				c.notViable++
			case statusNotCovered:
				c.notCovered++
			}
		}
	}
	for _, rs := range [][]result{lived, equiv} {
		sort.SliceStable(rs, func(i, j int) bool {
			if rs[i].file != rs[j].file {
				return rs[i].file < rs[j].file
			}
			if rs[i].line != rs[j].line {
				return rs[i].line < rs[j].line
			}
			return rs[i].col < rs[j].col
		})
	}
	fmt.Printf("\nsurvivors (%d):\n", len(lived))
	for _, r := range lived {
		fmt.Printf("  %s/%s:%d:%d %s %s\n", t.rel, r.file, r.line, r.col, r.kind, r.desc)
	}
	if len(eqs) > 0 {
		fmt.Printf("survivors judged equivalent (%d):\n", len(equiv))
		for _, r := range equiv {
			fmt.Printf("  %s/%s:%d:%d %s %s\n", t.rel, r.file, r.line, r.col, r.kind, r.desc)
		}
	}
	fmt.Println()
	for _, k := range []string{"gremlins", "cases", "total"} {
		c := count[k]
		score := "n/a"
		if c.killed+c.lived > 0 {
			score = fmt.Sprintf("%.1f %%", 100*float64(c.killed)/float64(c.killed+c.lived))
		}
		line := fmt.Sprintf("%-8s score %-8s killed %d, lived %d", k, score, c.killed, c.lived)
		if len(eqs) > 0 {
			without := "n/a"
			if n := c.killed + c.lived - c.equivalent; n > 0 {
				without = fmt.Sprintf("%.1f %%", 100*float64(c.killed)/float64(n))
			}
			line += fmt.Sprintf(" (%d judged equivalent; %s without them)", c.equivalent, without)
		}
		fmt.Printf("%s, timed out %d, not viable %d, not covered %d\n", line, c.timedOut, c.notViable, c.notCovered)
	}
	fmt.Println("score = killed / (killed + lived), as gremlins' test efficacy; timed-out mutants are left out of it.")
	fmt.Println("gremlins' \"not covered\" count includes the case lines and constants, which the hand mutants (cases) test.")
}
