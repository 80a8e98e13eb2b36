// Package helmchart holds the tests of the Helm chart in
// config/helm/spacelift-operator: they render it with Helm's own packages and
// check the objects, and they fail when its CRDs or ClusterRole rules lag
// what `make manifests` generated (hack/gen-helm-crds.sh copies them). They
// also build the kustomizations config/default and config/rbac-namespaced
// and check where each grants the manager's rules.
package helmchart
