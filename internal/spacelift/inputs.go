package spacelift

// Input types. Each is named after the GraphQL input type it encodes: the
// GraphQL library declares a variable's type from its Go type name, so a
// renamed struct would send a type the API does not know. Optional members
// are pointers or slices left out of the JSON when empty.

// VCSProvider is the GraphQL enum of version control providers.
type VCSProvider string

// VCS providers.
const (
	VCSProviderAzureDevOps         VCSProvider = "AZURE_DEVOPS"
	VCSProviderBitbucketCloud      VCSProvider = "BITBUCKET_CLOUD"
	VCSProviderBitbucketDatacenter VCSProvider = "BITBUCKET_DATACENTER"
	VCSProviderGit                 VCSProvider = "GIT"
	VCSProviderGitHub              VCSProvider = "GITHUB"
	VCSProviderGitHubEnterprise    VCSProvider = "GITHUB_ENTERPRISE"
	VCSProviderGitLab              VCSProvider = "GITLAB"
	VCSProviderShowcase            VCSProvider = "SHOWCASE"
	VCSProviderSpacelift           VCSProvider = "SPACELIFT"
)

// TerraformWorkflowTool is the GraphQL enum selecting the binary that runs
// Terraform-compatible stacks.
type TerraformWorkflowTool string

// Workflow tools.
const (
	WorkflowToolTerraformFOSS TerraformWorkflowTool = "TERRAFORM_FOSS"
	WorkflowToolOpenTofu      TerraformWorkflowTool = "OPEN_TOFU"
	WorkflowToolCustom        TerraformWorkflowTool = "CUSTOM"
)

// StackInput is the GraphQL input of stackCreate and stackUpdate. stackUpdate
// replaces the whole configuration, so an update must carry every setting,
// not only the changed ones.
type StackInput struct {
	Name       string `json:"name"`
	Repository string `json:"repository"`
	Branch     string `json:"branch"`
	// Administrative is deprecated by Spacelift in favour of stack role
	// bindings but still required by the input type.
	Administrative bool     `json:"administrative"`
	Autodeploy     bool     `json:"autodeploy"`
	Autoretry      bool     `json:"autoretry"`
	Description    *string  `json:"description,omitempty"`
	Labels         []string `json:"labels,omitempty"`
	// Space is a space ID; nil means the root space.
	Space                  *string      `json:"space,omitempty"`
	Namespace              *string      `json:"namespace,omitempty"`
	Provider               *VCSProvider `json:"provider,omitempty"`
	RepositoryURL          *string      `json:"repositoryURL,omitempty"`
	ProjectRoot            *string      `json:"projectRoot,omitempty"`
	AdditionalProjectGlobs []string     `json:"additionalProjectGlobs,omitempty"`
	RunnerImage            *string      `json:"runnerImage,omitempty"`
	// WorkerPool is a worker pool ID; nil means the public pool.
	WorkerPool       *string            `json:"workerPool,omitempty"`
	VCSIntegrationID *string            `json:"vcsIntegrationId,omitempty"`
	VendorConfig     *VendorConfigInput `json:"vendorConfig,omitempty"`
	// GitHubActionDeploy ("allow run promotion"), when nil, keeps
	// Spacelift's default.
	GitHubActionDeploy           *bool `json:"githubActionDeploy,omitempty"`
	LocalPreviewEnabled          bool  `json:"localPreviewEnabled"`
	EnableWellKnownSecretMasking *bool `json:"enableWellKnownSecretMasking,omitempty"`
	EnableSensitiveOutputUpload  *bool `json:"enableSensitiveOutputUpload,omitempty"`
	ProtectFromDeletion          bool  `json:"protectFromDeletion"`

	AfterApply    []string `json:"afterApply,omitempty"`
	AfterDestroy  []string `json:"afterDestroy,omitempty"`
	AfterInit     []string `json:"afterInit,omitempty"`
	AfterPerform  []string `json:"afterPerform,omitempty"`
	AfterPlan     []string `json:"afterPlan,omitempty"`
	AfterRun      []string `json:"afterRun,omitempty"`
	BeforeApply   []string `json:"beforeApply,omitempty"`
	BeforeDestroy []string `json:"beforeDestroy,omitempty"`
	BeforeInit    []string `json:"beforeInit,omitempty"`
	BeforePerform []string `json:"beforePerform,omitempty"`
	BeforePlan    []string `json:"beforePlan,omitempty"`
}

// VendorConfigInput selects the IaC tool of a stack: at most one member is
// set, none meaning Terraform with Spacelift's defaults. Stack.VendorConfig
// reports the observed configuration in the same shape.
type VendorConfigInput struct {
	Ansible        *AnsibleInput        `json:"ansible,omitempty"`
	CloudFormation *CloudFormationInput `json:"cloudFormation,omitempty"`
	Kubernetes     *KubernetesInput     `json:"kubernetes,omitempty"`
	OpenTofu       *OpenTofuInput       `json:"opentofu,omitempty"`
	Pulumi         *PulumiInput         `json:"pulumi,omitempty"`
	Terraform      *TerraformInput      `json:"terraform,omitempty"`
	Terragrunt     *TerragruntInput     `json:"terragrunt,omitempty"`
}

// AnsibleInput configures an Ansible stack.
type AnsibleInput struct {
	Playbook string `json:"playbook"`
}

// CloudFormationInput configures a CloudFormation stack.
type CloudFormationInput struct {
	EntryTemplateFile string `json:"entryTemplateFile"`
	Region            string `json:"region"`
	StackName         string `json:"stackName"`
	TemplateBucket    string `json:"templateBucket"`
}

// KubernetesInput configures a Kubernetes stack.
type KubernetesInput struct {
	Namespace              string  `json:"namespace"`
	KubectlVersion         *string `json:"kubectlVersion,omitempty"`
	KubernetesWorkflowTool *string `json:"kubernetesWorkflowTool,omitempty"`
}

// OpenTofuInput configures a stack of the native OpenTofu vendor.
type OpenTofuInput struct {
	Concise                    *bool                  `json:"concise,omitempty"`
	ExternalStateAccessEnabled *bool                  `json:"externalStateAccessEnabled,omitempty"`
	UseSmartSanitization       *bool                  `json:"useSmartSanitization,omitempty"`
	Version                    *string                `json:"version,omitempty"`
	WorkflowTool               *TerraformWorkflowTool `json:"workflowTool,omitempty"`
	Workspace                  *string                `json:"workspace,omitempty"`
}

// PulumiInput configures a Pulumi stack.
type PulumiInput struct {
	LoginURL  string `json:"loginURL"`
	StackName string `json:"stackName"`
}

// TerraformInput configures a Terraform stack.
type TerraformInput struct {
	ExternalStateAccessEnabled *bool                  `json:"externalStateAccessEnabled,omitempty"`
	UseSmartSanitization       *bool                  `json:"useSmartSanitization,omitempty"`
	Version                    *string                `json:"version,omitempty"`
	WorkflowTool               *TerraformWorkflowTool `json:"workflowTool,omitempty"`
	Workspace                  *string                `json:"workspace,omitempty"`
}

// TerragruntInput configures a Terragrunt stack.
type TerragruntInput struct {
	TerraformVersion     *string `json:"terraformVersion,omitempty"`
	TerragruntVersion    *string `json:"terragruntVersion,omitempty"`
	UseRunAll            bool    `json:"useRunAll"`
	UseSmartSanitization bool    `json:"useSmartSanitization"`
	Tool                 *string `json:"tool,omitempty"`
}

// PolicyType is the GraphQL enum of policy kinds.
type PolicyType string

// Policy types. ACCESS, TASK and PLAN replace the deprecated STACK_ACCESS,
// TASK_RUN and TERRAFORM_PLAN.
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

// PolicyEngineType is the GraphQL enum of Rego dialects.
type PolicyEngineType string

// Policy engines.
const (
	PolicyEngineRegoV0 PolicyEngineType = "REGO_V0"
	PolicyEngineRegoV1 PolicyEngineType = "REGO_V1"
)

// PolicyCreateInput is the GraphQL input of policyCreatev2.
type PolicyCreateInput struct {
	Name        string            `json:"name"`
	Body        string            `json:"body"`
	Type        PolicyType        `json:"type"`
	Labels      []string          `json:"labels,omitempty"`
	Space       *string           `json:"space,omitempty"`
	Description *string           `json:"description,omitempty"`
	EngineType  *PolicyEngineType `json:"engineType,omitempty"`
}

// PolicyUpdateInput is the GraphQL input of policyUpdatev2; a policy's type
// cannot change.
type PolicyUpdateInput struct {
	Name        string            `json:"name"`
	Body        string            `json:"body"`
	Labels      []string          `json:"labels,omitempty"`
	Space       *string           `json:"space,omitempty"`
	Description *string           `json:"description,omitempty"`
	EngineType  *PolicyEngineType `json:"engineType,omitempty"`
}

// ConfigType is the GraphQL enum of config element kinds.
type ConfigType string

// Config element types.
const (
	ConfigTypeEnvironmentVariable ConfigType = "ENVIRONMENT_VARIABLE"
	ConfigTypeFileMount           ConfigType = "FILE_MOUNT"
)

// ConfigInput is the GraphQL input of stackConfigAdd. ID is the variable
// name (or the file path of a mounted file); adding an existing ID replaces
// the element.
type ConfigInput struct {
	ID          string     `json:"id"`
	Type        ConfigType `json:"type"`
	Value       string     `json:"value"`
	WriteOnly   bool       `json:"writeOnly"`
	Description *string    `json:"description,omitempty"`
}

// EnvironmentVariable returns the ConfigInput of an environment variable.
// A write-only variable's value can be used by runs but never read back.
func EnvironmentVariable(name, value string, writeOnly bool) ConfigInput {
	return ConfigInput{ID: name, Type: ConfigTypeEnvironmentVariable, Value: value, WriteOnly: writeOnly}
}

// DriftDetectionIntegrationInput is the GraphQL input of the
// stackIntegrationDriftDetection mutations. Schedule holds cron expressions.
type DriftDetectionIntegrationInput struct {
	IgnoreState bool     `json:"ignoreState"`
	Reconcile   bool     `json:"reconcile"`
	Schedule    []string `json:"schedule"`
	Timezone    *string  `json:"timezone,omitempty"`
}

// WebhooksIntegrationInput is the GraphQL input of webhooksIntegrationCreate
// and webhooksIntegrationUpdate.
type WebhooksIntegrationInput struct {
	Enabled        bool   `json:"enabled"`
	Endpoint       string `json:"endpoint"`
	Secret         string `json:"secret"`
	RetryOnFailure *bool  `json:"retryOnFailure,omitempty"`
}

// StackDependencyInput is the GraphQL input of stackDependencyCreate.
type StackDependencyInput struct {
	StackID          string `json:"stackId"`
	DependsOnStackID string `json:"dependsOnStackId"`
}

// StackDependencyReferenceInput is the GraphQL input of
// stackDependenciesAddReference: the output of the depended-on stack is
// passed to the dependent stack as an environment variable.
type StackDependencyReferenceInput struct {
	OutputName    string      `json:"outputName"`
	InputName     string      `json:"inputName"`
	Type          *ConfigType `json:"type,omitempty"`
	TriggerAlways *bool       `json:"triggerAlways,omitempty"`
}

// StackRoleBindingInput is the GraphQL input of stackRoleBindingCreate: the
// stack's runs get the role in the space. It replaces the deprecated
// administrative flag.
type StackRoleBindingInput struct {
	RoleID  string `json:"roleID"`
	StackID string `json:"stackID"`
	SpaceID string `json:"spaceID"`
}

// RunType is the GraphQL enum of run kinds.
type RunType string

// Run types that runTrigger accepts.
const (
	RunTypeTracked  RunType = "TRACKED"
	RunTypeProposed RunType = "PROPOSED"
)

// SearchInput is the GraphQL input of the search queries. First is the page
// size and After the cursor of the previous page's end.
type SearchInput struct {
	First          *int             `json:"first,omitempty"`
	After          *string          `json:"after,omitempty"`
	FullTextSearch *string          `json:"fullTextSearch,omitempty"`
	Predicates     []QueryPredicate `json:"predicates,omitempty"`
	OrderBy        *QueryOrder      `json:"orderBy,omitempty"`
}

// QueryPredicate restricts a search to the objects whose Field matches the
// constraint (or does not, when Exclude is set).
type QueryPredicate struct {
	Field      string               `json:"field"`
	Constraint QueryFieldConstraint `json:"constraint"`
	Exclude    bool                 `json:"exclude,omitempty"`
}

// QueryFieldConstraint lists accepted values; exactly one member is set.
// String values are glob patterns.
type QueryFieldConstraint struct {
	BooleanEquals []bool   `json:"booleanEquals,omitempty"`
	EnumEquals    []string `json:"enumEquals,omitempty"`
	StringMatches []string `json:"stringMatches,omitempty"`
}

// QueryOrder sorts search results; Direction is "ASC" or "DESC".
type QueryOrder struct {
	Field     string `json:"field"`
	Direction string `json:"direction"`
}

// StringPredicate matches objects whose string field matches any of the
// glob patterns.
func StringPredicate(field string, patterns ...string) QueryPredicate {
	return QueryPredicate{Field: field, Constraint: QueryFieldConstraint{StringMatches: patterns}}
}

// EnumPredicate matches objects whose enum field equals any of the values.
func EnumPredicate(field string, values ...string) QueryPredicate {
	return QueryPredicate{Field: field, Constraint: QueryFieldConstraint{EnumEquals: values}}
}

// BoolPredicate matches objects whose boolean field equals value.
func BoolPredicate(field string, value bool) QueryPredicate {
	return QueryPredicate{Field: field, Constraint: QueryFieldConstraint{BooleanEquals: []bool{value}}}
}

// LabelPredicate matches stacks carrying a label that matches any of the
// patterns. The search field is "label", as the Terraform provider's
// spacelift_stacks data source uses it.
func LabelPredicate(patterns ...string) QueryPredicate { return StringPredicate("label", patterns...) }

// NamePredicate matches stacks whose name matches any of the patterns.
func NamePredicate(patterns ...string) QueryPredicate { return StringPredicate("name", patterns...) }
