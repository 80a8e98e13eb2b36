package v1alpha1_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// corpusDir holds the invalid-manifest corpus: one file per user mistake,
// named <kind>-<short-name>.yaml, whose leading comment block states the
// outcome the apiserver must report:
//
//	# <free text saying what the user got wrong>
//	# expect: <field>: <message>          (single document: rejected on create)
//	# update-expect: <field>: <message>   (two documents: the first is created,
//	#                                     the second rejected as its update)
//
// There is one expect line per rejection cause, written exactly as the
// apiserver reports it; the order does not matter. A rejection without
// causes (the strict-decoding error for an unknown field) has one line: the
// status message.
const corpusDir = "testdata/invalid"

// minCorpusFiles is the size of the corpus: the 153 files written for
// issue 8, plus the at least 60 new mistakes issue 12 asks for.
const minCorpusFiles = 153 + 60

// operatorCorpusDir holds the mistakes that admission cannot see and that the
// operator reports as Stalled (internal/validate checks them); the apiserver
// must admit every one of them, or they belong in corpusDir.
const operatorCorpusDir = "../../internal/validate/testdata/invalid"

// corpusKinds are the kinds the corpus must cover.
var corpusKinds = []string{"Stack", "Policy", "AdminStack"}

// corpusCase is one parsed corpus file.
type corpusCase struct {
	file         string
	docs         []*unstructured.Unstructured
	expect       []string
	updateExpect []string
}

// TestCorpus applies every manifest of the invalid corpus and checks that the
// apiserver rejects it with exactly the causes the file announces.
//
// Requests use strict field validation because that is what `kubectl apply`
// and `kubectl create` send by default (--validate=strict since kubectl
// 1.27): an unknown or misspelt field is then rejected instead of being
// silently pruned, which is the outcome a user of this operator sees.
func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)

	t.Run("size and coverage", func(t *testing.T) {
		if len(cases) < minCorpusFiles {
			t.Errorf("the corpus in %s has %d files, want at least %d", corpusDir, len(cases), minCorpusFiles)
		}
		perKind := map[string]int{}
		for _, c := range cases {
			perKind[c.docs[0].GetKind()]++
		}
		for _, kind := range corpusKinds {
			if perKind[kind] == 0 {
				t.Errorf("the corpus in %s has no %s manifest", corpusDir, kind)
			}
		}
		t.Logf("corpus: %d files %v", len(cases), perKind)
	})

	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			if len(c.docs) == 1 {
				checkCreateRejected(t, c)
			} else {
				checkUpdateRejected(t, c)
			}
		})
	}
}

// TestOperatorCorpusAdmitted checks that the apiserver admits every manifest
// of the operator-level corpus: those mistakes are past what CEL can see
// (cron semantics, the tz database, ids derived from names, map values), so
// the CRDs and internal/validate divide the work without overlap.
func TestOperatorCorpusAdmitted(t *testing.T) {
	entries, err := os.ReadDir(operatorCorpusDir)
	if err != nil {
		t.Fatalf("reading the operator-level corpus: %v", err)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			c, err := parseManifests(filepath.Join(operatorCorpusDir, e.Name()))
			if err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
			if len(c) != 1 {
				t.Fatalf("%s: want one document, found %d", e.Name(), len(c))
			}
			if err := k8s.Create(context.Background(), c[0], client.DryRunAll, client.FieldValidation("Strict")); err != nil {
				t.Errorf("%s: the apiserver refused a manifest whose mistake only the operator can see: %v", e.Name(), err)
			}
		})
	}
}

// checkCreateRejected dry-runs the creation of the single document of c.
func checkCreateRejected(t *testing.T, c corpusCase) {
	t.Helper()
	err := k8s.Create(context.Background(), c.docs[0], client.DryRunAll, client.FieldValidation("Strict"))
	assertCauses(t, c.file, "create", err, c.expect)
}

// checkUpdateRejected creates the first document of c, then dry-runs the
// update of it to the second document, and deletes the object afterwards.
func checkUpdateRejected(t *testing.T, c corpusCase) {
	t.Helper()
	ctx := context.Background()
	old, updated := c.docs[0], c.docs[1]
	if err := k8s.Create(ctx, old, client.FieldValidation("Strict")); err != nil {
		t.Fatalf("%s: creating the first document: %v", c.file, err)
	}
	t.Cleanup(func() {
		if err := k8s.Delete(ctx, old); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("%s: deleting the first document: %v", c.file, err)
		}
	})
	updated.SetResourceVersion(old.GetResourceVersion())
	err := k8s.Update(ctx, updated, client.DryRunAll, client.FieldValidation("Strict"))
	assertCauses(t, c.file, "update", err, c.updateExpect)
}

// assertCauses compares the rejection causes of err with want (both sorted).
// On a mismatch it prints the causes as comment lines ready to review.
func assertCauses(t *testing.T, file, op string, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: the %s was accepted, want it rejected with:\n%s", file, op, strings.Join(want, "\n"))
	}
	got := rejectionCauses(err)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		prefix := "# expect: "
		if op == "update" {
			prefix = "# update-expect: "
		}
		t.Errorf("%s: the %s was rejected with other causes than announced\n got:\n%s\nwant:\n%s",
			file, op, prefix+strings.Join(got, "\n"+prefix), prefix+strings.Join(want, "\n"+prefix))
	}
}

// rejectionCauses renders an API rejection as sorted "field: message" lines.
// A rejection without causes (e.g. a strict-decoding error) is rendered as
// its status message alone.
func rejectionCauses(err error) []string {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return []string{"unexpected error: " + err.Error()}
	}
	s := status.Status()
	if s.Details == nil || len(s.Details.Causes) == 0 {
		return []string{s.Message}
	}
	var out []string
	for _, c := range s.Details.Causes {
		out = append(out, c.Field+": "+c.Message)
	}
	sort.Strings(out)
	return out
}

// loadCorpus reads and checks the shape of every file of the corpus.
func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatalf("reading the corpus: %v", err)
	}
	var cases []corpusCase
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".yaml" {
			t.Errorf("%s: the corpus holds only <kind>-<short-name>.yaml files", e.Name())
			continue
		}
		c, err := parseCorpusFile(filepath.Join(corpusDir, e.Name()))
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		cases = append(cases, c)
	}
	if t.Failed() {
		t.FailNow()
	}
	return cases
}

// parseCorpusFile reads one corpus file: its leading comment block and its
// one or two YAML documents.
func parseCorpusFile(path string) (corpusCase, error) {
	c := corpusCase{file: filepath.Base(path)}
	data, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	described := false
	for line := range strings.Lines(string(data)) {
		line = strings.TrimRight(line, "\r\n")
		if !strings.HasPrefix(line, "#") {
			break
		}
		switch {
		case strings.HasPrefix(line, "# expect: "):
			c.expect = append(c.expect, strings.TrimPrefix(line, "# expect: "))
		case strings.HasPrefix(line, "# update-expect: "):
			c.updateExpect = append(c.updateExpect, strings.TrimPrefix(line, "# update-expect: "))
		case strings.HasPrefix(line, "# expect") || strings.HasPrefix(line, "# update-expect"):
			return c, fmt.Errorf("malformed directive %q: write \"# expect: <field>: <message>\"", line)
		case strings.TrimSpace(strings.TrimPrefix(line, "#")) != "":
			described = true
		}
	}
	if !described {
		return c, errors.New("the leading comment block does not say what the mistake is")
	}

	if c.docs, err = decodeManifests(data); err != nil {
		return c, err
	}

	switch len(c.docs) {
	case 1:
		if len(c.expect) == 0 || len(c.updateExpect) != 0 {
			return c, errors.New("a single-document file needs \"# expect:\" lines and no \"# update-expect:\" lines")
		}
	case 2:
		if len(c.updateExpect) == 0 || len(c.expect) != 0 {
			return c, errors.New("a two-document file needs \"# update-expect:\" lines and no \"# expect:\" lines")
		}
		if c.docs[0].GetKind() != c.docs[1].GetKind() || c.docs[0].GetName() != c.docs[1].GetName() {
			return c, errors.New("the second document must update the object of the first")
		}
	default:
		return c, fmt.Errorf("want one or two YAML documents, found %d", len(c.docs))
	}
	kind := c.docs[0].GetKind()
	if !slices.Contains(corpusKinds, kind) {
		return c, fmt.Errorf("kind %q is none of %v", kind, corpusKinds)
	}
	if !strings.HasPrefix(c.file, strings.ToLower(kind)+"-") {
		return c, fmt.Errorf("a %s manifest must be named %s-<short-name>.yaml", kind, strings.ToLower(kind))
	}
	return c, nil
}

// parseManifests reads the YAML documents of a file.
func parseManifests(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeManifests(data)
}

// decodeManifests splits data into its YAML documents, skipping those that
// hold only comments; objects without a namespace are put in "default".
func decodeManifests(data []byte) ([]*unstructured.Unstructured, error) {
	var docs []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("splitting documents: %w", err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			return nil, fmt.Errorf("parsing document %d: %w", len(docs)+1, err)
		}
		if len(u.Object) == 0 {
			continue // only comments
		}
		if u.GetNamespace() == "" {
			u.SetNamespace("default")
		}
		docs = append(docs, u)
	}
}
