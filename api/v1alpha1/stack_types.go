package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VCSProvider is a Spacelift VCS provider, spelled as the Spacelift API spells it.
// +kubebuilder:validation:Enum=GITHUB;GITHUB_ENTERPRISE;GITLAB;BITBUCKET_CLOUD;BITBUCKET_DATACENTER;AZURE_DEVOPS;GIT;SHOWCASE
type VCSProvider string

// TerraformWorkflowTool selects the Terraform implementation a stack runs.
// +kubebuilder:validation:Enum=TERRAFORM_FOSS;OPEN_TOFU;CUSTOM
type TerraformWorkflowTool string

// CronSchedule is a five-field cron expression (minute hour day-of-month month
// day-of-week), as Spacelift drift detection accepts it.
// +kubebuilder:validation:MaxLength=128
// +kubebuilder:validation:XValidation:rule="self.matches('^ *[^ ]+( +[^ ]+){4} *$')",message="schedule must be a cron expression with five fields: minute hour day-of-month month day-of-week, e.g. \"0 */4 * * *\""
// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9*/,\\\\- A-Za-z?LW#]+$')",message="schedule may contain only digits, letters, spaces and the characters * / , - ? L W #"
type CronSchedule string

// SpaceliftLabel is a Spacelift label: free text without leading or trailing
// white space and without commas.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=255
// +kubebuilder:validation:XValidation:rule="!self.contains(',')",message="a label may not contain commas: write each label as its own list item"
// +kubebuilder:validation:XValidation:rule="!self.matches('^[[:space:]]|[[:space:]]$')",message="a label may not start or end with white space: remove it"
// +kubebuilder:validation:XValidation:rule="!self.startsWith('k8s-owner:')",message="labels starting with k8s-owner: are reserved for the operator's ownership label"
type SpaceliftLabel string

// StackSpec is the desired state of one Spacelift stack.
// +kubebuilder:validation:XValidation:rule="[has(self.terraform), has(self.opentofu), has(self.terragrunt), has(self.pulumi), has(self.cloudFormation), has(self.kubernetes), has(self.ansible)].filter(x, x).size() == 1",message="exactly one vendor block must be set: terraform, opentofu, terragrunt, pulumi, cloudFormation, kubernetes or ansible"
// +kubebuilder:validation:XValidation:rule="!has(self.provider) || self.provider != 'GIT' || has(self.repositoryURL)",message="repositoryURL is required when provider is GIT"
type StackSpec struct {
	// name is the Spacelift stack name. The Spacelift id is derived from it at
	// creation (its ASCII letters and digits, other runs of characters as
	// "-") and does not change when the name changes later.
	// Defaults to metadata.name.
	// +optional
	Name SpaceliftName `json:"name,omitempty"`

	// repository is the repository name as the VCS provider knows it, e.g.
	// "infrastructure" or "acme/infrastructure".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="!self.contains('://') && !self.startsWith('git@')",message="repository is the repository name as the VCS provider shows it, e.g. acme/infrastructure, not a clone URL (for the GIT provider put the URL in repositoryURL)"
	Repository string `json:"repository"`

	// branch is the tracked Git branch, e.g. main.
	// +kubebuilder:validation:MinLength=1
	Branch GitRefName `json:"branch"`

	// provider is the VCS provider hosting the repository.
	// +kubebuilder:default=GITHUB
	// +optional
	Provider VCSProvider `json:"provider,omitempty"`

	// repositoryURL is the HTTPS URL of the repository; required for the
	// raw GIT provider.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^https://[^/?#[:space:]]+/')",message="repositoryURL must be the https:// URL of the repository, e.g. https://git.example.com/acme/infrastructure.git (SSH URLs are not supported)"
	// +optional
	RepositoryURL string `json:"repositoryURL,omitempty"`

	// vcsIntegrationID is the id of a non-default VCS integration to use.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	VCSIntegrationID string `json:"vcsIntegrationID,omitempty"`

	// projectRoot is the directory, relative to the repository root, that
	// the stack runs in.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/')",message="projectRoot must be relative to the repository root"
	// +kubebuilder:validation:XValidation:rule="!self.matches('(^|/)[.][.](/|$)')",message="projectRoot may not contain '..': it must stay inside the repository"
	// +optional
	ProjectRoot string `json:"projectRoot,omitempty"`

	// additionalProjectGlobs are further path globs, relative to the
	// repository root, whose changes trigger the stack.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +optional
	AdditionalProjectGlobs []RelativePath `json:"additionalProjectGlobs,omitempty"`

	// description is free-form text shown in Spacelift.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`

	// labels are Spacelift labels. The operator adds its ownership label
	// (k8s-owner:<namespace>/<name>) to them. autoattach:<label> labels
	// have an effect on policies and contexts only and are refused here.
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	// +kubebuilder:validation:XValidation:rule="self.all(l, !l.startsWith('autoattach:'))",message="autoattach: labels have an effect on policies and contexts only: to receive the policies labelled autoattach:<label>, give the stack the plain label <label>"
	// +optional
	Labels []SpaceliftLabel `json:"labels,omitempty"`

	// space is the id of the Spacelift space the stack belongs to.
	// +kubebuilder:default=root
	// +optional
	Space SpaceID `json:"space,omitempty"`

	// workerPool is the id of a private worker pool; empty means the public pool.
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^[A-Za-z0-9][-_A-Za-z0-9]*$')",message="workerPool must be the id of a private worker pool, such as 01HZX5N1QG7B4T3V6D8K2M9C0E, not its display name; leave it out for the public pool"
	// +optional
	WorkerPool string `json:"workerPool,omitempty"`

	// autodeploy applies tracked runs without waiting for confirmation.
	// +optional
	Autodeploy bool `json:"autodeploy,omitempty"`

	// autoretry retries runs on this stack that fail because of an obsolete
	// plan on a private worker.
	// +optional
	Autoretry bool `json:"autoretry,omitempty"`

	// localPreviewEnabled lets users preview local changes with spacectl.
	// +optional
	LocalPreviewEnabled bool `json:"localPreviewEnabled,omitempty"`

	// protectFromDeletion makes Spacelift refuse to delete the stack; the
	// operator then blocks deletion of this object until it is lifted.
	// +optional
	ProtectFromDeletion bool `json:"protectFromDeletion,omitempty"`

	// manageState lets Spacelift manage the Terraform state. It cannot be
	// changed after creation.
	// +kubebuilder:default=true
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="manageState is immutable after creation"
	// +optional
	ManageState *bool `json:"manageState,omitempty"`

	// runnerImage is a custom runner container image reference, e.g.
	// public.ecr.aws/spacelift/runner-terraform:latest.
	// +optional
	RunnerImage ImageReference `json:"runnerImage,omitempty"`

	// hooks are shell commands run before and after each run phase.
	// +optional
	Hooks StackHooks `json:"hooks,omitempty"`

	// terraform configures a Terraform (or OpenTofu through workflowTool) stack.
	// +optional
	Terraform *TerraformVendor `json:"terraform,omitempty"`

	// opentofu configures a native OpenTofu stack.
	// +optional
	OpenTofu *OpenTofuVendor `json:"opentofu,omitempty"`

	// terragrunt configures a Terragrunt stack.
	// +optional
	Terragrunt *TerragruntVendor `json:"terragrunt,omitempty"`

	// pulumi configures a Pulumi stack.
	// +optional
	Pulumi *PulumiVendor `json:"pulumi,omitempty"`

	// cloudFormation configures an AWS CloudFormation stack.
	// +optional
	CloudFormation *CloudFormationVendor `json:"cloudFormation,omitempty"`

	// kubernetes configures a Kubernetes stack.
	// +optional
	Kubernetes *KubernetesVendor `json:"kubernetes,omitempty"`

	// ansible configures an Ansible stack.
	// +optional
	Ansible *AnsibleVendor `json:"ansible,omitempty"`

	// environment lists environment variables (and mounted files) set on the
	// stack. Values may come from Secrets or ConfigMaps, which are watched.
	// +kubebuilder:validation:MaxItems=500
	// +listType=map
	// +listMapKey=name
	// +optional
	Environment []EnvVar `json:"environment,omitempty"`

	// contexts attaches existing Spacelift contexts to the stack.
	// +kubebuilder:validation:MaxItems=100
	// +listType=map
	// +listMapKey=id
	// +kubebuilder:validation:XValidation:rule="self.all(c, !c.id.matches('[[:space:]]'))",message="a context id has no spaces: use the id of the Spacelift context (shown on its page), not its display name"
	// +optional
	Contexts []ContextAttachment `json:"contexts,omitempty"`

	// policies attaches policies, named as Policy objects in this namespace or
	// as Spacelift policy ids, each once. Policies Spacelift attached
	// automatically (autoattach labels) are left alone.
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:XValidation:rule="self.all(p, !has(p.name) || self.exists_one(q, has(q.name) && q.name == p.name))",message="lists a Policy more than once: attach each policy once"
	// +kubebuilder:validation:XValidation:rule="self.all(p, !has(p.id) || self.exists_one(q, has(q.id) && q.id == p.id))",message="lists a policy id more than once: attach each policy once"
	// +optional
	Policies []PolicyReference `json:"policies,omitempty"`

	// dependencies makes this stack depend on other stacks, each listed once,
	// optionally passing their outputs as this stack's inputs. A stack cannot
	// depend on itself.
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:XValidation:rule="self.all(d, !has(d.stackRef) || self.exists_one(e, has(e.stackRef) && e.stackRef.name == d.stackRef.name))",message="lists a stackRef more than once: list each upstream stack once and put all its references in that entry"
	// +kubebuilder:validation:XValidation:rule="self.all(d, !has(d.stackID) || self.exists_one(e, has(e.stackID) && e.stackID == d.stackID))",message="lists a stackID more than once: list each upstream stack once and put all its references in that entry"
	// +optional
	Dependencies []StackDependency `json:"dependencies,omitempty"`

	// driftDetection configures scheduled drift detection.
	// +optional
	DriftDetection *DriftDetection `json:"driftDetection,omitempty"`

	// awsIntegration attaches a Spacelift AWS integration.
	// +optional
	AWSIntegration *AWSIntegrationAttachment `json:"awsIntegration,omitempty"`

	// webhooks sends run-state notifications to HTTP endpoints.
	// +kubebuilder:validation:MaxItems=20
	// +listType=map
	// +listMapKey=endpoint
	// +optional
	Webhooks []Webhook `json:"webhooks,omitempty"`

	// administrative is deprecated: Spacelift refuses `administrative: true`
	// since 2026-06-01. It now means "create the stack without the flag and
	// bind the Space Admin role on the stack's space to it", which is what
	// roleBindings with that role and space says explicitly; use roleBindings
	// instead.
	// +optional
	Administrative bool `json:"administrative,omitempty"`

	// roleBindings grants the stack roles in spaces (Spacelift stack role
	// bindings), the replacement of the administrative flag. Each role and
	// space pair appears once.
	// +kubebuilder:validation:MaxItems=50
	// +listType=map
	// +listMapKey=roleID
	// +listMapKey=spaceID
	// +kubebuilder:validation:XValidation:rule="self.all(b, b.spaceID.matches('^[A-Za-z0-9][-_A-Za-z0-9]*$'))",message="spaceID must be the id of a Spacelift space, such as root or platform-01HZX5N1QG7B4T3V6D8K2M9C0E: letters, digits, '-' and '_' (a display name with spaces or '/' is not an id)"
	// +optional
	RoleBindings []StackRoleBinding `json:"roleBindings,omitempty"`

	// deletionPolicy says what happens in Spacelift when this object is
	// deleted: Retain keeps the stack, Delete deletes it, Destroy destroys the
	// resources it manages first.
	// +kubebuilder:default=Delete
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// adoptExisting lets the operator take over an existing Spacelift stack
	// with the same id that does not carry this object's ownership label.
	// Without it such a stack is left alone and the object is Stalled.
	// +optional
	AdoptExisting bool `json:"adoptExisting,omitempty"`

	// commitSHA is the commit tracked runs should use. When it changes, the
	// operator triggers a tracked run of that commit, with signed metadata.
	// +optional
	CommitSHA CommitSHA `json:"commitSHA,omitempty"`

	// suspend stops reconciliation; nothing is written to Spacelift until it
	// is false again.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// interval is how often Spacelift is polled for edits made outside
	// Kubernetes and for drift results, e.g. "10m"; at least 1m. Defaults to
	// the operator's --sync-interval.
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

	// writeOutputsToSecret writes the stack's outputs into a Secret in this
	// namespace (and, optionally, the non-sensitive ones into a ConfigMap)
	// after every finished tracked run. The Secret is owned by this Stack and
	// deleted with it.
	// +optional
	WriteOutputsToSecret *OutputsSecret `json:"writeOutputsToSecret,omitempty"`
}

// Metadata of the Secret and ConfigMap a Stack writes its outputs to.
const (
	// LabelOutputsOf is the name of the Stack whose outputs the object holds
	// (shortened with a hash when longer than a label value may be).
	LabelOutputsOf = "spacelift.stackwright.io/outputs-of"
	// AnnotationOutputsRun is the finished tracked run the outputs were read
	// after; empty when they were read while the newest tracked run had not
	// finished.
	AnnotationOutputsRun = "spacelift.stackwright.io/outputs-run"
	// AnnotationOutputsSpec is a digest of the spec.writeOutputsToSecret the
	// object was written for, so that a changed selection is written again.
	AnnotationOutputsSpec = "spacelift.stackwright.io/outputs-spec"
)

// OutputsSecret says where a stack's outputs are written.
// +kubebuilder:validation:XValidation:rule="!has(self.outputs) || self.outputs.all(o, self.outputs.exists_one(p, (has(p.key) ? p.key : p.name) == (has(o.key) ? o.key : o.name)))",message="two outputs are written to the same key: give each a distinct key"
type OutputsSecret struct {
	// name of the Secret the outputs are written to. The operator creates it
	// and owns it; an existing Secret of that name that this Stack does not
	// own is left alone and the Stack reports OutputsNotWritten.
	Name ObjectName `json:"name"`

	// outputs selects the outputs to write and, optionally, renames them.
	// When empty, every output is written under its own name.
	// +kubebuilder:validation:MaxItems=100
	// +listType=map
	// +listMapKey=name
	// +optional
	Outputs []OutputSelector `json:"outputs,omitempty"`

	// configMap, when set, receives the non-sensitive outputs instead of the
	// Secret. Sensitive outputs are only ever written to the Secret.
	// +optional
	ConfigMap *LocalObjectReference `json:"configMap,omitempty"`
}

// OutputSelector picks one stack output.
type OutputSelector struct {
	// name of the output, as the Terraform (or other tool) configuration
	// declares it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// key the value is written under; defaults to name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-._a-zA-Z0-9]+$')",message="key must be a valid Secret key: letters, digits, '-', '_' and '.'"
	// +optional
	Key string `json:"key,omitempty"`
}

// StackHooks are shell commands run around the phases of a run.
type StackHooks struct {
	// beforeInit runs before the initialization phase.
	// +optional
	BeforeInit []string `json:"beforeInit,omitempty"`
	// afterInit runs after the initialization phase.
	// +optional
	AfterInit []string `json:"afterInit,omitempty"`
	// beforePlan runs before planning.
	// +optional
	BeforePlan []string `json:"beforePlan,omitempty"`
	// afterPlan runs after planning.
	// +optional
	AfterPlan []string `json:"afterPlan,omitempty"`
	// beforeApply runs before applying.
	// +optional
	BeforeApply []string `json:"beforeApply,omitempty"`
	// afterApply runs after applying.
	// +optional
	AfterApply []string `json:"afterApply,omitempty"`
	// beforeDestroy runs before destroying.
	// +optional
	BeforeDestroy []string `json:"beforeDestroy,omitempty"`
	// afterDestroy runs after destroying.
	// +optional
	AfterDestroy []string `json:"afterDestroy,omitempty"`
	// beforePerform runs before a task is performed.
	// +optional
	BeforePerform []string `json:"beforePerform,omitempty"`
	// afterPerform runs after a task is performed.
	// +optional
	AfterPerform []string `json:"afterPerform,omitempty"`
	// afterRun runs at the end of every run, whatever its outcome.
	// +optional
	AfterRun []string `json:"afterRun,omitempty"`
}

// TerraformVendor configures a Terraform stack.
type TerraformVendor struct {
	// version is the Terraform (or OpenTofu) version or version constraint,
	// e.g. "1.9.8" or "~> 1.9.0".
	// +optional
	Version ToolVersion `json:"version,omitempty"`

	// workflowTool selects the implementation: TERRAFORM_FOSS, OPEN_TOFU or
	// CUSTOM (a workflow defined on the runner image).
	// +kubebuilder:default=TERRAFORM_FOSS
	// +optional
	WorkflowTool TerraformWorkflowTool `json:"workflowTool,omitempty"`

	// workspace is the Terraform workspace to select.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Workspace string `json:"workspace,omitempty"`

	// smartSanitization sanitizes only values marked sensitive in plans.
	// +optional
	SmartSanitization bool `json:"smartSanitization,omitempty"`

	// externalStateAccess allows reading the Spacelift-managed state from
	// outside Spacelift.
	// +optional
	ExternalStateAccess bool `json:"externalStateAccess,omitempty"`
}

// OpenTofuVendor configures a native OpenTofu stack.
type OpenTofuVendor struct {
	// version is the OpenTofu version or version constraint, e.g. "1.8.3".
	// +optional
	Version ToolVersion `json:"version,omitempty"`

	// workspace is the OpenTofu workspace to select.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Workspace string `json:"workspace,omitempty"`

	// smartSanitization sanitizes only values marked sensitive in plans.
	// +optional
	SmartSanitization bool `json:"smartSanitization,omitempty"`

	// externalStateAccess allows reading the Spacelift-managed state from
	// outside Spacelift.
	// +optional
	ExternalStateAccess bool `json:"externalStateAccess,omitempty"`
}

// TerragruntVendor configures a Terragrunt stack.
type TerragruntVendor struct {
	// terraformVersion is the Terraform or OpenTofu version Terragrunt drives.
	// +optional
	TerraformVersion ToolVersion `json:"terraformVersion,omitempty"`

	// terragruntVersion is the Terragrunt version, e.g. "0.67.4".
	// +optional
	TerragruntVersion ToolVersion `json:"terragruntVersion,omitempty"`

	// tool is the implementation Terragrunt drives.
	// +kubebuilder:default=TERRAFORM_FOSS
	// +kubebuilder:validation:Enum=TERRAFORM_FOSS;OPEN_TOFU;MANUALLY_PROVISIONED
	// +optional
	Tool string `json:"tool,omitempty"`

	// useRunAll runs `terragrunt run-all` instead of a single module.
	// +optional
	UseRunAll bool `json:"useRunAll,omitempty"`

	// smartSanitization sanitizes only values marked sensitive in plans.
	// +optional
	SmartSanitization bool `json:"smartSanitization,omitempty"`
}

// PulumiVendor configures a Pulumi stack.
type PulumiVendor struct {
	// loginURL is the Pulumi state backend URL, e.g. https://api.pulumi.com
	// or s3://my-state-bucket.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^[a-z][-+.a-z0-9]*://')",message="loginURL must be a Pulumi backend URL with a scheme, such as https://api.pulumi.com, s3://my-state-bucket or gs://my-state-bucket"
	LoginURL string `json:"loginURL"`

	// stackName is the Pulumi stack name, e.g. dev or acme/infra/dev.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^[-_.A-Za-z0-9]+(/[-_.A-Za-z0-9]+){0,2}$')",message="stackName must be a Pulumi stack name such as dev or acme/infra/dev: letters, digits, '-', '_' and '.', with at most two '/'"
	StackName string `json:"stackName"`
}

// CloudFormationVendor configures an AWS CloudFormation stack.
type CloudFormationVendor struct {
	// entryTemplateFile is the template file, relative to projectRoot.
	// +kubebuilder:validation:MinLength=1
	EntryTemplateFile RelativePath `json:"entryTemplateFile"`

	// region is the AWS region of the CloudFormation stack, e.g. eu-west-1.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^[a-z]{2}(-[a-z]+)+-[0-9]+$')",message="region must be an AWS region code such as us-east-1 or eu-central-1 (lower case, no spaces)"
	Region string `json:"region"`

	// stackName is the CloudFormation stack name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^[A-Za-z][-A-Za-z0-9]*$')",message="stackName must be a CloudFormation stack name: letters, digits and '-', starting with a letter"
	StackName string `json:"stackName"`

	// templateBucket is the S3 bucket templates are uploaded to, as s3://bucket.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.startsWith('s3://')",message="templateBucket must be an S3 URL such as s3://my-template-bucket"
	TemplateBucket string `json:"templateBucket"`
}

// KubernetesVendor configures a Kubernetes stack.
type KubernetesVendor struct {
	// namespace is the Kubernetes namespace the stack deploys into.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="namespace must be a Kubernetes namespace name: lower-case letters, digits and '-', starting and ending with a letter or digit"
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// kubectlVersion is the kubectl version the runner uses, e.g. "1.31.0".
	// +optional
	KubectlVersion ToolVersion `json:"kubectlVersion,omitempty"`
}

// AnsibleVendor configures an Ansible stack.
type AnsibleVendor struct {
	// playbook is the playbook file, relative to projectRoot.
	// +kubebuilder:validation:MinLength=1
	Playbook RelativePath `json:"playbook"`
}

// EnvVar is one environment variable (or, with a name starting with
// "/mnt/workspace/", a mounted file) set on the stack.
// +kubebuilder:validation:XValidation:rule="has(self.value) != has(self.valueFrom)",message="set exactly one of value and valueFrom"
type EnvVar struct {
	// name of the variable, e.g. TF_VAR_region.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^([A-Za-z_][A-Za-z0-9_]*|/mnt/workspace/.+)$')",message="name must be an environment variable name such as TF_VAR_region (letters, digits and '_', not starting with a digit) or the path of a mounted file under /mnt/workspace/"
	// +kubebuilder:validation:XValidation:rule="!self.matches('(^|/)[.][.](/|$)')",message="a mounted file path may not contain '..'"
	Name string `json:"name"`

	// value is a literal value.
	// +optional
	Value *string `json:"value,omitempty"`

	// valueFrom takes the value from a Secret or ConfigMap key.
	// +optional
	ValueFrom *EnvVarSource `json:"valueFrom,omitempty"`

	// writeOnly hides the value in Spacelift after it is set. Values taken
	// from Secrets are always write-only.
	// +optional
	WriteOnly bool `json:"writeOnly,omitempty"`
}

// EnvVarSource is where an environment variable's value comes from.
// +kubebuilder:validation:XValidation:rule="has(self.secretKeyRef) != has(self.configMapKeyRef)",message="set exactly one of secretKeyRef and configMapKeyRef"
type EnvVarSource struct {
	// secretKeyRef selects a key of a Secret in this namespace.
	// +optional
	SecretKeyRef *KeySelector `json:"secretKeyRef,omitempty"`

	// configMapKeyRef selects a key of a ConfigMap in this namespace.
	// +optional
	ConfigMapKeyRef *KeySelector `json:"configMapKeyRef,omitempty"`
}

// ContextAttachment attaches a Spacelift context to the stack.
type ContextAttachment struct {
	// id of the Spacelift context.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	ID string `json:"id"`

	// priority orders contexts; lower numbers win.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Priority int32 `json:"priority,omitempty"`
}

// PolicyReference names a policy either as a Policy object in this namespace
// or as a Spacelift policy id.
// +kubebuilder:validation:XValidation:rule="has(self.name) != has(self.id)",message="set exactly one of name (a Policy object) and id (a Spacelift policy id)"
type PolicyReference struct {
	// name of a Policy object in this namespace.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name string `json:"name,omitempty"`

	// id of a Spacelift policy not managed by this operator.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	ID string `json:"id,omitempty"`
}

// StackDependency makes this stack depend on another one.
// +kubebuilder:validation:XValidation:rule="has(self.stackRef) != has(self.stackID)",message="set exactly one of stackRef (a Stack object) and stackID (a Spacelift stack id)"
type StackDependency struct {
	// stackRef names a Stack object in this namespace that this stack depends on.
	// +optional
	StackRef *LocalObjectReference `json:"stackRef,omitempty"`

	// stackID is the id of a Spacelift stack not managed by this operator.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	StackID string `json:"stackID,omitempty"`

	// references pass outputs of the other stack as inputs of this one.
	// +kubebuilder:validation:MaxItems=100
	// +listType=map
	// +listMapKey=inputName
	// +optional
	References []DependencyReference `json:"references,omitempty"`
}

// DependencyReference maps an output of the upstream stack to an input
// (environment variable) of this stack.
type DependencyReference struct {
	// outputName is the upstream stack's output.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	OutputName string `json:"outputName"`

	// inputName is the environment variable set on this stack, e.g. TF_VAR_vpc_id.
	InputName EnvVarName `json:"inputName"`
}

// DriftDetection configures Spacelift's scheduled drift detection.
// +kubebuilder:validation:XValidation:rule="!self.enabled || (has(self.schedule) && size(self.schedule) > 0)",message="driftDetection.schedule needs at least one cron expression when drift detection is enabled"
type DriftDetection struct {
	// enabled turns drift detection on.
	// +kubebuilder:default=true
	// +optional
	Enabled bool `json:"enabled"`

	// schedule lists cron expressions on which drift-detection runs start,
	// each once.
	// +kubebuilder:validation:MaxItems=10
	// +listType=set
	// +optional
	Schedule []CronSchedule `json:"schedule,omitempty"`

	// timezone is the IANA time zone of the schedule, e.g. Europe/Berlin.
	// The operator checks it against the tz database.
	// +kubebuilder:default=UTC
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z]+(/[-A-Za-z0-9_+]+)*$')",message="timezone must be an IANA time zone name such as UTC, Europe/Berlin or America/New_York; a UTC offset such as UTC+2 is not one (Etc/GMT-2 is UTC+2)"
	// +optional
	Timezone string `json:"timezone,omitempty"`

	// reconcile triggers a tracked run when drift is detected.
	// +optional
	Reconcile bool `json:"reconcile,omitempty"`

	// ignoreState runs drift detection whatever state the stack is in.
	// +optional
	IgnoreState bool `json:"ignoreState,omitempty"`
}

// AWSIntegrationAttachment attaches a Spacelift AWS integration to the stack.
// +kubebuilder:validation:XValidation:rule="self.read || self.write",message="awsIntegration needs read, write or both"
type AWSIntegrationAttachment struct {
	// id of the Spacelift AWS integration.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	ID string `json:"id"`

	// read uses the integration's role during planning.
	// +kubebuilder:default=true
	// +optional
	Read bool `json:"read"`

	// write uses the integration's role during applying.
	// +kubebuilder:default=true
	// +optional
	Write bool `json:"write"`
}

// Webhook sends Spacelift run-state notifications to an HTTP endpoint.
type Webhook struct {
	// endpoint is the http:// or https:// URL that receives the notifications.
	Endpoint HTTPURL `json:"endpoint"`

	// secretRef selects the Secret key holding the HMAC secret Spacelift signs
	// the payloads with.
	// +optional
	SecretRef *KeySelector `json:"secretRef,omitempty"`

	// enabled turns delivery on.
	// +kubebuilder:default=true
	// +optional
	Enabled bool `json:"enabled"`

	// retryOnFailure makes Spacelift retry failed deliveries.
	// +optional
	RetryOnFailure bool `json:"retryOnFailure,omitempty"`
}

// StackRoleBinding grants the stack a Spacelift role in a space.
type StackRoleBinding struct {
	// roleID is the id of the Spacelift role, e.g. that of space-admin.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	RoleID string `json:"roleID"`

	// spaceID is the id of the space the role applies in.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	SpaceID string `json:"spaceID"`
}

// StackStatus is the observed state of a Stack.
type StackStatus struct {
	CommonStatus `json:",inline"`

	// drift summarizes the latest drift-detection result.
	// +optional
	Drift *DriftStatus `json:"drift,omitempty"`

	// lastRun is the latest run the operator triggered or confirmed, with
	// the state Spacelift last reported for it and its plan.
	// +optional
	LastRun *RunStatus `json:"lastRun,omitempty"`

	// lastTrackedRun is the newest tracked run of the stack in Spacelift,
	// whoever started it, with its plan.
	// +optional
	LastTrackedRun *RunStatus `json:"lastTrackedRun,omitempty"`

	// lastProposedRun is the newest proposed run of the stack in Spacelift
	// (drift-detection runs excluded), with its plan.
	// +optional
	LastProposedRun *RunStatus `json:"lastProposedRun,omitempty"`

	// outputs says where and from which run the stack's outputs were last
	// written, when spec.writeOutputsToSecret is set. It holds no values.
	// +optional
	Outputs *OutputsStatus `json:"outputs,omitempty"`

	// lastTriggeredCommitSHA is the spec.commitSHA a tracked run was last
	// triggered for.
	// +optional
	LastTriggeredCommitSHA string `json:"lastTriggeredCommitSHA,omitempty"`

	// lastHandledRunRequest is the value of the run-requested-at annotation
	// last acted on.
	// +optional
	LastHandledRunRequest string `json:"lastHandledRunRequest,omitempty"`

	// lastHandledProposeRequest is the value of the propose-requested-at
	// annotation last acted on.
	// +optional
	LastHandledProposeRequest string `json:"lastHandledProposeRequest,omitempty"`

	// lastHandledConfirmRequest is the value of the confirm-run annotation
	// last acted on.
	// +optional
	LastHandledConfirmRequest string `json:"lastHandledConfirmRequest,omitempty"`
}

// DriftStatus summarizes the latest drift-detection run.
type DriftStatus struct {
	// drifted is true when the latest drift-detection run found drifted resources.
	Drifted bool `json:"drifted"`

	// driftedResources is how many managed resources drifted.
	// +optional
	DriftedResources int32 `json:"driftedResources,omitempty"`

	// runID is the drift-detection run the result comes from.
	// +optional
	RunID string `json:"runID,omitempty"`

	// reconcileRunID is the tracked run Spacelift started to reconcile the
	// drift, when driftDetection.reconcile is on.
	// +optional
	ReconcileRunID string `json:"reconcileRunID,omitempty"`

	// checkedAt is when that run finished.
	// +optional
	CheckedAt *metav1.Time `json:"checkedAt,omitempty"`

	// resources are the addresses of the drifted resources, sorted, at most
	// 20 (driftedResources has the full count).
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	// +optional
	Resources []string `json:"resources,omitempty"`
}

// OutputsStatus records the last write of a stack's outputs. It never holds
// output values.
type OutputsStatus struct {
	// secretName is the Secret the outputs were written to.
	SecretName string `json:"secretName"`

	// configMapName is the ConfigMap the non-sensitive outputs were written
	// to, when spec.writeOutputsToSecret.configMap is set.
	// +optional
	ConfigMapName string `json:"configMapName,omitempty"`

	// runID is the finished tracked run the outputs were read after.
	// +optional
	RunID string `json:"runID,omitempty"`

	// keys is how many keys were written, in the Secret and ConfigMap
	// together.
	// +optional
	Keys int32 `json:"keys,omitempty"`

	// withoutValue names the selected outputs that were not written, sorted:
	// outputs Spacelift returned no value for (sensitive outputs: the API
	// does not return their values), selected outputs the stack does not
	// have, and outputs whose key is not a valid Secret or ConfigMap key.
	// +kubebuilder:validation:MaxItems=100
	// +listType=atomic
	// +optional
	WithoutValue []string `json:"withoutValue,omitempty"`
}

// PlanStatus summarizes what a run's plan changes.
type PlanStatus struct {
	// add is how many resources the plan adds.
	Add int32 `json:"add"`
	// change is how many resources the plan changes.
	Change int32 `json:"change"`
	// delete is how many resources the plan deletes.
	Delete int32 `json:"delete"`

	// summary is the counts as "+add ~change -delete", e.g. "+2 ~1 -0".
	Summary string `json:"summary"`

	// resources are the addresses of the changed resources, sorted, at most
	// 20; each is prefixed with +, ~ or - for add, change or delete.
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	// +optional
	Resources []string `json:"resources,omitempty"`
}

// RunStatus describes one Spacelift run.
type RunStatus struct {
	// id of the run.
	ID string `json:"id"`

	// type of the run as Spacelift reports it, e.g. TRACKED or PROPOSED.
	// +optional
	Type string `json:"type,omitempty"`

	// state of the run as Spacelift reports it, e.g. FINISHED or UNCONFIRMED.
	// +optional
	State string `json:"state,omitempty"`

	// plan is what the run's plan changes, once planning has ended.
	// +optional
	Plan *PlanStatus `json:"plan,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=slstack,categories=spacelift
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Drifted",type=string,JSONPath=`.status.conditions[?(@.type=="Drifted")].status`
// +kubebuilder:printcolumn:name="Spacelift ID",type=string,JSONPath=`.status.spaceliftID`
// +kubebuilder:printcolumn:name="Plan",type=string,JSONPath=`.status.lastTrackedRun.plan.summary`
// +kubebuilder:printcolumn:name="Run",type=string,JSONPath=`.status.lastTrackedRun.state`,priority=1
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Stack is one Spacelift stack, kept in sync with its spec.
// +kubebuilder:validation:XValidation:rule="!has(self.spec.dependencies) || self.spec.dependencies.all(d, !has(d.stackRef) || d.stackRef.name != self.metadata.name)",message="a stack cannot depend on itself: remove the dependency whose stackRef names this Stack",fieldPath=".spec.dependencies"
type Stack struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the Spacelift stack.
	Spec StackSpec `json:"spec"`

	// status is what the operator last observed.
	// +optional
	Status StackStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// StackList is a list of Stacks.
type StackList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the Stacks.
	Items []Stack `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Stack{}, &StackList{})
}
