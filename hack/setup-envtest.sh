#!/usr/bin/env bash
# Builds the kube-apiserver and etcd binaries that controller-runtime's envtest
# needs, from their Go modules (through the Go module proxy), instead of
# downloading prebuilt archives with setup-envtest.
#
# The binaries land in the directory layout setup-envtest uses:
#   ${ENVTEST_DIR:-$HOME/.local/share/kubebuilder-envtest/k8s/<version>-<os>-<arch>}
# The build is skipped when both binaries are present and report the expected
# versions. The directory path is printed as the last line on stdout, so that
#   KUBEBUILDER_ASSETS=$(hack/setup-envtest.sh)
# works; every progress message goes to stderr.
#
# Versions are pinned in hack/envtest/kube-apiserver/go.mod and
# hack/envtest/etcd/go.mod (with complete go.sum files).
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${ROOT_DIR}/hack/envtest"
GO="${GO:-go}"

ENVTEST_K8S_VERSION="${ENVTEST_K8S_VERSION:-1.37.1}"
ENVTEST_K8S_VERSION="${ENVTEST_K8S_VERSION#v}"
ETCD_VERSION="3.5.21"

log() { printf 'setup-envtest: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v "${GO}" >/dev/null 2>&1 || die "'${GO}' not found in PATH"

# Go settings used only for the tool modules under hack/envtest:
# - GOWORK=off: never pick up a go.work from the repository.
# - GOFLAGS=-mod=readonly: go.mod/go.sum are complete and must not change.
# - GONOSUMDB=k8s.io: the checksum database cannot be queried for some k8s.io
#   modules here; their hashes are recorded in the committed go.sum files.
# - CGO_ENABLED=0: static binaries, no C toolchain needed.
tool_go() {
	env GOWORK=off GOFLAGS=-mod=readonly GONOSUMDB=k8s.io CGO_ENABLED=0 "${GO}" "$@"
}

GOOS="$(tool_go env GOOS)"
GOARCH="$(tool_go env GOARCH)"
ENVTEST_DIR="${ENVTEST_DIR:-${HOME}/.local/share/kubebuilder-envtest/k8s/${ENVTEST_K8S_VERSION}-${GOOS}-${GOARCH}}"

# up_to_date DIR: both binaries exist, run, and report the pinned versions.
up_to_date() {
	local dir="$1" out
	[[ -x "${dir}/kube-apiserver" && -x "${dir}/etcd" ]] || return 1
	out="$("${dir}/kube-apiserver" --version 2>/dev/null)" || return 1
	[[ "${out}" == "Kubernetes v${ENVTEST_K8S_VERSION}" ]] || return 1
	out="$("${dir}/etcd" --version 2>/dev/null)" || return 1
	[[ "${out}" == *"etcd Version: ${ETCD_VERSION}"* ]] || return 1
}

if up_to_date "${ENVTEST_DIR}"; then
	log "kube-apiserver v${ENVTEST_K8S_VERSION} and etcd ${ETCD_VERSION} already in ${ENVTEST_DIR}"
	echo "${ENVTEST_DIR}"
	exit 0
fi

# The requested version must be the one pinned in the tool module.
pinned="$(cd "${TOOLS_DIR}/kube-apiserver" && tool_go list -m -f '{{.Version}}' k8s.io/kubernetes)"
[[ "${pinned}" == "v${ENVTEST_K8S_VERSION}" ]] ||
	die "ENVTEST_K8S_VERSION=${ENVTEST_K8S_VERSION}, but hack/envtest/kube-apiserver/go.mod pins k8s.io/kubernetes ${pinned}"
pinned="$(cd "${TOOLS_DIR}/etcd" && tool_go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
[[ "${pinned}" == "v${ETCD_VERSION}" ]] ||
	die "hack/envtest/etcd/go.mod pins go.etcd.io/etcd/server/v3 ${pinned}, expected v${ETCD_VERSION}"

mkdir -p "${ENVTEST_DIR}"

# Serialize concurrent runs on the same directory, then check again: another
# run may have finished the build while this one waited.
if command -v flock >/dev/null 2>&1; then
	exec 9>"${ENVTEST_DIR}/.setup-envtest.lock"
	if ! flock -n 9; then
		log "waiting for another setup-envtest run on ${ENVTEST_DIR}"
		flock 9
	fi
	if up_to_date "${ENVTEST_DIR}"; then
		log "kube-apiserver v${ENVTEST_K8S_VERSION} and etcd ${ETCD_VERSION} already in ${ENVTEST_DIR}"
		echo "${ENVTEST_DIR}"
		exit 0
	fi
fi

# Build into a temporary directory next to the target (same filesystem), then
# move each binary into place with an atomic rename.
BUILD_DIR="$(mktemp -d "${ENVTEST_DIR}/.build.XXXXXX")"
trap 'rm -rf "${BUILD_DIR}"' EXIT

# Version information that Kubernetes' own build (hack/lib/version.sh) stamps
# into its binaries; without it kube-apiserver reports v0.0.0-master.
k8s_major="${ENVTEST_K8S_VERSION%%.*}"
k8s_minor="${ENVTEST_K8S_VERSION#*.}"
k8s_minor="${k8s_minor%%.*}"
build_date="$(cd "${TOOLS_DIR}/kube-apiserver" &&
	tool_go list -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes 2>/dev/null || true)"
build_date="${build_date:-1970-01-01T00:00:00Z}"
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	k8s_ldflags+=" -X ${pkg}.gitVersion=v${ENVTEST_K8S_VERSION}"
	k8s_ldflags+=" -X ${pkg}.gitMajor=${k8s_major}"
	k8s_ldflags+=" -X ${pkg}.gitMinor=${k8s_minor}"
	k8s_ldflags+=" -X ${pkg}.gitTreeState=archive"
	k8s_ldflags+=" -X ${pkg}.buildDate=${build_date}"
done

start=${SECONDS}
log "building kube-apiserver v${ENVTEST_K8S_VERSION} (this takes several minutes the first time)"
(cd "${TOOLS_DIR}/kube-apiserver" &&
	tool_go build -trimpath -ldflags "${k8s_ldflags}" \
		-o "${BUILD_DIR}/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)

log "building etcd ${ETCD_VERSION}"
(cd "${TOOLS_DIR}/etcd" &&
	tool_go build -trimpath -ldflags "-s -w" \
		-o "${BUILD_DIR}/etcd" go.etcd.io/etcd/server/v3)

up_to_date "${BUILD_DIR}" || die "the freshly built binaries do not report the expected versions"

mv -f "${BUILD_DIR}/kube-apiserver" "${ENVTEST_DIR}/kube-apiserver"
mv -f "${BUILD_DIR}/etcd" "${ENVTEST_DIR}/etcd"
log "built kube-apiserver and etcd in $((SECONDS - start))s into ${ENVTEST_DIR}"

echo "${ENVTEST_DIR}"
