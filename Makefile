# spacelift-operator Makefile. `make help` lists the targets.

IMG ?= spacelift-operator:dev
ENVTEST_K8S_VERSION ?= 1.37.1
LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
KUBECTL ?= kubectl
GO_TEST_FLAGS ?= -race

.DEFAULT_GOAL := help
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %-18s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Demo

.PHONY: demo
demo: ## Run the demo: local control plane + Spacelift emulator + operator, samples applied, drift seeded, summary printed.
	KUBEBUILDER_ASSETS="$$(ENVTEST_K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/setup-envtest.sh)" go run ./cmd/spacelift-dev demo

.PHONY: dev-env
dev-env: ## Start the same environment and keep it running; source .devenv/env to use it.
	KUBEBUILDER_ASSETS="$$(ENVTEST_K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/setup-envtest.sh)" go run ./cmd/spacelift-dev up

.PHONY: dev-env-down
dev-env-down: ## Stop the environment started by dev-env.
	@if [ -f .devenv/pid ]; then kill "$$(cat .devenv/pid)" 2>/dev/null || true; rm -f .devenv/pid; echo "stopped"; else echo "no dev environment running"; fi

.PHONY: bench
bench: ## Benchmarks: plain Stacks and AdminStack children to Ready against the emulator at 20 ms latency, figures vs floors and targets (BENCH_ARGS="-mode stacks -n 1000 -defaults").
	KUBEBUILDER_ASSETS="$$(ENVTEST_K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/setup-envtest.sh)" go run ./cmd/spacelift-bench $(BENCH_ARGS)

##@ Development

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs and the RBAC role from markers, and copy them into the Helm chart.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./api/..." paths="./controllers/..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	hack/gen-helm-crds.sh

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -l -w $$(git ls-files '*.go' | grep -v '^hack/')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: envtest
envtest: ## Build kube-apiserver and etcd for envtest (reused when present).
	@hack/setup-envtest.sh >/dev/null

.PHONY: test
test: manifests generate vet ## Run all tests (envtest binaries are built on first use); the fault suite runs without -race, at its full 500 children.
	KUBEBUILDER_ASSETS="$$(ENVTEST_K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/setup-envtest.sh)" go test $(GO_TEST_FLAGS) $$(go list ./... | grep -v /internal/faultsuite)
	KUBEBUILDER_ASSETS="$$(ENVTEST_K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/setup-envtest.sh)" go test -count=1 -timeout 12m ./internal/faultsuite

##@ Build

.PHONY: build
build: ## Build the operator and emulator binaries into bin/.
	go build -o $(LOCALBIN)/spacelift-operator ./cmd
	go build -o $(LOCALBIN)/spacelift-emulator ./cmd/spacelift-emulator
	go build -o $(LOCALBIN)/spacelift-dev ./cmd/spacelift-dev

.PHONY: run
run: manifests generate ## Run the manager against the current kubeconfig.
	go run ./cmd $(ARGS)

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build -t $(IMG) .

##@ Deployment

.PHONY: install
install: manifests ## Install the CRDs into the current cluster.
	$(KUBECTL) apply --server-side -k config/crd

.PHONY: uninstall
uninstall: manifests ## Remove the CRDs from the current cluster.
	$(KUBECTL) delete --ignore-not-found -k config/crd

.PHONY: deploy
deploy: manifests ## Deploy the operator (image IMG, e.g. registry:5000/spacelift-operator:v1) to the current cluster.
	@img='$(IMG)'; name="$$img"; tag=latest; \
	case "$${img##*/}" in *:*) name="$${img%:*}"; tag="$${img##*:}";; esac; \
	dir=$(CURDIR)/.deploy; rm -rf "$$dir"; mkdir -p "$$dir"; trap 'rm -rf "$$dir"' EXIT; \
	printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- %s\nimages:\n- name: spacelift-operator\n  newName: %s\n  newTag: %s\n' \
		"../config/default" "$$name" "$$tag" > "$$dir/kustomization.yaml"; \
	$(KUBECTL) kustomize "$$dir" | grep -q "image: $$name:$$tag$$" || { echo "deploy: the rendered manifests do not use $$name:$$tag" >&2; exit 1; }; \
	$(KUBECTL) apply --server-side -k "$$dir"

.PHONY: undeploy
undeploy: ## Remove the operator from the current cluster.
	$(KUBECTL) delete --ignore-not-found -k config/default

##@ Tools

$(CONTROLLER_GEN): hack/tools/go.mod hack/tools/go.sum
	mkdir -p $(LOCALBIN)
	cd hack/tools && go build -o $(CONTROLLER_GEN) sigs.k8s.io/controller-tools/cmd/controller-gen
