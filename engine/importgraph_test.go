package engine_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	mainModule = "github.com/jobd-dev/jobd"
	sdkModule  = "github.com/jobd-dev/jobd/sdk"
)

// pkg is what `go list` says of one package.
type pkg struct {
	ImportPath string
	Imports    []string
}

// listPackages lists the packages of the module in dir, with their
// imports (tests' imports included).
func listPackages(t *testing.T, dir string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-test", "-json=ImportPath,Imports", "./...")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list in %s: %v", dir, err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bufio.NewReader(bytes.NewReader(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		p.ImportPath = normalize(p.ImportPath)
		for i, imp := range p.Imports {
			p.Imports[i] = normalize(imp)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// normalize names a test variant by its package: go list -test adds
// "p [p.test]" variants, "p.test" mains and "p_test" external tests.
func normalize(path string) string {
	path, _, _ = strings.Cut(path, " ")
	path = strings.TrimSuffix(path, ".test")
	return strings.TrimSuffix(path, "_test")
}

func within(path, root string) bool { return path == root || strings.HasPrefix(path, root+"/") }

// The import graph is the architecture: this test fails when a change
// crosses a layer. (The bench, a program under engine/internal, drives the
// public engine like any embedding program.)
func TestImportGraph(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := append(listPackages(t, root), listPackages(t, filepath.Join(root, "sdk"))...)
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages; the test reads the wrong tree", len(pkgs))
	}
	engine := mainModule + "/engine"
	for _, p := range pkgs {
		for _, imp := range p.Imports {
			if imp == p.ImportPath {
				continue // a package's own tests
			}
			jobd := within(imp, mainModule)
			switch {
			case within(imp, engine) && !within(p.ImportPath, engine) && !within(p.ImportPath, mainModule+"/cmd"):
				t.Errorf("%s imports %s: only the engine and cmd/ may use the engine", p.ImportPath, imp)
			case within(p.ImportPath, sdkModule) && jobd && !within(imp, sdkModule):
				t.Errorf("%s imports %s: the SDK module may not depend on the main module", p.ImportPath, imp)
			case within(p.ImportPath, mainModule+"/plugins") && jobd && !within(imp, sdkModule) && !within(imp, p.ImportPath):
				t.Errorf("%s imports %s: a plugin may import only the SDK module", p.ImportPath, imp)
			case within(p.ImportPath, sdkModule+"/wire") && jobd && !within(imp, sdkModule+"/wire"):
				t.Errorf("%s imports %s: the wire package imports no other jobd package", p.ImportPath, imp)
			case p.ImportPath == mainModule+"/cmd/jobd" && jobd && imp != engine && !within(imp, sdkModule+"/wire") && imp != sdkModule+"/client":
				t.Errorf("%s imports %s: the CLI uses only engine, sdk/wire and sdk/client", p.ImportPath, imp)
			case within(p.ImportPath, engine+"/internal") && !within(p.ImportPath, engine+"/internal/bench") && imp == engine:
				t.Errorf("%s imports %s: the machinery may not import the public engine package", p.ImportPath, imp)
			}
		}
	}
}
