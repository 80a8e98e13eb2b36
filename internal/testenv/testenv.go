// Package testenv starts a local control plane (kube-apiserver and etcd from
// envtest) with this project's CRDs installed, for tests.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// DefaultK8sVersion is the kube-apiserver version hack/setup-envtest.sh builds.
const DefaultK8sVersion = "1.37.1"

// AssetsDir returns the directory holding kube-apiserver and etcd: the
// KUBEBUILDER_ASSETS variable when set, else the directory setup-envtest (and
// hack/setup-envtest.sh) uses.
func AssetsDir() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	dataHome := os.Getenv("XDG_DATA_HOME")
	if dataHome == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding the home directory: %w", err)
		}
		dataHome = filepath.Join(home, ".local", "share")
	}
	dir := filepath.Join(dataHome, "kubebuilder-envtest", "k8s",
		fmt.Sprintf("%s-%s-%s", DefaultK8sVersion, runtime.GOOS, runtime.GOARCH))
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", errors.New("envtest binaries not found: run `make envtest` (or `make test`, which sets KUBEBUILDER_ASSETS)")
		}
	}
	return dir, nil
}

// RepoRoot returns the repository root, found from this source file.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Start starts a control plane with the CRDs of config/crd/bases installed.
// Call Stop on the returned environment when done.
func Start() (*envtest.Environment, *rest.Config, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, nil, err
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, nil, fmt.Errorf("starting envtest control plane from %s: %w", assets, err)
	}
	return env, cfg, nil
}
