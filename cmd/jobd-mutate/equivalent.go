package main

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"strings"
)

// An equivalent mutant is a survivor judged to change no behaviour anyone
// could observe; docs/TESTING.md lists them, with the reason, in a fenced
// block whose info string is "equivalent", one survivor a line, copied
// from this command's output:
//
//	```equivalent
//	engine/schedule/zone.go:34:19 INVERT_LOGICAL | if end.IsZero() || end.Unix() > local+zoneWindow {
//	```
//
// A survivor matches an entry by its file (the package folder's last
// element and the file name, so a package may move), column, kind and
// text, so an edit above the mutant does not undo the judgement while a
// change to the line itself does. Each entry stands for one survivor: when
// two lines read the same, the entry with the survivor's line number is
// taken first.
type equivalent struct {
	file string // "schedule/zone.go"
	line int    // for the reader, and to pair identical entries with their lines
	col  int
	kind string
	desc string
}

// readEquivalents reads the equivalent block of a Markdown file.
func readEquivalents(name string) ([]equivalent, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var eqs []equivalent
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```equivalent":
			in = true
		case in && strings.HasPrefix(line, "```"):
			in = false
		case in && line != "":
			e, ok := parseEquivalent(line)
			if !ok {
				return nil, fmt.Errorf("%s:%d: want path:line:col KIND text, got %q", name, n, line)
			}
			eqs = append(eqs, e)
		}
	}
	return eqs, sc.Err()
}

func parseEquivalent(line string) (equivalent, bool) {
	pos, rest, ok := strings.Cut(line, " ")
	if !ok {
		return equivalent{}, false
	}
	kind, desc, _ := strings.Cut(strings.TrimSpace(rest), " ")
	var file string
	var ln, col int
	i := strings.LastIndexByte(pos, ':')
	j := strings.LastIndexByte(pos[:max(i, 0)], ':')
	if i < 0 || j < 0 {
		return equivalent{}, false
	}
	if _, err := fmt.Sscanf(pos[j+1:], "%d:%d", &ln, &col); err != nil {
		return equivalent{}, false
	}
	file = shortFile(pos[:j])
	return equivalent{file: file, line: ln, col: col, kind: kind, desc: strings.TrimSpace(desc)}, true
}

// shortFile keeps the last folder and the file name of a slash path.
func shortFile(p string) string {
	return path.Join(path.Base(path.Dir(p)), path.Base(p))
}

func (e equivalent) matches(t target, r result) bool {
	return e.file == shortFile(t.rel+"/"+r.file) && e.col == r.col && e.kind == r.kind && e.desc == strings.TrimSpace(r.desc)
}

// judge returns, for each result, whether an entry of eqs covers it; each
// entry covers one survivor at most, the one on its own line first.
func judge(t target, rs []result, eqs []equivalent) []bool {
	covered := make([]bool, len(rs))
	used := make([]bool, len(eqs))
	for _, sameLine := range []bool{true, false} {
		for i, r := range rs {
			if covered[i] || r.status != statusLived {
				continue
			}
			for j, e := range eqs {
				if !used[j] && (!sameLine || e.line == r.line) && e.matches(t, r) {
					covered[i], used[j] = true, true
					break
				}
			}
		}
	}
	return covered
}
