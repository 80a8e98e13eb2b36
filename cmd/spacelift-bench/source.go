package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// Limits of the ConfigMap source: spec.source.configMaps takes at most 50
// mounts, and a ConfigMap must stay under 1 MiB (the bench keeps a margin).
const (
	maxConfigMapMounts = 50
	maxConfigMapBytes  = 900 << 10
)

// treeSource is how an AdminStack reads a generated tree.
type treeSource struct {
	// kind is "configmaps" or "git".
	kind       string
	configMaps []*corev1.ConfigMap
	spec       spaceliftv1alpha1.AtmosSource
	cleanup    func()
}

// configMapSource lays the tree out as one ConfigMap per directory, the way
// config/samples/atmos does, or reports why it does not fit.
func configMapSource(tree fstest.MapFS, namespace, prefix string) (*treeSource, error) {
	byDir := map[string]map[string]string{}
	for name, f := range tree {
		dir, file := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		if byDir[dir] == nil {
			byDir[dir] = map[string]string{}
		}
		byDir[dir][file] = string(f.Data)
	}
	if len(byDir) > maxConfigMapMounts {
		return nil, fmt.Errorf("the tree has %d directories, more than the %d ConfigMaps an AdminStack mounts", len(byDir), maxConfigMapMounts)
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	src := &treeSource{kind: "configmaps", cleanup: func() {}}
	for i, d := range dirs {
		size := 0
		for k, v := range byDir[d] {
			size += len(k) + len(v)
		}
		if size > maxConfigMapBytes {
			return nil, fmt.Errorf("directory %q holds %d bytes, too much for one ConfigMap", d, size)
		}
		name := fmt.Sprintf("%s-%02d", prefix, i)
		src.configMaps = append(src.configMaps, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Data: byDir[d]})
		src.spec.ConfigMaps = append(src.spec.ConfigMaps, spaceliftv1alpha1.ConfigMapMount{Name: name, Path: d})
	}
	return src, nil
}

// gitSource commits the tree to a new repository in a temporary directory,
// read over file:// (the transport runs git-upload-pack, so git must be
// installed).
func gitSource(tree fstest.MapFS) (*treeSource, error) {
	dir, err := os.MkdirTemp("", "spacelift-bench-atmos-")
	if err != nil {
		return nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	fail := func(err error) (*treeSource, error) {
		cleanup()
		return nil, fmt.Errorf("creating the Git source: %w", err)
	}
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		return fail(err)
	}
	for name, f := range tree {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fail(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil { //nolint:gosec // test data
			return fail(err)
		}
	}
	wt, err := repo.Worktree()
	if err != nil {
		return fail(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return fail(err)
	}
	sig := &object.Signature{Name: "spacelift-bench", Email: "bench@example.invalid", When: time.Now()}
	if _, err := wt.Commit("generated atmos tree", &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
		return fail(err)
	}
	return &treeSource{kind: "git", cleanup: cleanup, spec: spaceliftv1alpha1.AtmosSource{Git: &spaceliftv1alpha1.GitSource{
		URL: "file://" + dir, Ref: &spaceliftv1alpha1.GitRef{Branch: "main"}}}}, nil
}

// newTreeSource picks the source: kind "auto" uses ConfigMaps when the tree
// fits in them, else Git.
func newTreeSource(kind string, tree fstest.MapFS, namespace string) (*treeSource, error) {
	switch kind {
	case "configmaps":
		return configMapSource(tree, namespace, "atmos")
	case "git":
		return gitSource(tree)
	case "auto":
		if src, err := configMapSource(tree, namespace, "atmos"); err == nil {
			return src, nil
		}
		return gitSource(tree)
	default:
		return nil, fmt.Errorf("unknown source %q (want auto, configmaps or git)", kind)
	}
}
