package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AdminStackSpec is the desired state of an administrative Spacelift stack and
// of the child stacks its context filters select from atmos stack configuration.
type AdminStackSpec struct {
	// source is where the atmos stack configuration is read from.
	Source AtmosSource `json:"source"`

	// atmos overrides the settings of the source's atmos.yaml; fields left
	// empty are read from atmos.yaml when it is present.
	// +optional
	Atmos AtmosSettings `json:"atmos,omitempty"`

	// contextFilters select the component instances that become child stacks.
	// Within one list any value matches; across criteria all must match; an
	// empty list matches everything.
	// +optional
	ContextFilters ContextFilters `json:"contextFilters,omitempty"`

	// excludedContextFilters remove component instances whose value is listed
	// or that carry any of the listed tag pairs.
	// +optional
	ExcludedContextFilters ExcludedContextFilters `json:"excludedContextFilters,omitempty"`

	// rootAdmin makes this the root admin stack: its filters select other
	// admin stacks (settings.spacelift.administrative), which become child
	// AdminStack objects instead of Stacks.
	// +optional
	RootAdmin bool `json:"rootAdmin,omitempty"`

	// adminStack configures the administrative Spacelift stack itself.
	// +optional
	AdminStack AdminStackSettings `json:"adminStack,omitempty"`

	// labels are added to every child stack. autoattach:<label> labels
	// have an effect on policies and contexts only and are refused here.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +kubebuilder:validation:XValidation:rule="self.all(l, !l.startsWith('autoattach:'))",message="autoattach: labels have an effect on policies and contexts only: to receive the policies labelled autoattach:<label>, give the stack the plain label <label>"
	// +optional
	Labels []SpaceliftLabel `json:"labels,omitempty"`

	// adminStackLabel is the label key, set on every child stack as
	// `<key>:<admin stack name>`, that names the admin stack managing it.
	// +kubebuilder:default=admin-stack-name
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^[A-Za-z0-9][-A-Za-z0-9_.]*$')",message="adminStackLabel is a label key: letters, digits, '-', '_' and '.', starting with a letter or digit, without ':' (the operator adds :<admin stack name> itself)"
	// +optional
	AdminStackLabel string `json:"adminStackLabel,omitempty"`

	// repository is the repository holding the components' code, as the VCS
	// provider names it, e.g. acme/infrastructure.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="!self.contains('://') && !self.startsWith('git@')",message="repository is the repository name as the VCS provider shows it, e.g. acme/infrastructure, not a clone URL (the atmos configuration's URL goes in source.git.url)"
	Repository string `json:"repository"`

	// provider is the VCS provider hosting the repository.
	// +kubebuilder:default=GITHUB
	// +optional
	Provider VCSProvider `json:"provider,omitempty"`

	// componentRoot is the directory holding Terraform components; a child's
	// project root is <componentRoot>/<component>.
	// +kubebuilder:default=components/terraform
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/')",message="componentRoot must be relative to the repository root"
	// +kubebuilder:validation:XValidation:rule="!self.matches('(^|/)[.][.](/|$)')",message="componentRoot may not contain '..': it must stay inside the repository"
	// +optional
	ComponentRoot string `json:"componentRoot,omitempty"`

	// childDefaults are the settings of every child stack that its
	// settings.spacelift section does not set.
	// +optional
	ChildDefaults ChildStackDefaults `json:"childDefaults,omitempty"`

	// childPolicyAttachments are attached to every child stack, in addition to
	// each component's settings.spacelift.policies. Each policy is listed once.
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:XValidation:rule="self.all(p, !has(p.name) || self.exists_one(q, has(q.name) && q.name == p.name))",message="lists a Policy more than once: attach each policy once"
	// +kubebuilder:validation:XValidation:rule="self.all(p, !has(p.id) || self.exists_one(q, has(q.id) && q.id == p.id))",message="lists a policy id more than once: attach each policy once"
	// +optional
	ChildPolicyAttachments []PolicyReference `json:"childPolicyAttachments,omitempty"`

	// rootStackPolicyAttachments are attached to the administrative stack
	// itself. Each policy is listed once.
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:XValidation:rule="self.all(p, !has(p.name) || self.exists_one(q, has(q.name) && q.name == p.name))",message="lists a Policy more than once: attach each policy once"
	// +kubebuilder:validation:XValidation:rule="self.all(p, !has(p.id) || self.exists_one(q, has(q.id) && q.id == p.id))",message="lists a policy id more than once: attach each policy once"
	// +optional
	RootStackPolicyAttachments []PolicyReference `json:"rootStackPolicyAttachments,omitempty"`

	// prune deletes child stacks that are no longer selected, according to
	// their deletionPolicy. With prune false they are kept and reported.
	// +kubebuilder:default=true
	// +optional
	Prune bool `json:"prune"`

	// pruneGuard stops a change that would delete many children at once (a
	// typo in a filter, a catalog file that turns workspace_enabled off)
	// until a person confirms it for that source revision and generation
	// with the annotation spacelift.stackwright.io/confirm-prune.
	// +optional
	PruneGuard PruneGuard `json:"pruneGuard,omitempty"`

	// suspend stops reconciliation of the admin stack and the creation of
	// children; existing children keep their own reconciliation.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// interval is how often the source is polled and Spacelift is checked,
	// e.g. "10m"; at least 1m. Defaults to the operator's --sync-interval.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ms|s|m|h))+$')",message="interval must be a duration such as 1m, 10m or 1h30m: numbers with the units ms, s, m or h, no spaces and no days (24h is a day)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ms|s|m|h))+$') || duration(self) >= duration('1m')",message="interval must be at least 1m: Spacelift is polled at most once a minute per object"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// credentialsRef names a Secret in this namespace with the keys
	// SPACELIFT_API_KEY_ENDPOINT, SPACELIFT_API_KEY_ID and
	// SPACELIFT_API_KEY_SECRET; children inherit it. Defaults to the
	// operator's credentials.
	// +optional
	CredentialsRef *LocalObjectReference `json:"credentialsRef,omitempty"`
}

// AtmosSource is where atmos stack configuration comes from: a Git repository
// or ConfigMaps, one of the two.
// +kubebuilder:validation:XValidation:rule="has(self.git) != (has(self.configMaps) && size(self.configMaps) > 0)",message="set exactly one of source.git and source.configMaps"
type AtmosSource struct {
	// git reads the configuration from a Git repository.
	// +optional
	Git *GitSource `json:"git,omitempty"`

	// configMaps mount ConfigMaps as directories of one tree: each key is a
	// file (keys may not contain "/", so nest with several ConfigMaps).
	// +kubebuilder:validation:MaxItems=50
	// +listType=map
	// +listMapKey=name
	// +optional
	ConfigMaps []ConfigMapMount `json:"configMaps,omitempty"`
}

// GitSource is a Git repository polled for atmos stack configuration.
// +kubebuilder:validation:XValidation:rule="!has(self.ref) || [has(self.ref.branch), has(self.ref.tag), has(self.ref.commit)].filter(x, x).size() <= 1",message="set at most one of ref.branch, ref.tag and ref.commit"
type GitSource struct {
	// url of the repository (https://, ssh:// or git@host:path).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^(https?://|ssh://|git@|file://)')",message="url must start with https://, http://, ssh://, git@ (scp-like SSH, git@host:path) or file://, e.g. https://github.com/acme/infrastructure"
	// +kubebuilder:validation:XValidation:rule="!self.matches('[[:space:]]')",message="url may not contain spaces: percent-encode them as %20"
	URL string `json:"url"`

	// ref selects what to check out; defaults to the remote's default branch.
	// +optional
	Ref *GitRef `json:"ref,omitempty"`

	// path is the directory within the repository that holds atmos.yaml
	// (the atmos base path is relative to it).
	// +optional
	Path RelativePath `json:"path,omitempty"`

	// secretRef names a Secret in this namespace with credentials: keys
	// username and password (HTTPS), or identity and known_hosts (SSH).
	// +optional
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`

	// interval is how often the repository is polled, e.g. "1m"; at least 1s.
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ms|s|m|h))+$')",message="interval must be a duration such as 1m, 10m or 1h30m: numbers with the units ms, s, m or h, no spaces and no days (24h is a day)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ms|s|m|h))+$') || duration(self) >= duration('1s')",message="interval must be at least 1s: 0 or a fraction of a second would poll the repository without pause"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`
}

// GitRef selects a branch, tag or commit.
type GitRef struct {
	// branch to track, e.g. main.
	// +optional
	Branch GitRefName `json:"branch,omitempty"`

	// tag to check out, e.g. v1.2.0.
	// +optional
	Tag GitRefName `json:"tag,omitempty"`

	// commit SHA to check out.
	// +optional
	Commit CommitSHA `json:"commit,omitempty"`
}

// ConfigMapMount places the keys of a ConfigMap as files in a directory of
// the atmos tree.
type ConfigMapMount struct {
	// name of the ConfigMap in this namespace.
	Name ObjectName `json:"name"`

	// path is the directory, relative to the tree root, the keys appear in;
	// empty for the root.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && !self.contains('..')",message="path must be relative and may not contain '..'"
	// +optional
	Path string `json:"path,omitempty"`
}

// AtmosSettings are the parts of atmos.yaml that matter for stack discovery.
type AtmosSettings struct {
	// basePath is the directory of stack manifests (stacks.base_path),
	// relative to the directory of atmos.yaml.
	// +optional
	BasePath RelativePath `json:"basePath,omitempty"`

	// includedPaths are globs of top-level stack manifests
	// (stacks.included_paths), relative to basePath.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +optional
	IncludedPaths []RelativePath `json:"includedPaths,omitempty"`

	// excludedPaths are globs excluded from includedPaths
	// (stacks.excluded_paths), relative to basePath.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +optional
	ExcludedPaths []RelativePath `json:"excludedPaths,omitempty"`

	// namePattern builds stack names from context vars (stacks.name_pattern),
	// e.g. "{tenant}-{environment}-{stage}": the tokens {namespace},
	// {tenant}, {environment} and {stage} joined by "-". atmos ignores any
	// other part, so other parts are refused.
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="!self.matches('[{][{]')",message="namePattern takes {tokens} joined by '-', e.g. {tenant}-{environment}-{stage}, not a Go template: a template belongs in stacks.name_template of atmos.yaml"
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('[{][{]') || self.split('-').all(p, p in ['{namespace}', '{tenant}', '{environment}', '{stage}'])",messageExpression="'namePattern part \"' + self.split('-').filter(p, !(p in ['{namespace}', '{tenant}', '{environment}', '{stage}']))[0] + '\" is not one of the tokens {namespace}, {tenant}, {environment} and {stage}: fix its spelling, or remove it (atmos joins the token values with - and ignores anything else)'",message="namePattern may only join the tokens {namespace}, {tenant}, {environment} and {stage} with '-'"
	// +optional
	NamePattern string `json:"namePattern,omitempty"`
}

// ContextFilters select component instances by their atmos context.
type ContextFilters struct {
	// namespaces to include.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +optional
	Namespaces []string `json:"namespaces,omitempty"`
	// environments to include.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +optional
	Environments []string `json:"environments,omitempty"`
	// tenants to include.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +optional
	Tenants []string `json:"tenants,omitempty"`
	// stages to include.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +optional
	Stages []string `json:"stages,omitempty"`
	// tags include an instance when at least one pair matches its vars.tags.
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
	// administrative: unset matches any instance, false those whose
	// settings.spacelift.administrative is absent or false, true those where
	// it is true.
	// +optional
	Administrative *bool `json:"administrative,omitempty"`
	// rootAdministrative is like administrative for
	// settings.spacelift.root_administrative.
	// +optional
	RootAdministrative *bool `json:"rootAdministrative,omitempty"`
}

// ExcludedContextFilters remove component instances by their atmos context.
type ExcludedContextFilters struct {
	// namespaces to exclude.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +optional
	Namespaces []string `json:"namespaces,omitempty"`
	// environments to exclude.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +optional
	Environments []string `json:"environments,omitempty"`
	// tenants to exclude.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +optional
	Tenants []string `json:"tenants,omitempty"`
	// stages to exclude.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +optional
	Stages []string `json:"stages,omitempty"`
	// tags exclude an instance when any pair matches its vars.tags.
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// PruneGuard bounds how many children one change may delete without a
// confirmation. A change is blocked when it would delete more than maxCount
// children and more than maxPercent of them, or all of them.
type PruneGuard struct {
	// maxCount is how many children a change may delete unconfirmed,
	// whatever the share. Defaults to 5.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100000
	// +optional
	MaxCount *int32 `json:"maxCount,omitempty"`

	// maxPercent is the share of the children (0-100) a change may delete
	// unconfirmed, whatever the count. Defaults to 20.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	MaxPercent *int32 `json:"maxPercent,omitempty"`
}

// AnnotationConfirmPrune on an AdminStack confirms a blocked prune: its value
// must be the token the PruneBlocked condition names (the source revision and
// the generation), so that a confirmation never carries over to a later
// change.
const AnnotationConfirmPrune = "spacelift.stackwright.io/confirm-prune"

// AdminStackSettings configure the administrative Spacelift stack.
type AdminStackSettings struct {
	// name is the Spacelift name of the admin stack. Defaults to metadata.name.
	// +optional
	Name SpaceliftName `json:"name,omitempty"`

	// description of the admin stack.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`

	// projectRoot of the admin stack.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/')",message="projectRoot must be relative to the repository root"
	// +kubebuilder:validation:XValidation:rule="!self.matches('(^|/)[.][.](/|$)')",message="projectRoot may not contain '..': it must stay inside the repository"
	// +optional
	ProjectRoot string `json:"projectRoot,omitempty"`

	// labels of the admin stack itself.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +kubebuilder:validation:XValidation:rule="self.all(l, !l.startsWith('autoattach:'))",message="autoattach: labels have an effect on policies and contexts only: to receive the policies labelled autoattach:<label>, give the stack the plain label <label>"
	// +optional
	Labels []SpaceliftLabel `json:"labels,omitempty"`

	// space is the id of the admin stack's space; defaults to childDefaults.space.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Space string `json:"space,omitempty"`

	// roleBindings grant the admin stack roles in spaces, so that it may
	// manage the child stacks there; each role and space pair appears once.
	// Without roleBindings the admin stack gets the Space Admin role on its
	// space: that binding replaces Spacelift's deprecated administrative
	// flag, which Spacelift refuses since 2026-06-01.
	// +kubebuilder:validation:MaxItems=50
	// +listType=map
	// +listMapKey=roleID
	// +listMapKey=spaceID
	// +optional
	RoleBindings []StackRoleBinding `json:"roleBindings,omitempty"`
}

// ChildStackDefaults are the per-child settings used when a component's
// settings.spacelift section does not set them.
// +kubebuilder:validation:XValidation:rule="!has(self.terraformVersion) || size(self.terraformVersion) == 0 || self.terraformVersion.matches('^ *(=|!=|>|>=|<|<=|~>)? *v?[0-9]+([.][0-9]+){0,2}(-[-.0-9A-Za-z]+)? *(, *(=|!=|>|>=|<|<=|~>)? *v?[0-9]+([.][0-9]+){0,2}(-[-.0-9A-Za-z]+)? *)*$') || (has(self.terraformVersionMap) && self.terraformVersion in self.terraformVersionMap)",message="terraformVersion must be a version such as 1.5.7, a version constraint such as ~> 1.5.0, or a key of terraformVersionMap",fieldPath=".terraformVersion"
type ChildStackDefaults struct {
	// autodeploy applies tracked runs without confirmation.
	// +optional
	Autodeploy bool `json:"autodeploy,omitempty"`

	// autoretry retries runs that fail because of an obsolete plan.
	// +optional
	Autoretry bool `json:"autoretry,omitempty"`

	// branch is the tracked Git branch.
	// +kubebuilder:default=main
	// +kubebuilder:validation:MinLength=1
	// +optional
	Branch GitRefName `json:"branch,omitempty"`

	// description of the child stacks.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`

	// manageState lets Spacelift manage the Terraform state of new children.
	// +kubebuilder:default=false
	// +optional
	ManageState *bool `json:"manageState,omitempty"`

	// protectFromDeletion protects the child stacks from deletion.
	// +optional
	ProtectFromDeletion bool `json:"protectFromDeletion,omitempty"`

	// runnerImage is a custom runner image reference, e.g.
	// public.ecr.aws/spacelift/runner-terraform:latest.
	// +optional
	RunnerImage ImageReference `json:"runnerImage,omitempty"`

	// localPreviewEnabled lets users preview local changes with spacectl.
	// +optional
	LocalPreviewEnabled bool `json:"localPreviewEnabled,omitempty"`

	// terraformVersion is the Terraform version, or a key of terraformVersionMap.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	TerraformVersion string `json:"terraformVersion,omitempty"`

	// terraformVersionMap maps names used in settings.spacelift.terraform_version
	// to concrete versions (or version constraints). The values are checked by
	// the operator, not at admission: a CEL rule over map values of unbounded
	// length exceeds the apiserver's cost budget.
	// +kubebuilder:validation:MaxProperties=100
	// +optional
	TerraformVersionMap map[string]string `json:"terraformVersionMap,omitempty"`

	// terraformWorkflowTool is TERRAFORM_FOSS, OPEN_TOFU or CUSTOM.
	// +kubebuilder:default=TERRAFORM_FOSS
	// +optional
	TerraformWorkflowTool TerraformWorkflowTool `json:"terraformWorkflowTool,omitempty"`

	// terraformSmartSanitization sanitizes only sensitive values in plans.
	// +optional
	TerraformSmartSanitization bool `json:"terraformSmartSanitization,omitempty"`

	// driftDetection configures drift detection of the children.
	// +optional
	DriftDetection *DriftDetection `json:"driftDetection,omitempty"`

	// awsIntegration attaches a Spacelift AWS integration to the children.
	// +optional
	AWSIntegration *AWSIntegrationAttachment `json:"awsIntegration,omitempty"`

	// webhook sends the children's run-state notifications to an endpoint.
	// +optional
	Webhook *Webhook `json:"webhook,omitempty"`

	// workerPool is the id of the children's private worker pool.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	WorkerPool string `json:"workerPool,omitempty"`

	// space is the id of the children's space.
	// +kubebuilder:default=root
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Space string `json:"space,omitempty"`

	// contexts are attached to every child.
	// +kubebuilder:validation:MaxItems=100
	// +listType=map
	// +listMapKey=id
	// +optional
	Contexts []ContextAttachment `json:"contexts,omitempty"`

	// deletionPolicy of the children; Destroy corresponds to the component's
	// stack destructor.
	// +kubebuilder:default=Delete
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// runOnCreate triggers a tracked run when a child is created.
	// +optional
	RunOnCreate bool `json:"runOnCreate,omitempty"`

	// commitSHA is the commit the first run of a new child uses.
	// +optional
	CommitSHA CommitSHA `json:"commitSHA,omitempty"`

	// nativeStackDependencies turns settings.depends_on into Spacelift stack
	// dependencies; otherwise they stay depends-on labels.
	// +optional
	NativeStackDependencies bool `json:"nativeStackDependencies,omitempty"`

	// writeOutputsToSecret writes every child's outputs into a Secret of its
	// own, named "<child name>-<nameSuffix>" (see the Stack field of the same
	// name). A name per child, because children share a namespace.
	// +optional
	WriteOutputsToSecret *ChildOutputsSecret `json:"writeOutputsToSecret,omitempty"`
}

// ChildOutputsSecret is the outputs Secret of every child stack, named after
// the child.
// +kubebuilder:validation:XValidation:rule="!has(self.outputs) || self.outputs.all(o, self.outputs.exists_one(p, (has(p.key) ? p.key : p.name) == (has(o.key) ? o.key : o.name)))",message="two outputs are written to the same key: give each a distinct key"
type ChildOutputsSecret struct {
	// nameSuffix is appended to the child's name, after a "-", to name its
	// Secret. Names longer than 253 characters are shortened with a hash.
	// +kubebuilder:default=outputs
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="nameSuffix must be lower-case letters, digits and '-', starting and ending with a letter or digit"
	// +optional
	NameSuffix string `json:"nameSuffix,omitempty"`

	// outputs selects the outputs to write and, optionally, renames them.
	// When empty, every output is written under its own name.
	// +kubebuilder:validation:MaxItems=100
	// +listType=map
	// +listMapKey=name
	// +optional
	Outputs []OutputSelector `json:"outputs,omitempty"`

	// configMapNameSuffix, when set, writes the non-sensitive outputs to a
	// ConfigMap named "<child name>-<configMapNameSuffix>" instead of the
	// Secret. Sensitive outputs are only ever written to the Secret.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="configMapNameSuffix must be lower-case letters, digits and '-', starting and ending with a letter or digit"
	// +optional
	ConfigMapNameSuffix string `json:"configMapNameSuffix,omitempty"`
}

// AdminStackStatus is the observed state of an AdminStack.
type AdminStackStatus struct {
	CommonStatus `json:",inline"`

	// sourceRevision is the Git commit, or a digest of the ConfigMaps, the
	// children were computed from.
	// +optional
	SourceRevision string `json:"sourceRevision,omitempty"`

	// selected is how many component instances the filters select.
	// +optional
	Selected int32 `json:"selected,omitempty"`

	// ready is how many children are Ready.
	// +optional
	Ready int32 `json:"ready,omitempty"`

	// drifted is how many children are Drifted.
	// +optional
	Drifted int32 `json:"drifted,omitempty"`

	// stalled is how many children are Stalled (need a person).
	// +optional
	Stalled int32 `json:"stalled,omitempty"`

	// readyChildren is "<ready>/<selected>", for the READY column.
	// +optional
	ReadyChildren string `json:"readyChildren,omitempty"`

	// children lists, sorted by name, the child objects that need attention:
	// not Ready, Drifted, or kept although no longer selected (prune: false).
	// At most 50 are listed (childrenNotListed counts the rest), so that the
	// status of an AdminStack with thousands of children stays small; the
	// counters above cover every child. `kubectl get stacks -l
	// spacelift.stackwright.io/admin-stack=<name>` lists them all.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=50
	// +optional
	Children []ChildStatus `json:"children,omitempty"`

	// childrenNotListed is how many children needing attention children
	// leaves out.
	// +optional
	ChildrenNotListed int32 `json:"childrenNotListed,omitempty"`
}

// ChildStatus describes one child of an AdminStack.
type ChildStatus struct {
	// name of the child object.
	Name string `json:"name"`

	// kind of the child object: Stack, or AdminStack under a root admin.
	// +optional
	Kind string `json:"kind,omitempty"`

	// stackName is the Spacelift stack name.
	// +optional
	StackName string `json:"stackName,omitempty"`

	// spaceliftID is the Spacelift id of the child stack.
	// +optional
	SpaceliftID string `json:"spaceliftID,omitempty"`

	// ready mirrors the child's Ready condition.
	// +optional
	Ready bool `json:"ready,omitempty"`

	// drifted mirrors the child's Drifted condition.
	// +optional
	Drifted bool `json:"drifted,omitempty"`

	// pruneSkipped is true for a child no longer selected that prune: false keeps.
	// +optional
	PruneSkipped bool `json:"pruneSkipped,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=sladmin,categories=spacelift
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Children Ready",type=string,JSONPath=`.status.readyChildren`
// +kubebuilder:printcolumn:name="Drifted",type=string,JSONPath=`.status.conditions[?(@.type=="Drifted")].status`
// +kubebuilder:printcolumn:name="Stalled",type=integer,JSONPath=`.status.stalled`,priority=1
// +kubebuilder:printcolumn:name="Spacelift ID",type=string,JSONPath=`.status.spaceliftID`
// +kubebuilder:printcolumn:name="Revision",type=string,JSONPath=`.status.sourceRevision`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// AdminStack is an administrative Spacelift stack plus the child stacks that
// its context filters select from atmos stack configuration.
type AdminStack struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the admin stack and its children.
	Spec AdminStackSpec `json:"spec"`

	// status is what the operator last observed.
	// +optional
	Status AdminStackStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// AdminStackList is a list of AdminStacks.
type AdminStackList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the AdminStacks.
	Items []AdminStack `json:"items"`
}

func init() {
	SchemeBuilder.Register(&AdminStack{}, &AdminStackList{})
}
