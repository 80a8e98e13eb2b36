package spacelift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	graphql "github.com/hasura/go-graphql-client"
)

// StackState is the state of a stack: the state of its last tracked run, or
// NONE before the first one.
type StackState string

// Stack states the operator looks at.
const (
	StackStateNone        StackState = "NONE"
	StackStateFinished    StackState = "FINISHED"
	StackStateFailed      StackState = "FAILED"
	StackStateUnconfirmed StackState = "UNCONFIRMED"
	StackStateDestroying  StackState = "DESTROYING"
)

// Stack is a stack as read from the API: its settings, in the shape of
// StackInput where they are settable, and its status.
type Stack struct {
	ID          string
	Name        string
	Description string
	// Space is the ID of the stack's space.
	Space  string
	Labels []string

	Repository             string
	Branch                 string
	Namespace              string
	Provider               VCSProvider
	RepositoryURL          string
	ProjectRoot            string
	AdditionalProjectGlobs []string
	// VCSIntegrationID is empty for the provider's default integration.
	VCSIntegrationID string
	RunnerImage      string
	// WorkerPool is the worker pool ID, empty for the public pool.
	WorkerPool string
	// VendorConfig has exactly one member set, the stack's vendor.
	VendorConfig VendorConfigInput

	Administrative               bool
	Autodeploy                   bool
	Autoretry                    bool
	GitHubActionDeploy           bool
	LocalPreviewEnabled          bool
	EnableWellKnownSecretMasking bool
	EnableSensitiveOutputUpload  bool
	ProtectFromDeletion          bool
	ManagesStateFile             bool

	AfterApply    []string
	AfterDestroy  []string
	AfterInit     []string
	AfterPerform  []string
	AfterPlan     []string
	AfterRun      []string
	BeforeApply   []string
	BeforeDestroy []string
	BeforeInit    []string
	BeforePerform []string
	BeforePlan    []string

	// DriftDetection is nil when the stack has no drift detection.
	DriftDetection *DriftDetectionIntegration
	Webhooks       []Webhook

	IsDisabled bool
	// Deleting is set while a deletion with destroyResources runs.
	Deleting   bool
	State      StackState
	StateSetAt time.Time
	CreatedAt  time.Time
	// TrackedCommitSHA is the commit the stack's tracked runs use.
	TrackedCommitSHA string
	// LockedBy is the user holding the stack lock, empty when unlocked.
	LockedBy string
	// Blocker is the run that currently holds the stack, if any.
	Blocker *Run
}

// stackFields is the selection set of a stack.
type stackFields struct {
	ID                     string            `graphql:"id" json:"id"`
	Name                   string            `graphql:"name" json:"name"`
	Description            *string           `graphql:"description" json:"description"`
	Space                  string            `graphql:"space" json:"space"`
	Labels                 []string          `graphql:"labels" json:"labels"`
	Repository             string            `graphql:"repository" json:"repository"`
	Branch                 string            `graphql:"branch" json:"branch"`
	Namespace              string            `graphql:"namespace" json:"namespace"`
	Provider               string            `graphql:"provider" json:"provider"`
	RepositoryURL          *string           `graphql:"repositoryURL" json:"repositoryURL"`
	ProjectRoot            *string           `graphql:"projectRoot" json:"projectRoot"`
	AdditionalProjectGlobs []string          `graphql:"additionalProjectGlobs" json:"additionalProjectGlobs"`
	VCSIntegration         *idField          `graphql:"vcsIntegration" json:"vcsIntegration"`
	RunnerImage            *string           `graphql:"runnerImage" json:"runnerImage"`
	WorkerPool             *idField          `graphql:"workerPool" json:"workerPool"`
	VendorConfig           *vendorConfigWire `graphql:"vendorConfig" json:"-"`
	// VendorJSON receives vendorConfig when encoding/json decodes the
	// answer (the GraphQL client's decoder fills VendorConfig).
	VendorJSON                   vendorConfigJSON `graphql:"-" json:"vendorConfig"`
	Administrative               bool             `graphql:"administrative" json:"administrative"`
	Autodeploy                   bool             `graphql:"autodeploy" json:"autodeploy"`
	Autoretry                    bool             `graphql:"autoretry" json:"autoretry"`
	GitHubActionDeploy           bool             `graphql:"githubActionDeploy" json:"githubActionDeploy"`
	LocalPreviewEnabled          bool             `graphql:"localPreviewEnabled" json:"localPreviewEnabled"`
	EnableWellKnownSecretMasking bool             `graphql:"enableWellKnownSecretMasking" json:"enableWellKnownSecretMasking"`
	EnableSensitiveOutputUpload  bool             `graphql:"enableSensitiveOutputUpload" json:"enableSensitiveOutputUpload"`
	ProtectFromDeletion          bool             `graphql:"protectFromDeletion" json:"protectFromDeletion"`
	ManagesStateFile             bool             `graphql:"managesStateFile" json:"managesStateFile"`
	AfterApply                   []string         `graphql:"afterApply" json:"afterApply"`
	AfterDestroy                 []string         `graphql:"afterDestroy" json:"afterDestroy"`
	AfterInit                    []string         `graphql:"afterInit" json:"afterInit"`
	AfterPerform                 []string         `graphql:"afterPerform" json:"afterPerform"`
	AfterPlan                    []string         `graphql:"afterPlan" json:"afterPlan"`
	AfterRun                     []string         `graphql:"afterRun" json:"afterRun"`
	BeforeApply                  []string         `graphql:"beforeApply" json:"beforeApply"`
	BeforeDestroy                []string         `graphql:"beforeDestroy" json:"beforeDestroy"`
	BeforeInit                   []string         `graphql:"beforeInit" json:"beforeInit"`
	BeforePerform                []string         `graphql:"beforePerform" json:"beforePerform"`
	BeforePlan                   []string         `graphql:"beforePlan" json:"beforePlan"`
	Integrations                 *struct {
		DriftDetection *driftDetectionFields `graphql:"driftDetection" json:"driftDetection"`
		Webhooks       []webhookFields       `graphql:"webhooks" json:"webhooks"`
	} `graphql:"integrations" json:"integrations"`
	IsDisabled    bool   `graphql:"isDisabled" json:"isDisabled"`
	Deleting      bool   `graphql:"deleting" json:"deleting"`
	State         string `graphql:"state" json:"state"`
	StateSetAt    *int64 `graphql:"stateSetAt" json:"stateSetAt"`
	CreatedAt     int64  `graphql:"createdAt" json:"createdAt"`
	TrackedCommit *struct {
		Hash string `graphql:"hash" json:"hash"`
	} `graphql:"trackedCommit" json:"trackedCommit"`
	LockedBy *string `graphql:"lockedBy" json:"lockedBy"`
	Blocker  *struct {
		ID    string `graphql:"id" json:"id"`
		Type  string `graphql:"type" json:"type"`
		State string `graphql:"state" json:"state"`
	} `graphql:"blocker" json:"blocker"`
}

type idField struct {
	ID string `graphql:"id" json:"id"`
}

// vendorConfigWire reads the StackConfigVendor union. workflowTool is
// aliased per member, as the Terraform provider does, because the real API
// types it differently in different members.
type vendorConfigWire struct {
	Typename string `graphql:"__typename" json:"__typename"`
	Ansible  struct {
		Playbook string `graphql:"playbook" json:"playbook"`
	} `graphql:"... on StackConfigVendorAnsible" json:"-"`
	CloudFormation struct {
		EntryTemplateFile string `graphql:"entryTemplateFile" json:"entryTemplateFile"`
		Region            string `graphql:"region" json:"region"`
		StackName         string `graphql:"stackName" json:"stackName"`
		TemplateBucket    string `graphql:"templateBucket" json:"templateBucket"`
	} `graphql:"... on StackConfigVendorCloudFormation" json:"-"`
	Kubernetes struct {
		Namespace              string  `graphql:"namespace" json:"namespace"`
		KubectlVersion         *string `graphql:"kubectlVersion" json:"kubectlVersion"`
		KubernetesWorkflowTool *string `graphql:"kubernetesWorkflowTool" json:"kubernetesWorkflowTool"`
	} `graphql:"... on StackConfigVendorKubernetes" json:"-"`
	OpenTofu struct {
		Concise                    bool    `graphql:"concise" json:"concise"`
		ExternalStateAccessEnabled bool    `graphql:"externalStateAccessEnabled" json:"externalStateAccessEnabled"`
		UseSmartSanitization       bool    `graphql:"useSmartSanitization" json:"useSmartSanitization"`
		Version                    *string `graphql:"version" json:"version"`
		WorkflowTool               *string `graphql:"openTofuWorkflowTool: workflowTool" json:"openTofuWorkflowTool"`
		Workspace                  *string `graphql:"workspace" json:"workspace"`
	} `graphql:"... on StackConfigVendorOpenTofu" json:"-"`
	Pulumi struct {
		LoginURL  string `graphql:"loginURL" json:"loginURL"`
		StackName string `graphql:"stackName" json:"stackName"`
	} `graphql:"... on StackConfigVendorPulumi" json:"-"`
	Terraform struct {
		ExternalStateAccessEnabled bool    `graphql:"externalStateAccessEnabled" json:"externalStateAccessEnabled"`
		UseSmartSanitization       bool    `graphql:"useSmartSanitization" json:"useSmartSanitization"`
		Version                    *string `graphql:"version" json:"version"`
		WorkflowTool               *string `graphql:"terraformWorkflowTool: workflowTool" json:"terraformWorkflowTool"`
		Workspace                  *string `graphql:"workspace" json:"workspace"`
	} `graphql:"... on StackConfigVendorTerraform" json:"-"`
	Terragrunt struct {
		TerraformVersion     *string `graphql:"terraformVersion" json:"terraformVersion"`
		TerragruntVersion    *string `graphql:"terragruntVersion" json:"terragruntVersion"`
		UseRunAll            bool    `graphql:"useRunAll" json:"useRunAll"`
		UseSmartSanitization bool    `graphql:"useSmartSanitization" json:"useSmartSanitization"`
		Tool                 string  `graphql:"tool" json:"tool"`
	} `graphql:"... on StackConfigVendorTerragrunt" json:"-"`
}

// vendor is the decoded vendorConfig, from whichever decoder read it.
func (f *stackFields) vendor() *vendorConfigWire {
	if f.VendorConfig != nil {
		return f.VendorConfig
	}
	return f.VendorJSON.wire
}

// vendorConfigJSON decodes vendorConfig with encoding/json. It is a type of
// its own because the GraphQL client takes a type that implements
// json.Unmarshaler for a scalar and would select no fields of it.
type vendorConfigJSON struct {
	wire *vendorConfigWire
}

// UnmarshalJSON decodes the union as encoding/json sees it: the members'
// fields flattened into one object, told apart by __typename.
func (j *vendorConfigJSON) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v := &vendorConfigWire{}
	j.wire = v
	var head struct {
		Typename string `json:"__typename"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	v.Typename = head.Typename
	var member any
	switch head.Typename {
	case "StackConfigVendorAnsible":
		member = &v.Ansible
	case "StackConfigVendorCloudFormation":
		member = &v.CloudFormation
	case "StackConfigVendorKubernetes":
		member = &v.Kubernetes
	case "StackConfigVendorOpenTofu":
		member = &v.OpenTofu
	case "StackConfigVendorPulumi":
		member = &v.Pulumi
	case "StackConfigVendorTerraform":
		member = &v.Terraform
	case "StackConfigVendorTerragrunt":
		member = &v.Terragrunt
	default:
		return nil
	}
	return json.Unmarshal(b, member)
}

func (v *vendorConfigWire) config() VendorConfigInput {
	if v == nil {
		return VendorConfigInput{}
	}
	tool := func(s *string) *TerraformWorkflowTool {
		if s == nil {
			return nil
		}
		t := TerraformWorkflowTool(*s)
		return &t
	}
	switch v.Typename {
	case "StackConfigVendorAnsible":
		return VendorConfigInput{Ansible: &AnsibleInput{Playbook: v.Ansible.Playbook}}
	case "StackConfigVendorCloudFormation":
		cf := v.CloudFormation
		return VendorConfigInput{CloudFormation: &CloudFormationInput{
			EntryTemplateFile: cf.EntryTemplateFile, Region: cf.Region,
			StackName: cf.StackName, TemplateBucket: cf.TemplateBucket,
		}}
	case "StackConfigVendorKubernetes":
		k := v.Kubernetes
		return VendorConfigInput{Kubernetes: &KubernetesInput{
			Namespace: k.Namespace, KubectlVersion: k.KubectlVersion, KubernetesWorkflowTool: k.KubernetesWorkflowTool,
		}}
	case "StackConfigVendorOpenTofu":
		o := v.OpenTofu
		return VendorConfigInput{OpenTofu: &OpenTofuInput{
			Concise: ptr(o.Concise), ExternalStateAccessEnabled: ptr(o.ExternalStateAccessEnabled),
			UseSmartSanitization: ptr(o.UseSmartSanitization), Version: o.Version,
			WorkflowTool: tool(o.WorkflowTool), Workspace: o.Workspace,
		}}
	case "StackConfigVendorPulumi":
		return VendorConfigInput{Pulumi: &PulumiInput{LoginURL: v.Pulumi.LoginURL, StackName: v.Pulumi.StackName}}
	case "StackConfigVendorTerragrunt":
		g := v.Terragrunt
		return VendorConfigInput{Terragrunt: &TerragruntInput{
			TerraformVersion: g.TerraformVersion, TerragruntVersion: g.TerragruntVersion,
			UseRunAll: g.UseRunAll, UseSmartSanitization: g.UseSmartSanitization, Tool: ptrOrNil(g.Tool),
		}}
	default:
		t := v.Terraform
		return VendorConfigInput{Terraform: &TerraformInput{
			ExternalStateAccessEnabled: ptr(t.ExternalStateAccessEnabled),
			UseSmartSanitization:       ptr(t.UseSmartSanitization), Version: t.Version,
			WorkflowTool: tool(t.WorkflowTool), Workspace: t.Workspace,
		}}
	}
}

func (f *stackFields) stack() *Stack {
	s := &Stack{
		ID:                           f.ID,
		Name:                         f.Name,
		Description:                  deref(f.Description),
		Space:                        f.Space,
		Labels:                       f.Labels,
		Repository:                   f.Repository,
		Branch:                       f.Branch,
		Namespace:                    f.Namespace,
		Provider:                     VCSProvider(f.Provider),
		RepositoryURL:                deref(f.RepositoryURL),
		ProjectRoot:                  deref(f.ProjectRoot),
		AdditionalProjectGlobs:       f.AdditionalProjectGlobs,
		RunnerImage:                  deref(f.RunnerImage),
		VendorConfig:                 f.vendor().config(),
		Administrative:               f.Administrative,
		Autodeploy:                   f.Autodeploy,
		Autoretry:                    f.Autoretry,
		GitHubActionDeploy:           f.GitHubActionDeploy,
		LocalPreviewEnabled:          f.LocalPreviewEnabled,
		EnableWellKnownSecretMasking: f.EnableWellKnownSecretMasking,
		EnableSensitiveOutputUpload:  f.EnableSensitiveOutputUpload,
		ProtectFromDeletion:          f.ProtectFromDeletion,
		ManagesStateFile:             f.ManagesStateFile,
		AfterApply:                   f.AfterApply,
		AfterDestroy:                 f.AfterDestroy,
		AfterInit:                    f.AfterInit,
		AfterPerform:                 f.AfterPerform,
		AfterPlan:                    f.AfterPlan,
		AfterRun:                     f.AfterRun,
		BeforeApply:                  f.BeforeApply,
		BeforeDestroy:                f.BeforeDestroy,
		BeforeInit:                   f.BeforeInit,
		BeforePerform:                f.BeforePerform,
		BeforePlan:                   f.BeforePlan,
		IsDisabled:                   f.IsDisabled,
		Deleting:                     f.Deleting,
		State:                        StackState(f.State),
		CreatedAt:                    unixTime(f.CreatedAt),
		LockedBy:                     deref(f.LockedBy),
	}
	if f.VCSIntegration != nil {
		s.VCSIntegrationID = f.VCSIntegration.ID
	}
	if f.WorkerPool != nil {
		s.WorkerPool = f.WorkerPool.ID
	}
	if f.StateSetAt != nil {
		s.StateSetAt = unixTime(*f.StateSetAt)
	}
	if f.TrackedCommit != nil {
		s.TrackedCommitSHA = f.TrackedCommit.Hash
	}
	if f.Blocker != nil {
		s.Blocker = &Run{ID: f.Blocker.ID, Type: RunType(f.Blocker.Type), State: RunState(f.Blocker.State)}
	}
	if f.Integrations != nil {
		s.DriftDetection = f.Integrations.DriftDetection.integration()
		for _, w := range f.Integrations.Webhooks {
			s.Webhooks = append(s.Webhooks, w.webhook())
		}
	}
	return s
}

// GetStack reads a stack. A missing stack is an error for which IsNotFound
// is true.
func (c *Client) GetStack(ctx context.Context, id string) (*Stack, error) {
	var q struct {
		Stack *stackFields `graphql:"stack(id: $id)" json:"stack"`
	}
	cl := query("StackRead")
	if err := c.do(ctx, cl, &q, map[string]any{"id": graphql.ID(id)}); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+id)
	}
	return q.Stack.stack(), nil
}

// CreateStackOptions are the arguments of stackCreate besides the input.
type CreateStackOptions struct {
	// ManageState makes Spacelift the Terraform state backend of the stack.
	// It cannot change after creation.
	ManageState bool
	// Slug, when set, is the ID the stack gets instead of one derived from
	// its name. A fixed slug makes a repeated create fail with "already
	// exists" instead of creating a second stack.
	Slug string
}

// CreateStack creates a stack. A missing space or worker pool named by the
// input is reported as invalid input. The mutation is not repeated after a
// failure that may have reached the API; use a Slug to make the outcome of
// an interrupted create verifiable with GetStack. Creates that concurrent
// callers make go out together in one document (see Apply); each stack is
// created, or refused, on its own.
func (c *Client) CreateStack(ctx context.Context, input StackInput, opts CreateStackOptions) (*Stack, error) {
	sel, err := stackSelection()
	if err != nil {
		return nil, err
	}
	m := Mutation{Field: "stackCreate", Select: sel, Desc: "create stack " + input.Name,
		Args: []Arg{{"input", "StackInput!", input}, {"manageState", "Boolean!", opts.ManageState}, {"slug", "String", ptrOrNil(opts.Slug)}}}
	answers, err := c.batches.submit(ctx, c, "StackCreate", []Mutation{m})
	if err != nil {
		var be *BatchError
		if errors.As(err, &be) {
			err = be.Err
		}
		return nil, referencedObjectMissing(err)
	}
	var f stackFields
	if err := json.Unmarshal(answers[0], &f); err != nil {
		return nil, &Error{Operation: "StackCreate", Kind: KindUnknown, Err: fmt.Errorf("decoding the created stack: %w", err)}
	}
	return f.stack(), nil
}

// stackSelection is the selection of stackFields as GraphQL text, for
// documents built at run time.
var stackSelection = sync.OnceValues(func() (string, error) {
	q, err := graphql.ConstructQuery(&stackFields{}, nil)
	if err != nil {
		return "", fmt.Errorf("building the stack selection: %w", err)
	}
	return strings.TrimSuffix(strings.TrimPrefix(q, "{"), "}"), nil
})

// UpdateStack replaces the configuration of a stack with input.
func (c *Client) UpdateStack(ctx context.Context, id string, input StackInput) (*Stack, error) {
	var m struct {
		Stack stackFields `graphql:"stackUpdate(id: $id, input: $input)" json:"stackUpdate"`
	}
	vars := map[string]any{"id": graphql.ID(id), "input": input}
	if err := c.do(ctx, mutation("StackUpdate", true), &m, vars); err != nil {
		return nil, err
	}
	return m.Stack.stack(), nil
}

// DeleteStack deletes a stack. With destroyResources, Spacelift first runs a
// destroy of the stack's resources and deleting reports true: the stack
// exists until that run ends, so callers poll GetStack until it reports not
// found.
func (c *Client) DeleteStack(ctx context.Context, id string, destroyResources bool) (deleting bool, err error) {
	var m struct {
		Stack *struct {
			ID       string `graphql:"id" json:"id"`
			Deleting bool   `graphql:"deleting" json:"deleting"`
		} `graphql:"stackDelete(id: $id, destroyResources: $destroyResources)" json:"stackDelete"`
	}
	vars := map[string]any{"id": graphql.ID(id), "destroyResources": destroyResources}
	cl := mutation("StackDelete", true)
	if err := c.do(ctx, cl, &m, vars); err != nil {
		return false, err
	}
	if m.Stack == nil {
		return false, nil
	}
	return m.Stack.Deleting, nil
}

// EnableStack enables a disabled stack.
func (c *Client) EnableStack(ctx context.Context, id string) (*Stack, error) {
	var m struct {
		Stack stackFields `graphql:"stackEnable(id: $id)" json:"stackEnable"`
	}
	if err := c.do(ctx, mutation("StackEnable", true), &m, map[string]any{"id": graphql.ID(id)}); err != nil {
		return nil, err
	}
	return m.Stack.stack(), nil
}

// DisableStack disables a stack: it accepts no new runs until enabled.
func (c *Client) DisableStack(ctx context.Context, id string) (*Stack, error) {
	var m struct {
		Stack stackFields `graphql:"stackDisable(id: $id)" json:"stackDisable"`
	}
	if err := c.do(ctx, mutation("StackDisable", true), &m, map[string]any{"id": graphql.ID(id)}); err != nil {
		return nil, err
	}
	return m.Stack.stack(), nil
}

// referencedObjectMissing reclassifies a not-found answer to a create as
// invalid input: the object being created cannot be missing, so the missing
// object is one the input refers to.
func referencedObjectMissing(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Kind == KindNotFound {
		e.Kind = KindInvalidInput
	}
	return err
}

func unixTime(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func ptrOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
