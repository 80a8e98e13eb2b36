package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PolicyType is a Spacelift policy type. STACK_ACCESS, TERRAFORM_PLAN and
// TASK_RUN are deprecated spellings of ACCESS, PLAN and TASK; they are accepted
// and sent to Spacelift under their current names.
// +kubebuilder:validation:Enum=ACCESS;APPROVAL;GIT_PUSH;INITIALIZATION;LOGIN;NOTIFICATION;PLAN;TASK;TRIGGER;STACK_ACCESS;TERRAFORM_PLAN;TASK_RUN
type PolicyType string

// Current policy type names.
const (
	PolicyTypeAccess         PolicyType = "ACCESS"
	PolicyTypeApproval       PolicyType = "APPROVAL"
	PolicyTypeGitPush        PolicyType = "GIT_PUSH"
	PolicyTypeInitialization PolicyType = "INITIALIZATION"
	PolicyTypeLogin          PolicyType = "LOGIN"
	PolicyTypeNotification   PolicyType = "NOTIFICATION"
	PolicyTypePlan           PolicyType = "PLAN"
	PolicyTypeTask           PolicyType = "TASK"
	PolicyTypeTrigger        PolicyType = "TRIGGER"
)

// deprecatedPolicyTypes maps deprecated policy type names to current ones.
var deprecatedPolicyTypes = map[PolicyType]PolicyType{
	"STACK_ACCESS":   PolicyTypeAccess,
	"TERRAFORM_PLAN": PolicyTypePlan,
	"TASK_RUN":       PolicyTypeTask,
}

// Canonical returns the current name of a policy type, resolving deprecated
// aliases; other values are returned unchanged.
func (t PolicyType) Canonical() PolicyType {
	if c, ok := deprecatedPolicyTypes[t]; ok {
		return c
	}
	return t
}

// PolicyEngineType is the Rego dialect a policy body is written in.
// +kubebuilder:validation:Enum=REGO_V0;REGO_V1
type PolicyEngineType string

const (
	// PolicyEngineRegoV0 is Rego as before OPA 1.0.
	PolicyEngineRegoV0 PolicyEngineType = "REGO_V0"
	// PolicyEngineRegoV1 is Rego v1 (OPA 1.0 and later: `if`, `contains`).
	PolicyEngineRegoV1 PolicyEngineType = "REGO_V1"
)

// PolicySpec is the desired state of one Spacelift policy.
// +kubebuilder:validation:XValidation:rule="has(self.body) != has(self.bodyFrom)",message="set exactly one of body and bodyFrom"
// +kubebuilder:validation:XValidation:rule="self.type != 'LOGIN' || !has(self.labels) || self.labels.all(l, !l.startsWith('autoattach:'))",message="a LOGIN policy applies to the whole account and is never attached to stacks: remove the autoattach: label",fieldPath=".labels"
type PolicySpec struct {
	// name is the Spacelift policy name. Defaults to metadata.name.
	// +optional
	Name SpaceliftName `json:"name,omitempty"`

	// type is the policy type; it cannot be changed after creation, except
	// from a deprecated name to its current one.
	// +kubebuilder:validation:XValidation:rule="(self == 'STACK_ACCESS' ? 'ACCESS' : self == 'TERRAFORM_PLAN' ? 'PLAN' : self == 'TASK_RUN' ? 'TASK' : self) == (oldSelf == 'STACK_ACCESS' ? 'ACCESS' : oldSelf == 'TERRAFORM_PLAN' ? 'PLAN' : oldSelf == 'TASK_RUN' ? 'TASK' : oldSelf)",message="type is immutable (a deprecated name may be replaced by its current one): create a new Policy instead"
	Type PolicyType `json:"type"`

	// engineType is the Rego dialect of the body. The body is parsed and
	// compiled with it before upload.
	// +kubebuilder:default=REGO_V1
	// +optional
	EngineType PolicyEngineType `json:"engineType,omitempty"`

	// body is the Rego source of the policy.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=262144
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('[^[:space:]]')",message="body must hold the Rego source of the policy, not only white space"
	// +optional
	Body *string `json:"body,omitempty"`

	// bodyFrom takes the Rego source from a ConfigMap key; the ConfigMap is watched.
	// +optional
	BodyFrom *PolicyBodySource `json:"bodyFrom,omitempty"`

	// labels are Spacelift labels; `autoattach:<label>` attaches the policy to
	// every stack carrying <label> (`autoattach:*` to every stack).
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +kubebuilder:validation:XValidation:rule="self.all(l, !l.startsWith('autoattach:') || l.size() > 11)",message="autoattach: needs the label of the stacks to attach to after the colon, e.g. autoattach:production (autoattach:* attaches to every stack)"
	// +optional
	Labels []SpaceliftLabel `json:"labels,omitempty"`

	// space is the id of the Spacelift space the policy belongs to.
	// +kubebuilder:default=root
	// +optional
	Space SpaceID `json:"space,omitempty"`

	// description is free-form text shown in Spacelift.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`

	// deletionPolicy says what happens in Spacelift when this object is
	// deleted: Retain keeps the policy, Delete deletes it.
	// +kubebuilder:default=Delete
	// +kubebuilder:validation:XValidation:rule="self != 'Destroy'",message="deletionPolicy of a Policy is Retain or Delete; Destroy applies to stacks only"
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// suspend stops reconciliation; nothing is written to Spacelift until it
	// is false again.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// interval is how often Spacelift is polled for edits made outside
	// Kubernetes, e.g. "10m"; at least 1m. Defaults to the operator's
	// --sync-interval.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ms|s|m|h))+$')",message="interval must be a duration such as 1m, 10m or 1h30m: numbers with the units ms, s, m or h, no spaces and no days (24h is a day)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ms|s|m|h))+$') || duration(self) >= duration('1m')",message="interval must be at least 1m: Spacelift is polled at most once a minute per object"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// credentialsRef names a Secret in this namespace with the keys
	// SPACELIFT_API_KEY_ENDPOINT, SPACELIFT_API_KEY_ID and
	// SPACELIFT_API_KEY_SECRET. Defaults to the operator's credentials.
	// +optional
	CredentialsRef *LocalObjectReference `json:"credentialsRef,omitempty"`
}

// PolicyBodySource is where a policy body comes from.
type PolicyBodySource struct {
	// configMapKeyRef selects a key of a ConfigMap in this namespace.
	ConfigMapKeyRef KeySelector `json:"configMapKeyRef"`
}

// PolicyStatus is the observed state of a Policy.
type PolicyStatus struct {
	CommonStatus `json:",inline"`

	// bodySHA256 is the SHA-256 of the body last uploaded.
	// +optional
	BodySHA256 string `json:"bodySHA256,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=slpolicy,categories=spacelift
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Spacelift ID",type=string,JSONPath=`.status.spaceliftID`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Policy is one Spacelift policy written in Rego.
type Policy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the Spacelift policy.
	Spec PolicySpec `json:"spec"`

	// status is what the operator last observed.
	// +optional
	Status PolicyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// PolicyList is a list of Policies.
type PolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the Policies.
	Items []Policy `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Policy{}, &PolicyList{})
}
