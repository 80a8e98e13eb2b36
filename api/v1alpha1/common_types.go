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
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// KeySelector names one key of a Secret or ConfigMap in the same namespace.
type KeySelector struct {
	// name of the Secret or ConfigMap in the same namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// key within the Secret's or ConfigMap's data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

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
}

// AnnotationSpaceliftID records the Spacelift id of the managed object on the
// object itself, so that losing status cannot lose the identity.
const AnnotationSpaceliftID = "spacelift.stackwright.io/id"

// AnnotationCreatePending is set, with the intended Spacelift id as its value,
// right before a create call; it is cleared once the id is recorded. Seeing it
// after a crash means "look the object up before creating it again".
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
