package emulator

import (
	"slices"
	"time"

	"github.com/graph-gophers/graphql-go"
)

// The records below are the emulator's state. Field names and Go types follow
// the GraphQL schema so that graph-gophers can resolve the embedded *Data
// structs directly (Int is int32, ID is graphql.ID, nullable is a pointer).
// Everything is serialised as-is into the state file.

// state is everything the emulator knows; guarded by Server.mu.
type state struct {
	Seq              int64                           `json:"seq"`
	ClockOffset      time.Duration                   `json:"clockOffset"`
	SigningKey       []byte                          `json:"signingKey"`
	Stacks           map[graphql.ID]*stackRecord     `json:"stacks"`
	Runs             map[graphql.ID]*runRecord       `json:"runs"`
	Policies         map[graphql.ID]*policyData      `json:"policies"`
	PolicyAttach     map[graphql.ID]*attachment      `json:"policyAttachments"`
	Spaces           map[graphql.ID]*spaceData       `json:"spaces"`
	WorkerPools      map[graphql.ID]*workerPoolData  `json:"workerPools"`
	Contexts         map[graphql.ID]*contextRecord   `json:"contexts"`
	ContextAttach    map[graphql.ID]*attachment      `json:"contextAttachments"`
	AwsIntegrations  map[graphql.ID]*awsIntegration  `json:"awsIntegrations"`
	AwsAttach        map[graphql.ID]*attachment      `json:"awsAttachments"`
	Dependencies     map[graphql.ID]*dependencyRec   `json:"dependencies"`
	Roles            map[graphql.ID]*roleData        `json:"roles"`
	RoleBindings     map[graphql.ID]*roleBindingData `json:"roleBindings"`
	WebhookDelivered []WebhookDelivery               `json:"webhookDeliveries"`
}

func newState() *state {
	st := &state{
		Stacks:          map[graphql.ID]*stackRecord{},
		Runs:            map[graphql.ID]*runRecord{},
		Policies:        map[graphql.ID]*policyData{},
		PolicyAttach:    map[graphql.ID]*attachment{},
		Spaces:          map[graphql.ID]*spaceData{},
		WorkerPools:     map[graphql.ID]*workerPoolData{},
		Contexts:        map[graphql.ID]*contextRecord{},
		ContextAttach:   map[graphql.ID]*attachment{},
		AwsIntegrations: map[graphql.ID]*awsIntegration{},
		AwsAttach:       map[graphql.ID]*attachment{},
		Dependencies:    map[graphql.ID]*dependencyRec{},
		Roles:           map[graphql.ID]*roleData{},
		RoleBindings:    map[graphql.ID]*roleBindingData{},
	}
	st.Spaces["root"] = &spaceData{ID: "root", Name: "root", Description: "The root of all spaces", Labels: []string{}}
	for _, r := range systemRoles {
		c := r
		c.Actions = slices.Clone(r.Actions)
		st.Roles[c.ID] = &c
	}
	return st
}

// stackData holds the stack fields the schema exposes as plain values.
type stackData struct {
	ID                           graphql.ID  `json:"id"`
	Name                         string      `json:"name"`
	Description                  *string     `json:"description,omitempty"`
	Administrative               bool        `json:"administrative"`
	Autodeploy                   bool        `json:"autodeploy"`
	Autoretry                    bool        `json:"autoretry"`
	Branch                       string      `json:"branch"`
	Repository                   string      `json:"repository"`
	RepositoryURL                *string     `json:"repositoryURL,omitempty"`
	Namespace                    string      `json:"namespace"`
	Provider                     string      `json:"provider"`
	ProjectRoot                  *string     `json:"projectRoot,omitempty"`
	AdditionalProjectGlobs       []string    `json:"additionalProjectGlobs"`
	GitSparseCheckoutPaths       []string    `json:"gitSparseCheckoutPaths"`
	Labels                       []string    `json:"labels"`
	Space                        graphql.ID  `json:"space"`
	RunnerImage                  *string     `json:"runnerImage,omitempty"`
	GithubActionDeploy           bool        `json:"githubActionDeploy"`
	LocalPreviewEnabled          bool        `json:"localPreviewEnabled"`
	EnableWellKnownSecretMasking bool        `json:"enableWellKnownSecretMasking"`
	EnableSensitiveOutputUpload  bool        `json:"enableSensitiveOutputUpload"`
	ManagesStateFile             bool        `json:"managesStateFile"`
	ProtectFromDeletion          bool        `json:"protectFromDeletion"`
	IsDisabled                   bool        `json:"isDisabled"`
	Deleted                      bool        `json:"deleted"`
	Deleting                     bool        `json:"deleting"`
	CanWrite                     bool        `json:"canWrite"`
	Starred                      bool        `json:"starred"`
	LockedBy                     *string     `json:"lockedBy,omitempty"`
	LockedAt                     *int32      `json:"lockedAt,omitempty"`
	LockNote                     *string     `json:"lockNote,omitempty"`
	CreatedAt                    int32       `json:"createdAt"`
	State                        string      `json:"state"`
	StateSetAt                   *int32      `json:"stateSetAt,omitempty"`
	TrackedCommit                *commitData `json:"trackedCommit,omitempty"`
	TrackedCommitSetBy           *string     `json:"trackedCommitSetBy,omitempty"`
	hooksData
}

// clone copies d deeply enough that a resolver can read it without the lock.
func (d stackData) clone() stackData {
	for _, p := range []*[]string{
		&d.AdditionalProjectGlobs, &d.GitSparseCheckoutPaths, &d.Labels,
	} {
		*p = cloneStrings(*p)
	}
	d.hooksData = d.hooksData.clone()
	if d.TrackedCommit != nil {
		c := *d.TrackedCommit
		d.TrackedCommit = &c
	}
	return d
}

// stackRecord is a stack with everything hanging off it.
type stackRecord struct {
	stackData
	WorkerPoolID     *graphql.ID       `json:"workerPoolID,omitempty"`
	VcsIntegrationID *graphql.ID       `json:"vcsIntegrationID,omitempty"`
	Vendor           vendorConfig      `json:"vendor"`
	Config           []*configRecord   `json:"config"`
	Drift            *driftData        `json:"drift,omitempty"`
	Webhooks         []*webhookData    `json:"webhooks"`
	Entities         []*entityRecord   `json:"entities"`
	Outputs          []outputData      `json:"outputs"`
	RealDrift        int               `json:"realDrift"`
	NextPlan         *PlanSpec         `json:"nextPlan,omitempty"`
	Applied          bool              `json:"applied"`
	NextDriftAt      *time.Time        `json:"nextDriftAt,omitempty"`
	Schedules        []*scheduleRecord `json:"schedules,omitempty"`
	DestroyResources bool              `json:"destroyResources"`
}

// vendorConfig is the stored form of VendorConfigInput: exactly one member is set.
type vendorConfig struct {
	Ansible        *ansibleVendor        `json:"ansible,omitempty"`
	CloudFormation *cloudFormationVendor `json:"cloudFormation,omitempty"`
	Kubernetes     *kubernetesVendor     `json:"kubernetes,omitempty"`
	OpenTofu       *openTofuVendor       `json:"opentofu,omitempty"`
	Pulumi         *pulumiVendor         `json:"pulumi,omitempty"`
	Terraform      *terraformVendor      `json:"terraform,omitempty"`
	Terragrunt     *terragruntVendor     `json:"terragrunt,omitempty"`
}

type ansibleVendor struct {
	Playbook string `json:"playbook"`
}

type cloudFormationVendor struct {
	EntryTemplateFile string `json:"entryTemplateFile"`
	Region            string `json:"region"`
	StackName         string `json:"stackName"`
	TemplateBucket    string `json:"templateBucket"`
}

type kubernetesVendor struct {
	Namespace              string  `json:"namespace"`
	KubectlVersion         *string `json:"kubectlVersion,omitempty"`
	KubernetesWorkflowTool *string `json:"kubernetesWorkflowTool,omitempty"`
}

type openTofuVendor struct {
	Concise                    bool    `json:"concise"`
	ExternalStateAccessEnabled bool    `json:"externalStateAccessEnabled"`
	UseSmartSanitization       bool    `json:"useSmartSanitization"`
	Version                    *string `json:"version,omitempty"`
	WorkflowTool               *string `json:"workflowTool,omitempty"`
	Workspace                  *string `json:"workspace,omitempty"`
}

type pulumiVendor struct {
	LoginURL  string `json:"loginURL"`
	StackName string `json:"stackName"`
}

type terraformVendor struct {
	ExternalStateAccessEnabled bool    `json:"externalStateAccessEnabled"`
	UseSmartSanitization       bool    `json:"useSmartSanitization"`
	Version                    *string `json:"version,omitempty"`
	WorkflowTool               *string `json:"workflowTool,omitempty"`
	Workspace                  *string `json:"workspace,omitempty"`
}

type terragruntVendor struct {
	TerraformVersion                  *string `json:"terraformVersion,omitempty"`
	TerragruntVersion                 *string `json:"terragruntVersion,omitempty"`
	UseRunAll                         bool    `json:"useRunAll"`
	UseSmartSanitization              bool    `json:"useSmartSanitization"`
	UseStateManagement                bool    `json:"useStateManagement"`
	PrefixResourceNamesWithModuleName bool    `json:"prefixResourceNamesWithModuleName"`
	SkipReplanWhenRunAll              bool    `json:"skipReplanWhenRunAll"`
	SkipReplan                        bool    `json:"skipReplan"`
	Tool                              string  `json:"tool"`
}

type commitData struct {
	AuthorLogin *string `json:"authorLogin,omitempty"`
	AuthorName  string  `json:"authorName"`
	Hash        string  `json:"hash"`
	Message     string  `json:"message"`
	Timestamp   int32   `json:"timestamp"`
	URL         *string `json:"url,omitempty"`
}

// configRecord is a stack or context config element; Val is never exposed
// when WriteOnly is set.
type configRecord struct {
	ID          graphql.ID `json:"id"`
	Checksum    string     `json:"checksum"`
	CreatedAt   int32      `json:"createdAt"`
	Description *string    `json:"description,omitempty"`
	Runtime     bool       `json:"runtime"`
	Type        string     `json:"type"`
	Val         string     `json:"value"`
	WriteOnly   bool       `json:"writeOnly"`
}

type outputData struct {
	ID          graphql.ID `json:"id"`
	Description *string    `json:"description,omitempty"`
	Sensitive   bool       `json:"sensitive"`
	Val         string     `json:"value"`
}

type driftData struct {
	ID           graphql.ID `json:"id"`
	Deleted      bool       `json:"deleted"`
	IgnoreState  bool       `json:"ignoreState"`
	Reconcile    bool       `json:"reconcile"`
	Schedule     []string   `json:"schedule"`
	Timezone     string     `json:"timezone"`
	NextSchedule *int32     `json:"nextSchedule,omitempty"`
}

type webhookData struct {
	ID             graphql.ID `json:"id"`
	Enabled        bool       `json:"enabled"`
	Endpoint       string     `json:"endpoint"`
	Secret         string     `json:"secret"`
	RetryOnFailure *bool      `json:"retryOnFailure,omitempty"`
	Deleted        bool       `json:"deleted"`
}

type entityData struct {
	ID                 graphql.ID `json:"id"`
	Address            string     `json:"address"`
	Name               string     `json:"name"`
	Parent             string     `json:"parent"`
	Type               string     `json:"type"`
	Drifted            *int32     `json:"drifted,omitempty"`
	ThirdPartyMetadata *string    `json:"thirdPartyMetadata,omitempty"`
}

type entityRecord struct {
	entityData
	CreatorRunID graphql.ID `json:"creatorRunID,omitempty"`
	UpdaterRunID graphql.ID `json:"updaterRunID,omitempty"`
}

type spaceData struct {
	ID              graphql.ID  `json:"id"`
	Name            string      `json:"name"`
	Description     string      `json:"description"`
	InheritEntities bool        `json:"inheritEntities"`
	ParentSpace     *graphql.ID `json:"parentSpace,omitempty"`
	Labels          []string    `json:"labels"`
}

// spaced is what every object that lives in a space (a context, a policy,
// a worker pool) records about itself. Embedded, its fields keep their
// names in the state file and in GraphQL.
type spaced struct {
	ID        graphql.ID `json:"id"`
	Name      string     `json:"name"`
	Labels    []string   `json:"labels"`
	Space     graphql.ID `json:"space"`
	CreatedAt int32      `json:"createdAt"`
	UpdatedAt int32      `json:"updatedAt"`
}

// common gives generic code (search fields and orders, views) the shared
// fields of a record that embeds spaced.
func (o *spaced) common() *spaced { return o }

// described is an object in a space whose description is optional (a
// context or a worker pool; a policy's is required).
type described struct {
	spaced
	Description *string `json:"description,omitempty"`
}

type workerPoolData struct {
	described
	DriftDetectionRunLimit *int32 `json:"driftDetectionRunLimit,omitempty"`
}

type contextRecord struct {
	described
	Config []*configRecord `json:"config"`
	Hooks  hooksData       `json:"hooks"`
}

// hooksData are the commands run around each phase of a run, as a stack, a
// context or a runtime config sets them.
type hooksData struct {
	AfterApply    []string `json:"afterApply"`
	AfterDestroy  []string `json:"afterDestroy"`
	AfterInit     []string `json:"afterInit"`
	AfterPerform  []string `json:"afterPerform"`
	AfterPlan     []string `json:"afterPlan"`
	AfterRun      []string `json:"afterRun"`
	BeforeApply   []string `json:"beforeApply"`
	BeforeDestroy []string `json:"beforeDestroy"`
	BeforeInit    []string `json:"beforeInit"`
	BeforePerform []string `json:"beforePerform"`
	BeforePlan    []string `json:"beforePlan"`
}

// clone copies every list, turning nil into empty.
func (h hooksData) clone() hooksData {
	for _, p := range []*[]string{&h.AfterApply, &h.AfterDestroy, &h.AfterInit, &h.AfterPerform, &h.AfterPlan, &h.AfterRun,
		&h.BeforeApply, &h.BeforeDestroy, &h.BeforeInit, &h.BeforePerform, &h.BeforePlan} {
		*p = cloneStrings(*p)
	}
	return h
}

// attachment links a context, policy or AWS integration (Target) to a stack.
type attachment struct {
	ID       graphql.ID `json:"id"`
	Target   graphql.ID `json:"target"`
	StackID  graphql.ID `json:"stackID"`
	Priority int32      `json:"priority,omitempty"`
	Read     bool       `json:"read,omitempty"`
	Write    bool       `json:"write,omitempty"`
}

type policyData struct {
	spaced
	Body        string `json:"body"`
	Type        string `json:"type"`
	Description string `json:"description"`
	EngineType  string `json:"engineType"`
}

type awsIntegration struct {
	ID                          graphql.ID `json:"id"`
	Name                        string     `json:"name"`
	RoleArn                     string     `json:"roleArn"`
	ExternalId                  string     `json:"externalId"` //nolint:revive // schema spelling
	DurationSeconds             int32      `json:"durationSeconds"`
	GenerateCredentialsInWorker bool       `json:"generateCredentialsInWorker"`
	Labels                      []string   `json:"labels"`
	Space                       graphql.ID `json:"space"`
	Region                      *string    `json:"region,omitempty"`
	AutoattachEnabled           bool       `json:"autoattachEnabled"`
	TagAssumeRole               bool       `json:"tagAssumeRole"`
}

type dependencyRec struct {
	ID               graphql.ID       `json:"id"`
	StackID          graphql.ID       `json:"stackID"`
	DependsOnStackID graphql.ID       `json:"dependsOnStackID"`
	References       []*referenceData `json:"references"`
}

type referenceData struct {
	ID            graphql.ID `json:"id"`
	OutputName    string     `json:"outputName"`
	InputName     string     `json:"inputName"`
	Type          string     `json:"type"`
	TriggerAlways bool       `json:"triggerAlways"`
}

type roleData struct {
	ID          graphql.ID `json:"id"`
	Slug        string     `json:"slug"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	IsSystem    bool       `json:"isSystem"`
	Actions     []string   `json:"actions"`
}

type roleBindingData struct {
	ID      graphql.ID `json:"id"`
	RoleID  graphql.ID `json:"roleID"`
	SpaceID graphql.ID `json:"spaceID"`
	StackID graphql.ID `json:"stackID"`
}

// runData holds the run fields the schema exposes as plain values.
type runData struct {
	ID                   graphql.ID       `json:"id"`
	Type                 string           `json:"type"`
	State                string           `json:"state"`
	Branch               string           `json:"branch"`
	Commit               commitData       `json:"commit"`
	CreatedAt            int32            `json:"createdAt"`
	UpdatedAt            int32            `json:"updatedAt"`
	Title                string           `json:"title"`
	TriggeredBy          *string          `json:"triggeredBy,omitempty"`
	DriftDetection       bool             `json:"driftDetection"`
	NeedsApproval        bool             `json:"needsApproval"`
	Expired              bool             `json:"expired"`
	Delta                *deltaData       `json:"delta,omitempty"`
	History              []transitionData `json:"history"`
	Comments             []commentData    `json:"comments"`
	UserProvidedMetadata []string         `json:"userProvidedMetadata"`
	// Command is what a task runs; nil for other runs.
	Command *string `json:"command,omitempty"`
	// IsPrioritized is set by runPrioritizeSet.
	IsPrioritized bool         `json:"isPrioritized,omitempty"`
	Reviews       []reviewData `json:"reviews,omitempty"`
}

// reviewData is one runReview decision.
type reviewData struct {
	ID        graphql.ID `json:"id"`
	Decision  string     `json:"decision"`
	Note      *string    `json:"note,omitempty"`
	Author    string     `json:"author"`
	Timestamp int32      `json:"timestamp"`
}

func (d runData) clone() runData {
	d.Reviews = slices.Clone(d.Reviews)
	if d.Reviews == nil {
		d.Reviews = []reviewData{}
	}
	d.History = slices.Clone(d.History)
	d.Comments = slices.Clone(d.Comments)
	d.UserProvidedMetadata = cloneStrings(d.UserProvidedMetadata)
	if d.Delta != nil {
		dd := *d.Delta
		d.Delta = &dd
	}
	return d
}

type deltaData struct {
	AddCount    int32 `json:"addCount"`
	ChangeCount int32 `json:"changeCount"`
	DeleteCount int32 `json:"deleteCount"`
	Resources   int32 `json:"resources"`
}

type transitionData struct {
	HasLogs      bool    `json:"hasLogs"`
	Note         *string `json:"note,omitempty"`
	State        string  `json:"state"`
	StateVersion int32   `json:"stateVersion"`
	Terminal     bool    `json:"terminal"`
	Timestamp    int32   `json:"timestamp"`
	Username     *string `json:"username,omitempty"`
}

type commentData struct {
	Body      string `json:"body"`
	CreatedAt int32  `json:"createdAt"`
	Username  string `json:"username"`
}

// runRecord is a run plus what the state machine needs to move it on.
type runRecord struct {
	runData
	StackID   graphql.ID `json:"stackID"`
	Seq       int64      `json:"seq"`
	NextAt    *time.Time `json:"nextAt,omitempty"`
	Plan      PlanSpec   `json:"plan"`
	Reconcile bool       `json:"reconcile"`
	// SkipInit makes a task go from PREPARING straight to PERFORMING.
	SkipInit bool `json:"skipInit,omitempty"`
	// ReplanTargets are the resource addresses of a targeted replan.
	ReplanTargets []string `json:"replanTargets,omitempty"`
	// Changes are what planning found, resource by resource.
	Changes []changeData `json:"changes,omitempty"`
}

// changeData is one resource a run's plan changes.
type changeData struct {
	Address string `json:"address"`
	// Type is ADD, CHANGE or DELETE.
	Type string `json:"type"`
}

func cloneStrings(in []string) []string {
	if in == nil {
		return []string{}
	}
	return slices.Clone(in)
}

// scheduleRecord is a scheduled run, task or deletion of a stack.
type scheduleRecord struct {
	ID graphql.ID `json:"id"`
	// Kind is run, task or delete.
	Kind                  string             `json:"kind"`
	Name                  string             `json:"name,omitempty"`
	Command               string             `json:"command,omitempty"`
	CronSchedule          []string           `json:"cronSchedule,omitempty"`
	TimestampSchedule     *int32             `json:"timestampSchedule,omitempty"`
	Timezone              *string            `json:"timezone,omitempty"`
	RuntimeConfig         *runtimeConfigData `json:"runtimeConfig,omitempty"`
	ShouldDeleteResources bool               `json:"shouldDeleteResources,omitempty"`
	NextAt                *time.Time         `json:"nextAt,omitempty"`
}

// runtimeConfigData is a stored RuntimeConfigInput.
type runtimeConfigData struct {
	Environment []envVarData `json:"environment"`
	ProjectRoot *string      `json:"projectRoot,omitempty"`
	RunnerImage *string      `json:"runnerImage,omitempty"`
	hooksData
}

type envVarData struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}
