package atmos

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// corpusRecord is the part of a record that the golden corpus pins: what
// atmos's pkg/spacelift (CreateSpaceliftStacks) reports for a stack, in the
// shape testdata/*/expected.json stores it (see testdata/README.md).
type corpusRecord struct {
	Stack         string         `json:"stack"`
	Component     string         `json:"component"`
	BaseComponent string         `json:"base_component"`
	Workspace     string         `json:"workspace"`
	Labels        []string       `json:"labels"`
	Vars          map[string]any `json:"vars"`
	Settings      map[string]any `json:"settings"`
	Env           map[string]any `json:"env"`
}

// corpusExpectation is one testdata/<tree>/expected.json.
type corpusExpectation struct {
	// Error, when set, says atmos refuses the tree; our error must name the
	// same problem (each fragment must occur in it).
	Error []string `json:"error,omitempty"`
	// AtmosError is the first line of atmos's own error, for the reader.
	AtmosError string `json:"atmos_error,omitempty"`
	// Records are atmos's records by Spacelift stack name.
	Records map[string]corpusRecord `json:"records,omitempty"`
	// Unevaluated lists, by stack name, the values Record.Unevaluated must
	// report (this is ours; atmos has no such report).
	Unevaluated map[string][]string `json:"unevaluated,omitempty"`
	// Environment is the environment the tree was expanded with.
	Environment map[string]string `json:"environment,omitempty"`
	// RepoPath, when set, makes tree/ a repository and tree/<repo_path> the
	// directory atmos ran in; Expand reads only that directory, with
	// Options.RepoPath, as the operator reads spec.source.git.path.
	RepoPath string `json:"repo_path,omitempty"`
}

// TestCorpus expands every tree under testdata and compares the records with
// the ones atmos computed for the same tree.
func TestCorpus(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no trees under testdata")
	}
	for _, exp := range dirs {
		dir := filepath.Dir(exp)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(exp)
			if err != nil {
				t.Fatal(err)
			}
			var want corpusExpectation
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatalf("%s: %v", exp, err)
			}
			root := filepath.Join(dir, "tree", filepath.FromSlash(want.RepoPath))
			recs, err := Expand(os.DirFS(root), Options{Overrides: Settings{Environment: want.Environment}, RepoPath: want.RepoPath})
			if len(want.Error) > 0 {
				wantError(t, err, want.Error...)
				return
			}
			if err != nil {
				t.Fatalf("atmos accepts this tree; Expand: %v", err)
			}
			got := map[string]corpusRecord{}
			unevaluated := map[string][]string{}
			for _, r := range recs {
				got[r.Name] = corpusRecord{
					Stack: r.Stack, Component: r.Component, BaseComponent: r.BaseComponent,
					Workspace: r.Workspace, Labels: r.Labels,
					Vars: r.Vars, Settings: r.Settings, Env: r.Env,
				}
				if len(r.Unevaluated) > 0 {
					unevaluated[r.Name] = r.Unevaluated
				}
			}
			// Compare through JSON, as atmos's records were stored.
			var gotJSON, wantJSON map[string]any
			roundTrip(t, got, &gotJSON)
			roundTrip(t, want.Records, &wantJSON)
			for name, w := range wantJSON {
				g, ok := gotJSON[name]
				if !ok {
					t.Errorf("missing stack %q", name)
					continue
				}
				for _, field := range []string{"stack", "component", "base_component", "workspace", "labels", "vars", "settings", "env"} {
					gv, wv := g.(map[string]any)[field], w.(map[string]any)[field]
					if !reflect.DeepEqual(gv, wv) {
						gj, _ := json.Marshal(gv)
						wj, _ := json.Marshal(wv)
						t.Errorf("%s %s:\n got %s\nwant %s", name, field, gj, wj)
					}
				}
			}
			for name := range gotJSON {
				if _, ok := wantJSON[name]; !ok {
					t.Errorf("extra stack %q (atmos has no such stack)", name)
				}
			}
			if want.Unevaluated == nil {
				want.Unevaluated = map[string][]string{}
			}
			eq(t, "unevaluated", unevaluated, want.Unevaluated)
		})
	}
}

func roundTrip(t *testing.T, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}
