package main_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// The docs test (docs_test.go) checks every fenced block of the files
// docFiles lists. A block may carry an annotation: an HTML comment on the
// last non-blank lines before its opening fence,
//
//	<!-- doctest: KEY=VALUE FLAG KEY="a value" ... -->
//
// whose keys docs_test.go documents (docAnnotationKeys). A block without
// one gets the default check of its language, and fails when its
// language has none: every block is checked or says why it is not.

// docFiles returns the documentation files the docs test reads, relative
// to the repository root.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"README.md", "docs/*.md", "plugins/*/README.md", "examples/*/README.md"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			rel, _ := filepath.Rel(root, f)
			files = append(files, filepath.ToSlash(rel))
		}
	}
	sort.Strings(files)
	if len(files) < 5 {
		t.Fatalf("found only %v under %s", files, root)
	}
	return files
}

// docBlock is one fenced block of a documentation file.
type docBlock struct {
	file      string // relative to the repository root
	line      int    // line of the opening fence, 1-based
	lang      string // the fence's info string's first word
	text      string // the content, without the fence's indentation
	ann       map[string]string
	annotated bool
}

func (b *docBlock) String() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// name is a subtest name: the file and the line.
func (b *docBlock) name() string {
	return strings.NewReplacer("/", "_", ".md", "").Replace(b.file) + fmt.Sprintf("_L%d", b.line)
}

var fenceRE = regexp.MustCompile("^([ \t]*)(```+|~~~+)[ \t]*([^ \t`]*)")

// parseBlocks returns the fenced blocks of a Markdown file.
func parseBlocks(file, content string) ([]*docBlock, error) {
	lines := strings.Split(content, "\n")
	var blocks []*docBlock
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		indent, fence := m[1], m[2]
		b := &docBlock{file: file, line: i + 1, lang: m[3]}
		var body []string
		closed := false
		for i++; i < len(lines); i++ {
			if t := strings.TrimSpace(lines[i]); strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				closed = true
				break
			}
			body = append(body, strings.TrimPrefix(lines[i], indent))
		}
		if !closed {
			return nil, fmt.Errorf("%s:%d: fence never closed", file, b.line)
		}
		b.text = strings.Join(body, "\n") + "\n"
		ann, ok, err := annotationBefore(lines, b.line-1)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, b.line, err)
		}
		b.ann, b.annotated = ann, ok
		blocks = append(blocks, b)
	}
	return blocks, nil
}

// annotationBefore reads the doctest comment that ends on the last
// non-blank line before line index fence.
func annotationBefore(lines []string, fence int) (map[string]string, bool, error) {
	i := fence - 1
	for i >= 0 && strings.TrimSpace(lines[i]) == "" {
		i--
	}
	if i < 0 || !strings.HasSuffix(strings.TrimSpace(lines[i]), "-->") {
		return nil, false, nil
	}
	end := i
	for i >= 0 && !strings.Contains(lines[i], "<!--") && end-i < 8 {
		i--
	}
	if i < 0 || !strings.Contains(lines[i], "<!--") {
		return nil, false, nil
	}
	c := strings.Join(lines[i:end+1], " ")
	c = strings.TrimSpace(c[strings.Index(c, "<!--")+4:])
	c = strings.TrimSpace(strings.TrimSuffix(c, "-->"))
	if !strings.HasPrefix(c, "doctest:") {
		return nil, false, nil
	}
	ann, err := parseAnnotation(strings.TrimPrefix(c, "doctest:"))
	return ann, err == nil, err
}

// parseAnnotation splits `key=value flag key="quoted value" key='x'`.
func parseAnnotation(s string) (map[string]string, error) {
	out := map[string]string{}
	words, err := shellWords(s)
	if err != nil {
		return nil, err
	}
	for _, w := range words {
		k, v, _ := strings.Cut(w, "=")
		if _, ok := docAnnotationKeys[k]; !ok {
			return nil, fmt.Errorf("doctest annotation: unknown key %q", k)
		}
		out[k] = v
	}
	return out, nil
}

// shellWords splits a line as sh does, for the quoting the docs use:
// single quotes, double quotes with backslash escapes, backslashes, and
// a comment from an unquoted # at the start of a word.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unclosed ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unclosed \" in %q", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == '#' && !inWord:
			i = len(s)
		case unicode.IsSpace(rune(c)):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// shellStep is one command of a shell block and the output its comment
// lines state.
type shellStep struct {
	line   string   // the command as written, continuation lines joined
	args   []string // its words
	expect []string // the "# ..." lines right after it: its stated stdout
}

// shellSteps splits a shell block into commands. A comment line right
// after a command is the command's stated output.
func shellSteps(text string) ([]*shellStep, error) {
	var steps []*shellStep
	sc := bufio.NewScanner(strings.NewReader(text))
	pending := ""
	for sc.Scan() {
		l := sc.Text()
		if pending == "" && strings.HasPrefix(strings.TrimSpace(l), "#") {
			if len(steps) > 0 {
				last := steps[len(steps)-1]
				last.expect = append(last.expect, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#")))
			}
			continue
		}
		if strings.HasSuffix(l, "\\") {
			pending += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		l = pending + l
		pending = ""
		if strings.TrimSpace(l) == "" {
			continue
		}
		words, err := shellWords(l)
		if err != nil {
			return nil, err
		}
		if len(words) == 0 {
			continue
		}
		steps = append(steps, &shellStep{line: strings.TrimSpace(l), args: words})
	}
	return steps, nil
}

// checkExcerpt reports whether text appears in the file at path, in order,
// chunk by chunk: a line that is only an elision mark (`// …`, `# …`,
// `...`, `…`) separates chunks that must each appear verbatim (trailing
// white space aside).
func checkExcerpt(path, text string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	file := normalizeLines(string(b))
	rest := file
	for _, chunk := range splitElisions(text) {
		c := normalizeLines(chunk)
		if strings.TrimSpace(c) == "" {
			continue
		}
		i := strings.Index(rest, c)
		if i < 0 {
			return fmt.Errorf("not an excerpt of %s: these lines are not in it (in this order):\n%s", path, c)
		}
		rest = rest[i+len(c):]
	}
	return nil
}

func splitElisions(text string) []string {
	var chunks []string
	var cur []string
	for _, l := range strings.Split(text, "\n") {
		switch strings.TrimSpace(l) {
		case "// …", "# …", "...", "…", "// ...":
			chunks = append(chunks, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, l)
	}
	return append(chunks, strings.Join(cur, "\n"))
}

func normalizeLines(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

var secretRE = regexp.MustCompile(`\$Secret\{([A-Za-z0-9_]+)\}`)

// secretEnv sets JOBD_SECRET_<KEY> for every $Secret{KEY} in text, so a
// documented configuration that reads secrets validates.
func secretEnv(text string) []string {
	var env []string
	for _, m := range secretRE.FindAllStringSubmatch(text, -1) {
		env = append(env, "JOBD_SECRET_"+m[1]+"=doctest-"+strings.ToLower(m[1]))
	}
	return env
}
