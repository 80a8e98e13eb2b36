package main

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
)

// namedTreeDir writes an atmos tree whose component names a worker pool and a
// space, and an AdminStack over it.
func namedTreeDir(t *testing.T, pool string) (admin, tree string) {
	dir := t.TempDir()
	tree = filepath.Join(dir, "tree")
	writeFile(t, filepath.Join(tree, "atmos.yaml"), "stacks:\n  base_path: stacks\n  included_paths: ['**/*']\n  name_pattern: '{stage}'\n")
	writeFile(t, filepath.Join(tree, "stacks", "dev.yaml"), "vars:\n  stage: dev\ncomponents:\n  terraform:\n    vpc:\n      settings:\n        spacelift:\n"+
		"          workspace_enabled: true\n          worker_pool_name: "+pool+"\n          space_name: Platform\n")
	admin = filepath.Join(dir, "admin.yaml")
	writeFile(t, admin, "apiVersion: spacelift.stackwright.io/v1alpha1\nkind: AdminStack\nmetadata: {name: dev}\nspec:\n  source: {configMaps: [{name: tree}]}\n  repository: infra\n")
	return admin, tree
}

func TestRenderNamesOffline(t *testing.T) {
	t.Setenv("SPACELIFT_API_KEY_ENDPOINT", "")
	admin, tree := namedTreeDir(t, "acme-workers")
	code, out, stderr := runRenderCmd(t, "-f", admin, "--source", tree)
	if code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"render: ran offline", `worker pool "acme-workers" (stacks/dev.yaml: settings.spacelift.worker_pool_name)`,
		`space "Platform" (stacks/dev.yaml: settings.spacelift.space_name)`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(out, "workerPool: acme-workers") {
		t.Errorf("offline output does not keep the name as written:\n%s", out)
	}
}

func TestRenderNamesResolved(t *testing.T) {
	emu, err := emulator.New(emulator.Options{APIKeyID: "k", APIKeySecret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Seed(emulator.Seed{
		Spaces:      []emulator.SeedSpace{{ID: "platform-01HX", Name: "Platform"}},
		WorkerPools: []emulator.SeedWorkerPool{{ID: "01HWPACME", Name: "acme-workers"}},
	}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	t.Setenv("SPACELIFT_API_KEY_ENDPOINT", srv.URL)
	t.Setenv("SPACELIFT_API_KEY_ID", "k")
	t.Setenv("SPACELIFT_API_KEY_SECRET", "s3cret")

	admin, tree := namedTreeDir(t, "acme-workers")
	code, out, stderr := runRenderCmd(t, "-f", admin, "--source", tree)
	if code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "offline") || !strings.Contains(out, "workerPool: 01HWPACME") || !strings.Contains(out, "space: platform-01HX") {
		t.Errorf("names not resolved; stdout:\n%s\nstderr:\n%s", out, stderr)
	}

	admin, tree = namedTreeDir(t, "acme-wrokers")
	code, _, stderr = runRenderCmd(t, "-f", admin, "--source", tree)
	want := `worker pool "acme-wrokers": no worker pool has this name; set in stacks/dev.yaml: settings.spacelift.worker_pool_name`
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit code %d, stderr:\n%s\nwant 1 and %q", code, stderr, want)
	}
}
