package validate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// corpusDir holds manifests that admission accepts (the CRDs' CEL rules
// cannot see their mistakes) and that the operator must refuse. Each file is
// named <kind>-<short-name>.yaml and starts with a comment block: free text
// saying what the user got wrong, then one "# expect: <error>" line per error
// the kind's function (Stack, Policy, AdminStack) must return, in any order.
// api/v1alpha1's corpus test checks that the apiserver admits every file.
const corpusDir = "testdata/invalid"

// minCorpusFiles is how many mistakes the operator-level corpus covers at least.
const minCorpusFiles = 12

// samplesDir holds the sample manifests, which must pass every check.
const samplesDir = "../../config/samples"

func TestCorpus(t *testing.T) {
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatalf("reading the corpus: %v", err)
	}
	if len(entries) < minCorpusFiles {
		t.Errorf("the corpus in %s has %d files, want at least %d", corpusDir, len(entries), minCorpusFiles)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpusDir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			want, err := expectations(data)
			if err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
			kind, errs, err := check(data)
			if err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
			if !strings.HasPrefix(e.Name(), strings.ToLower(kind)+"-") {
				t.Errorf("%s: a %s manifest must be named %s-<short-name>.yaml", e.Name(), kind, strings.ToLower(kind))
			}
			got := render(errs)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: other errors than announced\n got:\n# expect: %s\nwant:\n# expect: %s",
					e.Name(), strings.Join(got, "\n# expect: "), strings.Join(want, "\n# expect: "))
			}
		})
	}
}

// TestSamplesPass checks that the sample manifests raise no error: the checks
// refuse mistakes, not what the documentation shows.
func TestSamplesPass(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(samplesDir, "spacelift_v1alpha1_*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in %s (%v)", samplesDir, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, errs, err := check(data); err != nil || len(errs) > 0 {
			t.Errorf("%s: want no errors, got %v %v", filepath.Base(f), errs.ToAggregate(), err)
		}
	}
}

// expectations reads the "# expect:" lines of a corpus file's leading comment
// block, which must also say in free text what the mistake is.
func expectations(data []byte) ([]string, error) {
	var want []string
	described := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		switch {
		case strings.HasPrefix(line, "# expect: "):
			want = append(want, strings.TrimPrefix(line, "# expect: "))
		case strings.HasPrefix(line, "# expect"):
			return nil, fmt.Errorf("malformed directive %q: write \"# expect: <error>\"", line)
		case strings.TrimSpace(strings.TrimPrefix(line, "#")) != "":
			described = true
		}
	}
	if !described || len(want) == 0 {
		return nil, errors.New("the leading comment block must say what the mistake is and hold \"# expect:\" lines")
	}
	return want, nil
}

// check decodes a manifest strictly into its kind and runs that kind's checks.
func check(data []byte) (string, field.ErrorList, error) {
	var meta struct {
		Kind string `json:"kind"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		return "", nil, fmt.Errorf("reading the kind: %w", err)
	}
	switch meta.Kind {
	case "Stack":
		var s v1alpha1.Stack
		if err := yaml.UnmarshalStrict(data, &s); err != nil {
			return meta.Kind, nil, err
		}
		return meta.Kind, Stack(&s), nil
	case "Policy":
		var p v1alpha1.Policy
		if err := yaml.UnmarshalStrict(data, &p); err != nil {
			return meta.Kind, nil, err
		}
		return meta.Kind, Policy(&p), nil
	case "AdminStack":
		var a v1alpha1.AdminStack
		if err := yaml.UnmarshalStrict(data, &a); err != nil {
			return meta.Kind, nil, err
		}
		return meta.Kind, AdminStack(&a), nil
	}
	return meta.Kind, nil, fmt.Errorf("kind %q is none of Stack, Policy and AdminStack", meta.Kind)
}

// render turns errs into sorted lines.
func render(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	slices.Sort(out)
	return out
}
