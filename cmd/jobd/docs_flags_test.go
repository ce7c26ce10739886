package main

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every command and every flag of the command line is in the README's
// Commands table: the row of the command names it, and each flag appears in
// the command's own code span (`jobd dispatch EVENT [--input JSON] ...`,
// or, in a row of subcommands, `reschedule ID --start-at …`) or in the
// row's description.
func TestDocsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	docs := commandDocs(t, string(readme))
	if !strings.Contains(string(readme), "`-c FILE`") {
		t.Errorf("README does not document the global -c FILE (--config)")
	}
	root := newRootCmd(&globals{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			if sub.HasSubCommands() {
				walk(sub)
				continue
			}
			path := sub.CommandPath()
			doc, ok := docs[path]
			if !ok {
				t.Errorf("README's Commands table has no `%s`", path)
				continue
			}
			sub.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
				if f.Name == "help" {
					return
				}
				if !regexp.MustCompile(`--` + regexp.QuoteMeta(f.Name) + `\b`).MatchString(doc) {
					t.Errorf("%s --%s (%s) is not in README's Commands table", path, f.Name, f.Usage)
				}
			})
		}
	}
	walk(root)
}

// commandDocs maps each command path the README's Commands table names
// ("jobd jobs ls") to the text that documents it: its code span and its
// row's description.
func commandDocs(t *testing.T, readme string) map[string]string {
	t.Helper()
	start := strings.Index(readme, "\n## Commands")
	if start < 0 {
		t.Fatal("README has no ## Commands section")
	}
	section := readme[start+1:]
	if end := strings.Index(section, "\n## "); end > 0 {
		section = section[:end]
	}
	span := regexp.MustCompile("`([^`]*)`")
	out := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `jobd ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) < 2 {
			continue
		}
		// A \| inside a code span is a literal |; cells split on " | "
		// around them, so join all but the last cell back.
		cmdCell := strings.Join(cells[:len(cells)-1], " | ")
		desc := cells[len(cells)-1]
		parent := ""
		for i, m := range span.FindAllStringSubmatch(cmdCell, -1) {
			words := strings.Fields(m[1])
			if i == 0 {
				if len(words) < 2 || words[0] != "jobd" {
					t.Fatalf("a Commands row that does not start with `jobd ...`: %s", line)
				}
				parent = "jobd " + words[1]
				path := parent
				if len(words) > 2 && isCommandWord(words[2]) {
					path += " " + words[2]
				}
				out[path] += m[1] + " " + desc + "\n"
				continue
			}
			if len(words) > 0 && isCommandWord(words[0]) {
				out[parent+" "+words[0]] += m[1] + " " + desc + "\n"
			}
		}
	}
	if len(out) < 8 {
		keys := make([]string, 0, len(out))
		for k := range out {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Fatalf("read only %v from README's Commands table", keys)
	}
	return out
}

// isCommandWord reports whether w is a subcommand name (ls, show), not an
// argument (EVENT, [-c) or a flag.
func isCommandWord(w string) bool {
	return regexp.MustCompile(`^[a-z]+$`).MatchString(w)
}
