package emulator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/graph-gophers/graphql-go"
)

// Error messages are modelled on Spacelift's: short, lower case, naming the
// object. Validation errors are GraphQL errors with HTTP 200, as in Spacelift.

type userView struct {
	ID         graphql.ID
	Name       string
	Jwt        string
	ValidUntil int32
}

type apiKeyArgs struct {
	ID     graphql.ID
	Secret string
}

func (r *rootResolver) ApiKeyUser(ctx context.Context, args apiKeyArgs) (*userView, error) { //nolint:revive // name fixed by the schema
	if !r.s.checkAPIKey(string(args.ID), args.Secret) {
		return nil, errUnauthorized
	}
	token, until := r.s.mintToken(info(ctx).baseURL)
	return &userView{ID: args.ID, Name: "api::" + string(args.ID), Jwt: token, ValidUntil: int32(until.Unix())}, nil
}

// Slug turns a name into a Spacelift-style id: lower case, runs of anything
// but letters and digits become one dash, no leading or trailing dash.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

type stackInput struct {
	Name                         string
	Repository                   string
	Branch                       string
	Administrative               *bool
	Autodeploy                   *bool
	Autoretry                    *bool
	Description                  *string
	Labels                       *[]string
	Space                        *graphql.ID
	Namespace                    *string
	Provider                     *string
	RepositoryURL                *string
	ProjectRoot                  *string
	AdditionalProjectGlobs       *[]string
	GitSparseCheckoutPaths       *[]string
	RunnerImage                  *string
	WorkerPool                   *graphql.ID
	VcsIntegrationID             *graphql.ID
	VendorConfig                 *vendorConfigInput
	GithubActionDeploy           *bool
	LocalPreviewEnabled          *bool
	EnableWellKnownSecretMasking *bool
	EnableSensitiveOutputUpload  *bool
	ProtectFromDeletion          *bool
	hooksInput
}

type vendorConfigInput struct {
	Ansible        *ansibleVendor
	CloudFormation *cloudFormationVendor
	Kubernetes     *kubernetesVendor
	Opentofu       *openTofuInput
	Pulumi         *pulumiVendor
	Terraform      *terraformInput
	Terragrunt     *terragruntInput
}

type openTofuInput struct {
	Concise                    *bool
	ExternalStateAccessEnabled *bool
	UseSmartSanitization       *bool
	Version                    *string
	WorkflowTool               *string
	Workspace                  *string
}

type terraformInput struct {
	ExternalStateAccessEnabled *bool
	UseSmartSanitization       *bool
	Version                    *string
	WorkflowTool               *string
	Workspace                  *string
}

type terragruntInput struct {
	TerraformVersion                  *string
	TerragruntVersion                 *string
	UseRunAll                         bool
	UseSmartSanitization              bool
	UseStateManagement                *bool
	PrefixResourceNamesWithModuleName *bool
	SkipReplanWhenRunAll              *bool
	SkipReplan                        *bool
	Tool                              *string
}

func orFalse(b *bool) bool { return b != nil && *b }

func list(p *[]string) []string {
	if p == nil {
		return []string{}
	}
	return slices.Clone(*p)
}

func (in vendorConfigInput) toConfig() (vendorConfig, error) {
	var out vendorConfig
	set := 0
	if in.Ansible != nil {
		out.Ansible, set = in.Ansible, set+1
	}
	if in.CloudFormation != nil {
		out.CloudFormation, set = in.CloudFormation, set+1
	}
	if in.Kubernetes != nil {
		out.Kubernetes, set = in.Kubernetes, set+1
	}
	if in.Pulumi != nil {
		out.Pulumi, set = in.Pulumi, set+1
	}
	if t := in.Opentofu; t != nil {
		out.OpenTofu = &openTofuVendor{Concise: orFalse(t.Concise), ExternalStateAccessEnabled: orFalse(t.ExternalStateAccessEnabled),
			UseSmartSanitization: orFalse(t.UseSmartSanitization), Version: t.Version, WorkflowTool: t.WorkflowTool, Workspace: t.Workspace}
		set++
	}
	if t := in.Terraform; t != nil {
		out.Terraform = &terraformVendor{ExternalStateAccessEnabled: orFalse(t.ExternalStateAccessEnabled),
			UseSmartSanitization: orFalse(t.UseSmartSanitization), Version: t.Version, WorkflowTool: t.WorkflowTool, Workspace: t.Workspace}
		set++
	}
	if t := in.Terragrunt; t != nil {
		tool := "TERRAFORM_FOSS"
		if t.Tool != nil {
			tool = *t.Tool
		}
		out.Terragrunt = &terragruntVendor{TerraformVersion: t.TerraformVersion, TerragruntVersion: t.TerragruntVersion,
			UseRunAll: t.UseRunAll, UseSmartSanitization: t.UseSmartSanitization, UseStateManagement: orFalse(t.UseStateManagement),
			PrefixResourceNamesWithModuleName: orFalse(t.PrefixResourceNamesWithModuleName),
			SkipReplanWhenRunAll:              orFalse(t.SkipReplanWhenRunAll), SkipReplan: orFalse(t.SkipReplan), Tool: tool}
		set++
	}
	if set > 1 {
		return vendorConfig{}, errors.New("only one vendor config may be set")
	}
	return out, nil
}

// applyStackInputLocked writes the whole input over rec: stackUpdate replaces
// the configuration, so optional fields left out go back to their defaults.
func (s *Server) applyStackInputLocked(rec *stackRecord, in stackInput) error {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return errors.New("name can't be empty")
	}
	if strings.TrimSpace(in.Repository) == "" {
		return errors.New("repository can't be empty")
	}
	if strings.TrimSpace(in.Branch) == "" {
		return errors.New("branch can't be empty")
	}
	if orFalse(in.Administrative) {
		return errAdministrativeFlag
	}
	space, err := s.spaceOrRootLocked(in.Space)
	if err != nil {
		return err
	}
	if in.WorkerPool != nil && *in.WorkerPool != "" {
		if _, ok := s.st.WorkerPools[*in.WorkerPool]; !ok {
			return fmt.Errorf("worker pool %q not found", *in.WorkerPool)
		}
	}
	vendor := vendorConfig{}
	if in.VendorConfig != nil {
		v, err := in.VendorConfig.toConfig()
		if err != nil {
			return err
		}
		vendor = v
	}
	provider := "GITHUB"
	if in.Provider != nil {
		provider = *in.Provider
	}
	githubActionDeploy := true
	if in.GithubActionDeploy != nil {
		githubActionDeploy = *in.GithubActionDeploy
	}
	d := &rec.stackData
	d.Name, d.Repository, d.Branch = name, in.Repository, in.Branch
	d.Administrative, d.Autodeploy, d.Autoretry = false, orFalse(in.Autodeploy), orFalse(in.Autoretry)
	d.Description, d.Labels, d.Space = in.Description, list(in.Labels), space
	d.Namespace, d.Provider, d.RepositoryURL, d.ProjectRoot = deref(in.Namespace), provider, in.RepositoryURL, in.ProjectRoot
	d.AdditionalProjectGlobs, d.GitSparseCheckoutPaths = list(in.AdditionalProjectGlobs), list(in.GitSparseCheckoutPaths)
	d.RunnerImage = in.RunnerImage
	d.GithubActionDeploy = githubActionDeploy
	d.LocalPreviewEnabled = orFalse(in.LocalPreviewEnabled)
	d.EnableWellKnownSecretMasking = orFalse(in.EnableWellKnownSecretMasking)
	d.EnableSensitiveOutputUpload = orFalse(in.EnableSensitiveOutputUpload)
	d.ProtectFromDeletion = orFalse(in.ProtectFromDeletion)
	d.hooksData = in.toHooks()
	rec.WorkerPoolID, rec.VcsIntegrationID, rec.Vendor = nil, in.VcsIntegrationID, vendor
	if in.WorkerPool != nil && *in.WorkerPool != "" {
		wp := *in.WorkerPool
		rec.WorkerPoolID = &wp
	}
	return nil
}

// errAdministrativeFlag refuses administrative: true in StackInput. Spacelift
// stopped accepting the flag on stacks on 2026-06-01 in favour of stack role
// bindings; the wording is the emulator's own (the real message could not be
// found in public sources), naming the replacement.
var errAdministrativeFlag = errors.New("administrative: the administrative flag is no longer supported on stacks; " +
	"attach the Space admin role (" + spaceAdminRoleID + ") to the stack with stackRoleBindingCreate in the space it must manage")

type stackCreateArgs struct {
	Input         stackInput
	ManageState   bool
	StackObjectID *string
	Slug          *string
}

// StackCreate makes a stack whose id is the slug given or that of its name.
func (r *rootResolver) StackCreate(ctx context.Context, args stackCreateArgs) (*stackView, error) {
	return createObject(ctx, r.s, stackObjects, func() (*stackRecord, graphql.ID, error) {
		return r.s.newStackLocked(ctx, args)
	}, r.s.stackViewLocked)
}

// fakeCommit is the head commit the emulator pretends the tracked branch has.
func fakeCommit(repo, branch string, at time.Time) *commitData {
	sum := sha256.Sum256([]byte(repo + "@" + branch))
	hash := hex.EncodeToString(sum[:20])
	login := "emulator"
	return &commitData{AuthorLogin: &login, AuthorName: "Spacelift Emulator", Hash: hash,
		Message: "Emulated head of " + branch, Timestamp: unix(at)}
}

func unix(t time.Time) int32 { return int32(t.Unix()) } //nolint:gosec // GraphQL Int is 32-bit, as in Spacelift

type stackUpdateArgs struct {
	ID    graphql.ID
	Input stackInput
}

func (r *rootResolver) StackUpdate(ctx context.Context, args stackUpdateArgs) (*stackView, error) {
	s := r.s
	return onStack(ctx, s, args.ID, func(rec *stackRecord) (*stackView, error) {
		updated := *rec
		updated.stackData = rec.stackData.clone()
		if err := s.applyStackInputLocked(&updated, args.Input); err != nil {
			return nil, fmt.Errorf("could not update stack: %w", err)
		}
		for _, space := range []graphql.ID{rec.Space, updated.Space} {
			if err := s.requireAdminLocked(ctx, space); err != nil {
				return nil, err
			}
		}
		if updated.Branch != rec.Branch || updated.Repository != rec.Repository {
			updated.TrackedCommit = fakeCommit(updated.Repository, updated.Branch, s.nowLocked())
		}
		*rec = updated
		return s.stackViewLocked(rec), nil
	})
}

type stackDeleteArgs struct {
	ID               graphql.ID
	DestroyResources *bool
}

// StackDelete deletes a stack as deleteStackLocked does. A missing stack is
// null, as Spacelift answers and as the Terraform provider relies on when a
// spacelift_stack_destructor has already destroyed the stack.
func (r *rootResolver) StackDelete(ctx context.Context, args stackDeleteArgs) (*stackView, error) {
	return onFound(ctx, r.s, stackObjects, args.ID, func(rec *stackRecord) (*stackView, error) {
		return r.s.deleteStackLocked(rec, orFalse(args.DestroyResources))
	})
}

func (r *rootResolver) StackEnable(ctx context.Context, args idArg) (*stackView, error) {
	return r.setDisabled(ctx, args.ID, false)
}

func (r *rootResolver) StackDisable(ctx context.Context, args idArg) (*stackView, error) {
	return r.setDisabled(ctx, args.ID, true)
}

func (r *rootResolver) setDisabled(ctx context.Context, id graphql.ID, disabled bool) (*stackView, error) {
	return onStackAs(ctx, r.s, id, actionAdmin, func(rec *stackRecord) (*stackView, error) {
		rec.IsDisabled = disabled
		return r.s.stackViewLocked(rec), nil
	})
}

type stackLockArgs struct {
	ID   graphql.ID
	Note *string
}

// lockedByOther reports who holds a stack's lock when it is not the caller.
func lockedByOther(rec *stackRecord, subject string) (string, bool) {
	if rec.LockedBy == nil || *rec.LockedBy == subject {
		return "", false
	}
	return *rec.LockedBy, true
}

// StackLock gives the caller exclusive use of a stack. Taking a lock the
// caller already holds replaces its note.
func (r *rootResolver) StackLock(ctx context.Context, args stackLockArgs) (*stackView, error) {
	return onStackAs(ctx, r.s, args.ID, actionWrite, func(rec *stackRecord) (*stackView, error) {
		subject := info(ctx).subject
		if holder, ok := lockedByOther(rec, subject); ok {
			return nil, fmt.Errorf("stack %q is locked by %s", args.ID, holder)
		}
		at := unix(r.s.nowLocked())
		rec.LockedBy, rec.LockedAt, rec.LockNote = &subject, &at, nil
		if args.Note != nil && *args.Note != "" {
			note := *args.Note
			rec.LockNote = &note
		}
		return r.s.stackViewLocked(rec), nil
	})
}

// StackUnlock releases the caller's lock.
func (r *rootResolver) StackUnlock(ctx context.Context, args idArg) (*stackView, error) {
	return onStackAs(ctx, r.s, args.ID, actionWrite, func(rec *stackRecord) (*stackView, error) {
		if holder, ok := lockedByOther(rec, info(ctx).subject); ok {
			return nil, fmt.Errorf("stack %q is locked by %s", args.ID, holder)
		}
		rec.LockedBy, rec.LockedAt, rec.LockNote = nil, nil, nil
		return r.s.stackViewLocked(rec), nil
	})
}

type setCurrentCommitArgs struct {
	ID  graphql.ID
	Sha string
}

// isGitObjectName accepts full or abbreviated SHA-1 and SHA-256 object names.
func isGitObjectName(sha string) bool {
	if len(sha) < 4 || len(sha) > 64 {
		return false
	}
	for _, c := range sha {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// StackSetCurrentCommit pins the tracked commit. Spacelift looks the commit
// up in the VCS; the emulator has none, so it takes any well-formed sha and
// makes up the rest of the commit as it does for branch heads.
func (r *rootResolver) StackSetCurrentCommit(ctx context.Context, args setCurrentCommitArgs) (*stackView, error) {
	if !isGitObjectName(args.Sha) {
		return nil, fmt.Errorf("%q is not a commit sha", args.Sha)
	}
	return onStackAs(ctx, r.s, args.ID, actionWrite, func(rec *stackRecord) (*stackView, error) {
		commit := fakeCommit(rec.Repository, rec.Branch, r.s.nowLocked())
		commit.Hash = strings.ToLower(args.Sha)
		commit.Message = "Emulated commit " + commit.Hash
		setBy := info(ctx).subject
		rec.TrackedCommit, rec.TrackedCommitSetBy = commit, &setBy
		return r.s.stackViewLocked(rec), nil
	})
}

// StackSyncCommit undoes StackSetCurrentCommit: the tracked commit follows
// the head of the tracked branch again.
func (r *rootResolver) StackSyncCommit(ctx context.Context, args idArg) (*stackView, error) {
	return onStackAs(ctx, r.s, args.ID, actionWrite, func(rec *stackRecord) (*stackView, error) {
		rec.TrackedCommit, rec.TrackedCommitSetBy = fakeCommit(rec.Repository, rec.Branch, r.s.nowLocked()), nil
		return r.s.stackViewLocked(rec), nil
	})
}

type configInput struct {
	ID          graphql.ID
	Type        string
	Value       string
	WriteOnly   bool
	Description *string
}

type stackConfigAddArgs struct {
	Stack  graphql.ID
	Config configInput
}

func (r *rootResolver) StackConfigAdd(ctx context.Context, args stackConfigAddArgs) (*configView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(rec *stackRecord) (*configView, error) {
		el, err := newConfigRecord(args.Config, unix(r.s.nowLocked()))
		if err != nil {
			return nil, err
		}
		cfg := slices.DeleteFunc(slices.Clone(rec.Config), func(c *configRecord) bool { return c.ID == el.ID })
		rec.Config = append(cfg, el)
		return newConfigView(el), nil
	})
}

type stackConfigDeleteArgs struct {
	Stack graphql.ID
	ID    graphql.ID
}

func (r *rootResolver) StackConfigDelete(ctx context.Context, args stackConfigDeleteArgs) (*configView, error) {
	return onStackAs(ctx, r.s, args.Stack, actionWrite, func(rec *stackRecord) (*configView, error) {
		return viewOrNull(removeFrom(&rec.Config, func(c *configRecord) bool { return c.ID == args.ID }), newConfigView)
	})
}

func checksum(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// nextIDLocked returns a fresh ULID-shaped id.
func (s *Server) nextIDLocked() graphql.ID {
	s.st.Seq++
	return graphql.ID(ulid(s.nowLocked(), uint64(s.st.Seq))) //nolint:gosec // Seq is positive
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ulid encodes a 48-bit millisecond time and an 80-bit counter the way ULIDs
// are written, so ids look like Spacelift's and sort by creation.
func ulid(t time.Time, seq uint64) string {
	var b [26]byte
	ms := uint64(t.UnixMilli()) //nolint:gosec // times are after 1970
	for i := 9; i >= 0; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	for i := 25; i >= 10; i-- {
		b[i] = crockford[seq&31]
		seq >>= 5
	}
	return string(b[:])
}

type contextAttachArgs struct {
	ID       graphql.ID
	Stack    graphql.ID
	Priority int32
}

func (r *rootResolver) ContextAttach(ctx context.Context, args contextAttachArgs) (*contextStackAttachmentView, error) {
	return attach(ctx, r.s, contextObjects, attachment{Target: args.ID, StackID: args.Stack, Priority: args.Priority}, nil, r.s.contextStackAttachmentLocked)
}

func (r *rootResolver) ContextDetach(ctx context.Context, args idArg) (*contextStackAttachmentView, error) {
	return detach(ctx, r.s, contextObjects, args.ID, r.s.contextStackAttachmentLocked)
}

func (s *Server) contextStackAttachmentLocked(a *attachment) *contextStackAttachmentView {
	return &contextStackAttachmentView{ID: a.ID, StackID: a.StackID, StackName: s.st.Stacks[a.StackID].Name, Priority: a.Priority}
}

func (s *Server) policyStackAttachmentLocked(a *attachment) *policyStackAttachmentView {
	return s.policyStackAttachmentView(resolvedAttachment{attachment: *a})
}

func (s *Server) awsStackAttachmentLocked(a *attachment) *awsStackAttachmentView {
	return s.awsStackAttachmentViewLocked(resolvedAttachment{attachment: *a})
}

// policyCreateInput is policyCreatev2's input: policyCreate's arguments
// and the engine.
type policyCreateInput struct {
	policyCreateV1Args
	EngineType *string
}

// deprecatedPolicyTypes maps the old type names Spacelift still accepts to
// the ones it stores and returns.
var deprecatedPolicyTypes = map[string]string{
	"STACK_ACCESS":   "ACCESS",
	"TERRAFORM_PLAN": "PLAN",
	"TASK_RUN":       "TASK",
}

func (s *Server) validatePolicyLocked(name, body string, space *graphql.ID) (graphql.ID, error) {
	if strings.TrimSpace(name) == "" {
		return "", errors.New("name can't be empty")
	}
	if !strings.Contains(body, "package ") {
		return "", errors.New("policy body is not valid Rego: missing package declaration")
	}
	return s.spaceOrRootLocked(space)
}

type policyCreateArgs struct{ Input policyCreateInput }

// PolicyCreatev2 makes a policy whose id is the slug of its name.
func (r *rootResolver) PolicyCreatev2(ctx context.Context, args policyCreateArgs) (*policyView, error) {
	return createObject(ctx, r.s, policyObjects, func() (*policyData, graphql.ID, error) {
		return r.s.newPolicyLocked(ctx, args.Input)
	}, r.s.policyViewLocked)
}

// newPolicyLocked builds the policy policyCreatev2 asks for. Errors about
// the input are "could not create policy" errors; a caller that may not
// manage the space and a taken slug are refused as they are.
func (s *Server) newPolicyLocked(ctx context.Context, in policyCreateInput) (*policyData, graphql.ID, error) {
	space, err := s.validatePolicyLocked(in.Name, in.Body, in.Space)
	if err != nil {
		return nil, "", err
	}
	if err := s.requireAdminLocked(ctx, space); err != nil {
		return nil, "", refused{err}
	}
	id := graphql.ID(Slug(in.Name))
	if err := policyObjects.slugFreeLocked(s.st, id); err != nil {
		return nil, "", refused{err}
	}
	typ := in.Type
	if newer, ok := deprecatedPolicyTypes[typ]; ok {
		typ = newer
	}
	engine := "REGO_V0"
	if in.EngineType != nil {
		engine = *in.EngineType
	}
	now := unix(s.nowLocked())
	return &policyData{spaced: spaced{ID: id, Name: in.Name, Labels: list(in.Labels), Space: space, CreatedAt: now, UpdatedAt: now},
		Body: in.Body, Type: typ, Description: deref(in.Description), EngineType: engine}, id, nil
}

// policyCreateV1Args are policyCreate's arguments.
type policyCreateV1Args struct {
	Name        string
	Body        string
	Type        string
	Labels      *[]string
	Space       *graphql.ID
	Description *string
}

// PolicyCreate is policyCreatev2 with the input spread over arguments.
func (r *rootResolver) PolicyCreate(ctx context.Context, args policyCreateV1Args) (*policyView, error) {
	return r.PolicyCreatev2(ctx, policyCreateArgs{Input: policyCreateInput{policyCreateV1Args: args}})
}

type policyUpdateV1Args struct {
	ID          graphql.ID
	Name        string
	Body        string
	Labels      *[]string
	Space       *graphql.ID
	Description *string
}

// PolicyUpdate is policyUpdatev2 with the input spread over arguments.
func (r *rootResolver) PolicyUpdate(ctx context.Context, args policyUpdateV1Args) (*policyView, error) {
	return r.PolicyUpdatev2(ctx, policyUpdateArgs{ID: args.ID, Input: policyUpdateInput{Name: args.Name, Body: args.Body,
		Labels: args.Labels, Space: args.Space, Description: args.Description}})
}

type policyUpdateInput struct {
	Name        string
	Body        string
	Labels      *[]string
	Space       *graphql.ID
	Description *string
	EngineType  *string
}

type policyUpdateArgs struct {
	ID    graphql.ID
	Input policyUpdateInput
}

func (r *rootResolver) PolicyUpdatev2(ctx context.Context, args policyUpdateArgs) (*policyView, error) {
	s := r.s
	return onObject(ctx, s, policyObjects, args.ID, func(p *policyData) (*policyView, error) {
		in := args.Input
		space, err := s.validatePolicyLocked(in.Name, in.Body, in.Space)
		if err != nil {
			return nil, fmt.Errorf("could not update policy: %w", err)
		}
		if err := s.requireAdminLocked(ctx, space); err != nil {
			return nil, err
		}
		engine := p.EngineType
		if in.EngineType != nil {
			engine = *in.EngineType
		}
		updated := *p
		updated.Name, updated.Body, updated.Labels, updated.Space = in.Name, in.Body, list(in.Labels), space
		updated.Description, updated.EngineType, updated.UpdatedAt = deref(in.Description), engine, unix(s.nowLocked())
		*p = updated
		return s.policyViewLocked(p), nil
	})
}

func (r *rootResolver) PolicyDelete(ctx context.Context, args idArg) (*policyView, error) {
	s := r.s
	return deleteObject(ctx, s, policyObjects, args.ID, nil, s.policyViewLocked)
}

type policyAttachArgs struct {
	ID    graphql.ID
	Stack graphql.ID
}

func (r *rootResolver) PolicyAttach(ctx context.Context, args policyAttachArgs) (*policyStackAttachmentView, error) {
	return attach(ctx, r.s, policyObjects, attachment{Target: args.ID, StackID: args.Stack}, func(p *policyData) error {
		if p.Type == "LOGIN" {
			return fmt.Errorf("policy %q is a login policy and cannot be attached to a stack", args.ID)
		}
		return nil
	}, r.s.policyStackAttachmentLocked)
}

func (r *rootResolver) PolicyDetach(ctx context.Context, args idArg) (*policyStackAttachmentView, error) {
	return detach(ctx, r.s, policyObjects, args.ID, r.s.policyStackAttachmentLocked)
}

type stackDependencyInput struct {
	StackID          graphql.ID
	DependsOnStackID graphql.ID
}

// StackDependencyCreate rejects self-dependencies, duplicates and cycles.
func (r *rootResolver) StackDependencyCreate(ctx context.Context, args struct{ Input stackDependencyInput }) (*dependencyView, error) {
	return link(ctx, r.s, dependencyObjects, args.Input, r.s.checkDependencyLocked, r.s.dependencyViewLocked)
}

// checkDependencyLocked refuses a dependency the caller may not manage, of
// or on a missing stack, of a stack on itself, one that exists and one that
// closes a cycle.
func (s *Server) checkDependencyLocked(ctx context.Context, in stackDependencyInput) error {
	if err := s.requireStackAdminLocked(ctx, in.StackID); err != nil {
		return err
	}
	for _, id := range []graphql.ID{in.StackID, in.DependsOnStackID} {
		if _, ok := s.st.Stacks[id]; !ok {
			return fmt.Errorf("stack %q not found", id)
		}
	}
	if in.StackID == in.DependsOnStackID {
		return errors.New("stack cannot depend on itself")
	}
	for _, d := range s.st.Dependencies {
		if d.StackID == in.StackID && d.DependsOnStackID == in.DependsOnStackID {
			return fmt.Errorf("stack %q already depends on stack %q", in.StackID, in.DependsOnStackID)
		}
	}
	if s.dependsLocked(in.DependsOnStackID, in.StackID) {
		return fmt.Errorf("dependency cycle detected: stack %q already depends on stack %q", in.DependsOnStackID, in.StackID)
	}
	return nil
}

// record is the dependency the input asks for, under the given id.
func (in stackDependencyInput) record(id graphql.ID) *dependencyRec {
	return &dependencyRec{ID: id, StackID: in.StackID, DependsOnStackID: in.DependsOnStackID, References: []*referenceData{}}
}

// dependsLocked reports whether from depends on to, directly or not.
func (s *Server) dependsLocked(from, to graphql.ID) bool {
	seen := map[graphql.ID]bool{}
	next := []graphql.ID{from}
	for len(next) > 0 {
		cur := next[len(next)-1]
		next = next[:len(next)-1]
		if cur == to {
			return true
		}
		if seen[cur] {
			continue
		}
		seen[cur] = true
		for _, d := range s.st.Dependencies {
			if d.StackID == cur {
				next = append(next, d.DependsOnStackID)
			}
		}
	}
	return false
}

func (r *rootResolver) StackDependencyDelete(ctx context.Context, args idArg) (*dependencyView, error) {
	return onStackPart(ctx, r.s, (*Server).dependencyLocked, args.ID, nil, func(d *dependencyRec) (*dependencyView, error) {
		delete(r.s.st.Dependencies, d.ID)
		return r.s.dependencyViewLocked(d), nil
	})
}

type referenceInput struct {
	OutputName    string
	InputName     string
	Type          *string
	TriggerAlways *bool
}

type addReferenceArgs struct {
	StackDependencyID graphql.ID
	Reference         referenceInput
}

func (s *Server) checkReferenceLocked(dep *dependencyRec, skip graphql.ID, in referenceInput) error {
	if strings.TrimSpace(in.OutputName) == "" || strings.TrimSpace(in.InputName) == "" {
		return errors.New("output and input names can't be empty")
	}
	for _, d := range s.st.Dependencies {
		if d.StackID != dep.StackID {
			continue
		}
		for _, ref := range d.References {
			if ref.ID != skip && ref.InputName == in.InputName {
				return fmt.Errorf("input %q of stack %q is already set by another reference", in.InputName, dep.StackID)
			}
		}
	}
	return nil
}

func newReference(id graphql.ID, in referenceInput) *referenceData {
	typ := "ENVIRONMENT_VARIABLE"
	if in.Type != nil {
		typ = *in.Type
	}
	return &referenceData{ID: id, OutputName: in.OutputName, InputName: in.InputName, Type: typ, TriggerAlways: orFalse(in.TriggerAlways)}
}

func (r *rootResolver) StackDependenciesAddReference(ctx context.Context, args addReferenceArgs) (*referenceData, error) {
	s := r.s
	missing := fmt.Errorf("stack dependency %q not found", args.StackDependencyID)
	return onStackPart(ctx, s, (*Server).dependencyLocked, args.StackDependencyID, missing, func(dep *dependencyRec) (*referenceData, error) {
		if err := s.checkReferenceLocked(dep, "", args.Reference); err != nil {
			return nil, err
		}
		ref := newReference(s.nextIDLocked(), args.Reference)
		dep.References = append(slices.Clone(dep.References), ref)
		c := *ref
		return &c, nil
	})
}

type referenceUpdateInput struct {
	ID            graphql.ID
	OutputName    string
	InputName     string
	Type          *string
	TriggerAlways *bool
}

type updateReferenceArgs struct{ Reference referenceUpdateInput }

func (r *rootResolver) StackDependenciesUpdateReference(ctx context.Context, args updateReferenceArgs) (*referenceData, error) {
	s := r.s
	in := args.Reference
	missing := fmt.Errorf("stack dependency reference %q not found", in.ID)
	return onStackPart(ctx, s, (*Server).referenceLocked, in.ID, missing, func(at referenceAt) (*referenceData, error) {
		ri := referenceInput{OutputName: in.OutputName, InputName: in.InputName, Type: in.Type, TriggerAlways: in.TriggerAlways}
		if err := s.checkReferenceLocked(at.dep, in.ID, ri); err != nil {
			return nil, err
		}
		refs := slices.Clone(at.dep.References)
		refs[at.i] = newReference(in.ID, ri)
		at.dep.References = refs
		c := *refs[at.i]
		return &c, nil
	})
}

func (r *rootResolver) StackDependenciesDeleteReference(ctx context.Context, args idArg) (*referenceData, error) {
	return onStackPart(ctx, r.s, (*Server).referenceLocked, args.ID, nil, func(at referenceAt) (*referenceData, error) {
		c := *at.dep.References[at.i]
		at.dep.References = slices.Delete(slices.Clone(at.dep.References), at.i, at.i+1)
		return &c, nil
	})
}

type awsAttachArgs struct {
	ID    graphql.ID
	Stack graphql.ID
	Read  bool
	Write bool
}

func (r *rootResolver) AwsIntegrationAttach(ctx context.Context, args awsAttachArgs) (*awsStackAttachmentView, error) {
	return attach(ctx, r.s, awsObjects, attachment{Target: args.ID, StackID: args.Stack, Read: args.Read, Write: args.Write}, func(*awsIntegration) error {
		if !args.Read && !args.Write {
			return errors.New("at least one of read and write must be set")
		}
		return nil
	}, r.s.awsStackAttachmentLocked)
}

type awsAttachmentUpdateArgs struct {
	ID    graphql.ID
	Read  bool
	Write bool
}

func (r *rootResolver) AwsIntegrationAttachmentUpdate(ctx context.Context, args awsAttachmentUpdateArgs) (*awsStackAttachmentView, error) {
	s := r.s
	missing := fmt.Errorf("aws integration attachment %q not found", args.ID)
	return onStackPart(ctx, s, (*Server).awsAttachmentLocked, args.ID, missing, func(a *attachment) (*awsStackAttachmentView, error) {
		if !args.Read && !args.Write {
			return nil, errors.New("at least one of read and write must be set")
		}
		updated := *a
		updated.Read, updated.Write = args.Read, args.Write
		s.st.AwsAttach[args.ID] = &updated
		return s.awsStackAttachmentViewLocked(resolvedAttachment{attachment: updated}), nil
	})
}

func (r *rootResolver) AwsIntegrationDetach(ctx context.Context, args idArg) (*awsStackAttachmentView, error) {
	return detach(ctx, r.s, awsObjects, args.ID, r.s.awsStackAttachmentLocked)
}

type webhookInput struct {
	Enabled        bool
	Endpoint       string
	Secret         string
	RetryOnFailure *bool
}

type webhookCreateArgs struct {
	Stack graphql.ID
	Input webhookInput
}

func validateEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("endpoint %q is not a valid HTTP(S) URL", raw)
	}
	return nil
}

func (r *rootResolver) WebhooksIntegrationCreate(ctx context.Context, args webhookCreateArgs) (*webhookData, error) {
	return onStackAs(ctx, r.s, args.Stack, actionAdmin, func(rec *stackRecord) (*webhookData, error) {
		return r.s.putWebhookLocked(rec, "", args.Input)
	})
}

type webhookUpdateArgs struct {
	Stack graphql.ID
	ID    graphql.ID
	Input webhookInput
}

func (r *rootResolver) WebhooksIntegrationUpdate(ctx context.Context, args webhookUpdateArgs) (*webhookData, error) {
	return onStackAs(ctx, r.s, args.Stack, actionAdmin, func(rec *stackRecord) (*webhookData, error) {
		return r.s.putWebhookLocked(rec, args.ID, args.Input)
	})
}

// putWebhookLocked adds a webhook to a stack (id "") or replaces the one of
// the given id. A stack has one webhook per endpoint.
func (s *Server) putWebhookLocked(rec *stackRecord, id graphql.ID, in webhookInput) (*webhookData, error) {
	if err := validateEndpoint(in.Endpoint); err != nil {
		return nil, err
	}
	hooks := slices.Clone(rec.Webhooks)
	i := len(hooks)
	if id == "" {
		for _, w := range hooks {
			if w.Endpoint == in.Endpoint {
				return nil, fmt.Errorf("stack %q already has a webhook for endpoint %q", rec.ID, in.Endpoint)
			}
		}
		id = s.nextIDLocked()
		hooks = append(hooks, nil)
	} else if i = slices.IndexFunc(hooks, func(w *webhookData) bool { return w.ID == id }); i < 0 {
		return nil, fmt.Errorf("webhook %q not found on stack %q", id, rec.ID)
	}
	hooks[i] = &webhookData{ID: id, Enabled: in.Enabled, Endpoint: in.Endpoint, Secret: in.Secret, RetryOnFailure: in.RetryOnFailure}
	rec.Webhooks = hooks
	c := *hooks[i]
	return &c, nil
}

type webhookDeleteArgs struct {
	Stack graphql.ID
	ID    graphql.ID
}

func (r *rootResolver) WebhooksIntegrationDelete(ctx context.Context, args webhookDeleteArgs) (*webhookData, error) {
	return onStackAs(ctx, r.s, args.Stack, actionAdmin, func(rec *stackRecord) (*webhookData, error) {
		return viewOrNull(removeFrom(&rec.Webhooks, func(w *webhookData) bool { return w.ID == args.ID }), func(w *webhookData) *webhookData {
			c := *w
			c.Deleted = true
			return &c
		})
	})
}

type roleBindingInput struct {
	RoleID  graphql.ID
	StackID graphql.ID
	SpaceID graphql.ID
}

// StackRoleBindingCreate gives a stack a role in a space, once.
func (r *rootResolver) StackRoleBindingCreate(ctx context.Context, args struct{ Input roleBindingInput }) (*roleBindingView, error) {
	return link(ctx, r.s, roleBindingObjects, args.Input, r.s.checkRoleBindingLocked, r.s.roleBindingViewLocked)
}

// checkRoleBindingLocked refuses a binding of a missing role, stack or
// space, a role in the root space for a stack outside it, a binding the
// caller may not manage in the stack's space and the binding's, and one
// that exists.
func (s *Server) checkRoleBindingLocked(ctx context.Context, in roleBindingInput) error {
	if _, ok := s.st.Roles[in.RoleID]; !ok {
		return fmt.Errorf("role %q not found", in.RoleID)
	}
	st, ok := s.st.Stacks[in.StackID]
	if !ok {
		return fmt.Errorf("stack %q not found", in.StackID)
	}
	if _, ok := s.st.Spaces[in.SpaceID]; !ok {
		return fmt.Errorf("space %q not found", in.SpaceID)
	}
	if in.SpaceID == "root" && st.Space != "root" {
		return fmt.Errorf("stack %q is in space %q: only stacks in the root space can get a role in the root space; bind the role in a child space instead", in.StackID, st.Space)
	}
	for _, space := range []graphql.ID{st.Space, in.SpaceID} {
		if err := s.requireAdminLocked(ctx, space); err != nil {
			return err
		}
	}
	for _, b := range s.st.RoleBindings {
		if b.RoleID == in.RoleID && b.StackID == in.StackID && b.SpaceID == in.SpaceID {
			return fmt.Errorf("stack %q already has role %q in space %q", in.StackID, in.RoleID, in.SpaceID)
		}
	}
	return nil
}

// record is the role binding the input asks for, under the given id.
func (in roleBindingInput) record(id graphql.ID) *roleBindingData {
	return &roleBindingData{ID: id, RoleID: in.RoleID, StackID: in.StackID, SpaceID: in.SpaceID}
}

func (r *rootResolver) StackRoleBindingDelete(ctx context.Context, args idArg) (*roleBindingView, error) {
	return deleteObject(ctx, r.s, roleBindingObjects, args.ID, nil, r.s.roleBindingViewLocked)
}
