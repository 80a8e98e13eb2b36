package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DeletionPolicy says what happens in Spacelift when the Kubernetes object is deleted.
// +kubebuilder:validation:Enum=Retain;Delete;Destroy
type DeletionPolicy string

const (
	// DeletionPolicyRetain leaves the Spacelift object in place and only
	// forgets it.
	DeletionPolicyRetain DeletionPolicy = "Retain"
	// DeletionPolicyDelete deletes the Spacelift object but not the
	// infrastructure it manages.
	DeletionPolicyDelete DeletionPolicy = "Delete"
	// DeletionPolicyDestroy destroys the resources a stack manages, then
	// deletes the stack. It applies to stacks only.
	DeletionPolicyDestroy DeletionPolicy = "Destroy"
)

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// name of the object in the same namespace.
	Name ObjectName `json:"name"`
}

// KeySelector names one key of a Secret or ConfigMap in the same namespace.
type KeySelector struct {
	// name of the Secret or ConfigMap in the same namespace.
	Name ObjectName `json:"name"`

	// key within the Secret's or ConfigMap's data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-._a-zA-Z0-9]+$')",message="key must be a data key of the Secret or ConfigMap: letters, digits, '-', '_' and '.' only (no '/' or spaces)"
	Key string `json:"key"`
}

// The types below are aliases of string: they carry the validation markers of
// a kind of value so that every field holding one is checked alike, without
// changing the Go type the controllers work with.

// ObjectName is the name of a Kubernetes object (a DNS-1123 subdomain).
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be the name of a Kubernetes object: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
type ObjectName = string

// SpaceliftName is the display name of a Spacelift object. Spacelift derives
// the object's id from the ASCII letters and digits of the name (other runs
// of characters become "-"), so the name needs at least one of them.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=255
// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('[A-Za-z0-9]')",message="name must contain at least one ASCII letter or digit: Spacelift derives the id from them, and a name made only of emoji, punctuation or non-Latin letters has none"
// +kubebuilder:validation:XValidation:rule="!self.matches('[[:cntrl:]]')",message="name may not contain control characters such as newlines or tabs: write it on one line"
// +kubebuilder:validation:XValidation:rule="!self.matches('^[[:space:]]|[[:space:]]$')",message="name may not start or end with white space: remove it (check the YAML quoting)"
type SpaceliftName = string

// SpaceID is the id of a Spacelift space, such as root or
// platform-01HZX5N1QG7B4T3V6D8K2M9C0E; not its display name.
// +kubebuilder:validation:MaxLength=255
// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9][-_A-Za-z0-9]*$')",message="must be the id of a Spacelift space, such as root or platform-01HZX5N1QG7B4T3V6D8K2M9C0E: letters, digits, '-' and '_' (a display name with spaces or '/' is not an id); leave the field out for the default"
type SpaceID = string

// RelativePath is a path, or path glob, relative to a directory the field
// names (the repository root, the atmos base path, ...).
// +kubebuilder:validation:MaxLength=1024
// +kubebuilder:validation:XValidation:rule="!self.startsWith('/')",message="must be a relative path: remove the leading '/'"
// +kubebuilder:validation:XValidation:rule="!self.matches('(^|/)[.][.](/|$)')",message="may not contain '..': the path must stay inside the directory it is relative to"
type RelativePath = string

// GitRefName is a Git branch or tag name, without refs/heads/ or refs/tags/.
// +kubebuilder:validation:MaxLength=255
// +kubebuilder:validation:XValidation:rule="!self.startsWith('refs/')",message="must be a branch or tag name such as main or v1.2.0, without the refs/heads/ or refs/tags/ prefix"
// +kubebuilder:validation:XValidation:rule="!self.matches('[[:space:][:cntrl:]~^:?*[]|[.][.]|@[{]|^[-/.]|[/.]$|//')",message="must be a valid Git ref name: no spaces, '..', '//', '@{' or any of ~ ^ : ? * [, and no leading '-', '/' or '.' or trailing '/' or '.'"
type GitRefName = string

// CommitSHA is a full or abbreviated Git commit SHA.
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9a-f]{7,40}$')",message="must be a Git commit SHA: 7 to 40 lower-case hexadecimal digits, not a branch or tag name"
type CommitSHA = string

// ToolVersion is the version of a tool a runner uses, such as Terraform, or
// a version constraint: "1.5.7", "v1.9.0-beta1", "~> 1.5.0" or ">= 1.4, < 2.0".
// Empty means Spacelift's default.
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^ *(=|!=|>|>=|<|<=|~>)? *v?[0-9]+([.][0-9]+){0,2}(-[-.0-9A-Za-z]+)? *(, *(=|!=|>|>=|<|<=|~>)? *v?[0-9]+([.][0-9]+){0,2}(-[-.0-9A-Za-z]+)? *)*$')",message="must be a version such as 1.5.7 or a version constraint such as ~> 1.5.0 or >= 1.4, < 2.0"
type ToolVersion = string

// ImageReference is a container image reference: an optional registry host
// (with port), a lower-case repository path, an optional tag and an optional
// digest. Empty means Spacelift's default runner image.
// +kubebuilder:validation:MaxLength=1024
// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?([.][a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?[a-z0-9]+(([.]|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([.]|_|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][-.A-Za-z0-9_]{0,127})?(@[a-z0-9]+([-+._][a-z0-9]+)*:[a-fA-F0-9]{32,})?$')",message="must be a container image reference such as public.ecr.aws/spacelift/runner-terraform:latest or ghcr.io/acme/runner@sha256:<64 hex digits>: optional registry host, lower-case repository path, optional tag and digest, no spaces"
type ImageReference = string

// HTTPURL is an http:// or https:// URL with a host.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=2048
// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^https?://')",message="must be an http:// or https:// URL such as https://hooks.example.com/spacelift: add the scheme"
// +kubebuilder:validation:XValidation:rule="!self.matches('^https?://') || self.matches('^https?://[^/?#[:space:]]+([/?#]|$)')",message="must name a host after the scheme, e.g. https://hooks.example.com/spacelift"
// +kubebuilder:validation:XValidation:rule="!self.matches('[[:space:]]')",message="may not contain spaces: percent-encode them as %20"
type HTTPURL = string

// EnvVarName is the name of an environment variable: letters, digits and
// "_", not starting with a digit.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=255
// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^[A-Za-z_][A-Za-z0-9_]*$')",message="must be an environment variable name such as TF_VAR_vpc_id: letters, digits and '_', not starting with a digit"
type EnvVarName = string

// CommonStatus is the status every kind of this group carries.
type CommonStatus struct {
	// conditions describe the current state: Ready, Reconciling and Stalled
	// (kstatus) plus the kind's domain conditions such as Synced and Drifted.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the metadata.generation the conditions describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// spaceliftID is the id of the Spacelift object this object manages.
	// +optional
	SpaceliftID string `json:"spaceliftID,omitempty"`

	// url is the Spacelift web page of the managed object.
	// +optional
	URL string `json:"url,omitempty"`

	// lastHandledReconcileAt is the value of the
	// reconcile.spacelift.stackwright.io/requestedAt annotation the last
	// forced reconcile handled.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`
}

// AnnotationReconcileRequestedAt forces a reconcile that reads Spacelift
// afresh when set to a new value (for example the current time), like Flux's
// reconcile.fluxcd.io/requestedAt; status.lastHandledReconcileAt records the
// value handled:
//
//	kubectl annotate --overwrite stack/net reconcile.spacelift.stackwright.io/requestedAt="$(date +%s)"
const AnnotationReconcileRequestedAt = "reconcile.spacelift.stackwright.io/requestedAt"

// AnnotationSpaceliftID records the Spacelift id of the managed object on the
// object itself, so that losing status cannot lose the identity.
const AnnotationSpaceliftID = "spacelift.stackwright.io/id"

// AnnotationCreatePending is set on a Policy, with the intended Spacelift id
// as its value, right before a create call; it is cleared once the id is
// recorded. Seeing it after a crash means "look the object up before
// creating it again". A Stack instead gets its id annotation before the
// create and status.spaceliftID after it: an id not yet confirmed there
// means the same; a Stack still carrying this mark from an older operator is
// looked for by its ownership label.
const AnnotationCreatePending = "spacelift.stackwright.io/create-pending"

// LabelOwnership is the Spacelift label prefix that marks a Spacelift object as
// owned by a Kubernetes object; the full label is
// `k8s-owner:<namespace>/<name>`.
const LabelOwnership = "k8s-owner:"

// Finalizer is put on every object before the first write to Spacelift.
const Finalizer = "spacelift.stackwright.io/finalizer"

// Run request annotations. Like `kubectl rollout restart`, setting one to a
// new value (for example the current time) asks for one action; the value
// acted on is recorded in status so it is not repeated.
const (
	// AnnotationRunRequestedAt asks for a tracked run of the stack.
	AnnotationRunRequestedAt = "spacelift.stackwright.io/run-requested-at"
	// AnnotationProposeRequestedAt asks for a proposed run of the stack.
	AnnotationProposeRequestedAt = "spacelift.stackwright.io/propose-requested-at"
	// AnnotationConfirmRun asks to confirm the run whose id is its value.
	AnnotationConfirmRun = "spacelift.stackwright.io/confirm-run"
)
