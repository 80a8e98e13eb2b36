package emulator

import (
	"cmp"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/graph-gophers/graphql-go"
)

// Views are what resolvers hand to graph-gophers: copies taken under the
// lock, so field resolution never races with mutations. Methods that need
// more state take the lock again.

// spaceRef is the part of the view of an object in a space that resolves
// the object's spaceDetails. It carries the server for the view's other
// fields too. It follows the object's own fields in a view, so that their
// names win when graph-gophers looks a field up.
type spaceRef struct {
	s     *Server
	where graphql.ID
}

func (v spaceRef) SpaceDetails() *spaceData {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	return v.s.spaceLocked(v.where)
}

// viewIn snapshots an object in a space for its view: a copy that shares no
// list with the record, and the view's spaceRef.
func viewIn[R any, P interface {
	*R
	common() *spaced
}](s *Server, rec P) (R, spaceRef) {
	c := *rec
	P(&c).common().Labels = cloneStrings(rec.common().Labels)
	return c, spaceRef{s: s, where: rec.common().Space}
}

type stackView struct {
	stackData
	vendor           vendorConfig
	workerPoolID     *graphql.ID
	vcsIntegrationID *graphql.ID
	spaceRef
}

// stackViewLocked snapshots a stack; s.mu must be held.
func (s *Server) stackViewLocked(rec *stackRecord) *stackView {
	return &stackView{
		stackData:        rec.stackData.clone(),
		vendor:           rec.Vendor,
		workerPoolID:     rec.WorkerPoolID,
		vcsIntegrationID: rec.VcsIntegrationID,
		spaceRef:         spaceRef{s: s, where: rec.Space},
	}
}

// spaceViewLocked is a copy of a space that shares no list with it.
func (s *Server) spaceViewLocked(sp *spaceData) *spaceData {
	c := *sp
	c.Labels = cloneStrings(c.Labels)
	return &c
}

// spaceLocked is the view of the space of the given id; a space that is
// gone is shown by its id.
func (s *Server) spaceLocked(id graphql.ID) *spaceData {
	if sp, ok := s.st.Spaces[id]; ok {
		return s.spaceViewLocked(sp)
	}
	return &spaceData{ID: id, Name: string(id), Labels: []string{}}
}

// AccessLevel is the caller's access to the space. The emulator knows one
// principal, the API key holder, and treats it as an admin everywhere.
func (*spaceData) AccessLevel() string { return "ADMIN" }

func (v *stackView) WorkerPool() *workerPoolView {
	if v.workerPoolID == nil {
		return nil
	}
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	wp, ok := v.s.st.WorkerPools[*v.workerPoolID]
	if !ok {
		wp = &workerPoolData{described: described{spaced: spaced{ID: *v.workerPoolID, Name: string(*v.workerPoolID), Space: "root"}}}
	}
	return v.s.workerPoolViewLocked(wp)
}

// workerPoolView is a private worker pool. The emulator moves runs along by
// itself, so a pool never has workers.
type workerPoolView struct {
	workerPoolData
	spaceRef
}

func (s *Server) workerPoolViewLocked(wp *workerPoolData) *workerPoolView {
	c, in := viewIn(s, wp)
	return &workerPoolView{workerPoolData: c, spaceRef: in}
}

func (*workerPoolView) Deleted() bool { return false }

// ManagedByK8sController is false: the emulator has no Kubernetes worker
// pool controller.
func (*workerPoolView) ManagedByK8sController() bool { return false }

// Config is the pool's worker credentials. Real ones hold a token and the
// pool's certificate; the emulator's are a stable stand-in of the same form.
func (v *workerPoolView) Config() string {
	return base64.StdEncoding.EncodeToString([]byte(`{"pool":"` + string(v.ID) + `","emulated":true}`))
}

type workerView struct {
	ID       graphql.ID
	Busy     bool
	Drained  bool
	Metadata string
}

func (*workerPoolView) Workers() []*workerView { return []*workerView{} }

func (*workerPoolView) WorkersCount() int32 { return 0 }

func (*workerPoolView) BusyWorkers() int32 { return 0 }

// PendingRuns counts the runs on the pool's stacks that wait for a worker.
func (v *workerPoolView) PendingRuns() int32 {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	var n int32
	for _, r := range v.s.st.Runs {
		st, ok := v.s.st.Stacks[r.StackID]
		if ok && r.State == "READY" && st.WorkerPoolID != nil && *st.WorkerPoolID == v.ID {
			n++
		}
	}
	return n
}

type vcsIntegrationView struct {
	ID        graphql.ID
	IsDefault bool
}

func (v *stackView) VcsIntegration() *vcsIntegrationView {
	if v.vcsIntegrationID == nil {
		return nil
	}
	return &vcsIntegrationView{ID: *v.vcsIntegrationID}
}

func (v *stackView) TerraformVersion() *string {
	switch {
	case v.vendor.Terraform != nil:
		return v.vendor.Terraform.Version
	case v.vendor.OpenTofu != nil:
		return v.vendor.OpenTofu.Version
	case v.vendor.Terragrunt != nil:
		return v.vendor.Terragrunt.TerraformVersion
	}
	return nil
}

func (v *stackView) VendorConfig() *vendorView { return &vendorView{v: v.vendor} }

// vendorView resolves the StackConfigVendor union; a stack without vendor
// config is a Terraform stack with defaults.
type vendorView struct{ v vendorConfig }

func (u *vendorView) ToStackConfigVendorAnsible() (*ansibleVendor, bool) {
	return u.v.Ansible, u.v.Ansible != nil
}

func (u *vendorView) ToStackConfigVendorCloudFormation() (*cloudFormationVendor, bool) {
	return u.v.CloudFormation, u.v.CloudFormation != nil
}

func (u *vendorView) ToStackConfigVendorKubernetes() (*kubernetesVendor, bool) {
	return u.v.Kubernetes, u.v.Kubernetes != nil
}

func (u *vendorView) ToStackConfigVendorOpenTofu() (*openTofuVendor, bool) {
	return u.v.OpenTofu, u.v.OpenTofu != nil
}

func (u *vendorView) ToStackConfigVendorPulumi() (*pulumiVendor, bool) {
	return u.v.Pulumi, u.v.Pulumi != nil
}

func (u *vendorView) ToStackConfigVendorTerragrunt() (*terragruntVendor, bool) {
	return u.v.Terragrunt, u.v.Terragrunt != nil
}

func (u *vendorView) ToStackConfigVendorTerraform() (*terraformVendor, bool) {
	if u.v.Terraform != nil {
		return u.v.Terraform, true
	}
	empty := u.v == (vendorConfig{})
	return &terraformVendor{}, empty
}

func (v *stackView) Blocker() *runView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	if r := v.s.blockerLocked(v.ID); r != nil {
		return v.s.runViewLocked(r)
	}
	return nil
}

type configView struct {
	ID          graphql.ID
	Checksum    string
	CreatedAt   int32
	Description *string
	Runtime     bool
	Type        string
	Value       *string
	WriteOnly   bool
}

func configViews(in []*configRecord) []*configView {
	out := make([]*configView, 0, len(in))
	for _, c := range in {
		out = append(out, newConfigView(c))
	}
	return out
}

func newConfigView(c *configRecord) *configView {
	v := &configView{ID: c.ID, Checksum: c.Checksum, CreatedAt: c.CreatedAt, Description: c.Description,
		Runtime: c.Runtime, Type: c.Type, WriteOnly: c.WriteOnly}
	if !c.WriteOnly {
		val := c.Val
		v.Value = &val
	}
	return v
}

func (v *stackView) Config() []*configView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	if rec, ok := v.s.st.Stacks[v.ID]; ok {
		return configViews(rec.Config)
	}
	return []*configView{}
}

type idArg struct{ ID graphql.ID }

func (v *stackView) ConfigElement(args idArg) *configView {
	for _, c := range v.Config() {
		if c.ID == args.ID {
			return c
		}
	}
	return nil
}

type stackContextAttachmentView struct {
	ID                 graphql.ID
	ContextID          graphql.ID
	ContextName        string
	ContextDescription *string
	ContextLabels      []string
	Config             []*configView
	IsAutoattached     bool
	Priority           int32
}

// stackContextAttachmentViewLocked describes an attachment from the stack's
// side; nil when the context is gone.
func (s *Server) stackContextAttachmentViewLocked(a resolvedAttachment) *stackContextAttachmentView {
	c, ok := s.st.Contexts[a.Target]
	if !ok {
		return nil
	}
	return &stackContextAttachmentView{
		ID: a.ID, ContextID: c.ID, ContextName: c.Name, ContextDescription: c.Description,
		ContextLabels: cloneStrings(c.Labels), Config: configViews(c.Config),
		IsAutoattached: a.auto, Priority: a.Priority,
	}
}

func (v *stackView) AttachedContexts() []*stackContextAttachmentView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	var out []*stackContextAttachmentView
	for _, a := range v.s.contextAttachmentsLocked(v.ID) {
		if cv := v.s.stackContextAttachmentViewLocked(a); cv != nil {
			out = append(out, cv)
		}
	}
	return orEmpty(out)
}

// runtimeConfigView is one element of the environment a run sees and where
// it comes from; Context is nil for the stack's own elements.
type runtimeConfigView struct {
	Context *stackContextAttachmentView
	Element *configView
}

// RuntimeConfig merges the stack's own config with that of its explicitly
// attached contexts, in precedence order (the stack first, then contexts by
// ascending priority), keeping the first element of each id. Autoattached
// contexts are left out: spacectl lists those from attachedContexts and
// would otherwise show them twice.
func (v *stackView) RuntimeConfig() []*runtimeConfigView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	rec, ok := v.s.st.Stacks[v.ID]
	if !ok {
		return []*runtimeConfigView{}
	}
	seen := map[graphql.ID]bool{}
	var out []*runtimeConfigView
	add := func(ctx *stackContextAttachmentView, elements []*configView) {
		for _, el := range elements {
			if !seen[el.ID] {
				seen[el.ID] = true
				out = append(out, &runtimeConfigView{Context: ctx, Element: el})
			}
		}
	}
	add(nil, configViews(rec.Config))
	for _, a := range v.s.contextAttachmentsLocked(v.ID) {
		if a.auto {
			continue
		}
		if cv := v.s.stackContextAttachmentViewLocked(a); cv != nil {
			add(cv, cv.Config)
		}
	}
	return orEmpty(out)
}

// resolvedAttachment is an explicit attachment or one implied by an
// autoattach:<label> label.
type resolvedAttachment struct {
	attachment
	auto bool
}

// autoattaches reports whether target labels autoattach:<l> select a stack
// with the given labels; autoattach:* selects every stack.
func autoattaches(targetLabels, stackLabels []string) bool {
	for _, l := range targetLabels {
		want, ok := strings.CutPrefix(l, "autoattach:")
		if ok && (want == "*" || slices.Contains(stackLabels, want)) {
			return true
		}
	}
	return false
}

func autoID(target, stack graphql.ID) graphql.ID {
	return graphql.ID("auto-" + string(target) + "-" + string(stack))
}

func sortAttachments(out []resolvedAttachment) []resolvedAttachment {
	slices.SortFunc(out, func(a, b resolvedAttachment) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.Target, b.Target), cmp.Compare(a.StackID, b.StackID))
	})
	return out
}

func (s *Server) contextAttachmentsLocked(stackID graphql.ID) []resolvedAttachment {
	var out []resolvedAttachment
	explicit := map[graphql.ID]bool{}
	for _, a := range s.st.ContextAttach {
		if a.StackID == stackID {
			out = append(out, resolvedAttachment{attachment: *a})
			explicit[a.Target] = true
		}
	}
	if st, ok := s.st.Stacks[stackID]; ok {
		for _, c := range s.st.Contexts {
			if !explicit[c.ID] && autoattaches(c.Labels, st.Labels) {
				out = append(out, resolvedAttachment{attachment: attachment{ID: autoID(c.ID, stackID), Target: c.ID, StackID: stackID}, auto: true})
			}
		}
	}
	return sortAttachments(out)
}

func (s *Server) policyAttachmentsLocked(match func(policy, stack graphql.ID) bool) []resolvedAttachment {
	var out []resolvedAttachment
	explicit := map[[2]graphql.ID]bool{}
	for _, a := range s.st.PolicyAttach {
		if match(a.Target, a.StackID) {
			out = append(out, resolvedAttachment{attachment: *a})
			explicit[[2]graphql.ID{a.Target, a.StackID}] = true
		}
	}
	for _, p := range s.st.Policies {
		for _, st := range s.st.Stacks {
			if match(p.ID, st.ID) && !explicit[[2]graphql.ID{p.ID, st.ID}] && autoattaches(p.Labels, st.Labels) {
				out = append(out, resolvedAttachment{attachment: attachment{ID: autoID(p.ID, st.ID), Target: p.ID, StackID: st.ID}, auto: true})
			}
		}
	}
	return sortAttachments(out)
}

func (s *Server) awsAttachmentsLocked(match func(integration, stack graphql.ID) bool) []resolvedAttachment {
	var out []resolvedAttachment
	explicit := map[[2]graphql.ID]bool{}
	for _, a := range s.st.AwsAttach {
		if match(a.Target, a.StackID) {
			out = append(out, resolvedAttachment{attachment: *a})
			explicit[[2]graphql.ID{a.Target, a.StackID}] = true
		}
	}
	for _, in := range s.st.AwsIntegrations {
		if !in.AutoattachEnabled {
			continue
		}
		for _, st := range s.st.Stacks {
			if match(in.ID, st.ID) && !explicit[[2]graphql.ID{in.ID, st.ID}] && autoattaches(in.Labels, st.Labels) {
				out = append(out, resolvedAttachment{attachment: attachment{ID: autoID(in.ID, st.ID), Target: in.ID, StackID: st.ID, Read: true, Write: true}, auto: true})
			}
		}
	}
	return sortAttachments(out)
}

type stackPolicyAttachmentView struct {
	ID             graphql.ID
	PolicyID       graphql.ID
	PolicyName     string
	PolicyType     string
	PolicyLabels   []string
	IsAutoattached bool
}

func (v *stackView) AttachedPolicies() []*stackPolicyAttachmentView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	var out []*stackPolicyAttachmentView
	for _, a := range v.s.policyAttachmentsLocked(func(_, stack graphql.ID) bool { return stack == v.ID }) {
		p := v.s.st.Policies[a.Target]
		out = append(out, &stackPolicyAttachmentView{ID: a.ID, PolicyID: p.ID, PolicyName: p.Name,
			PolicyType: p.Type, PolicyLabels: cloneStrings(p.Labels), IsAutoattached: a.auto})
	}
	return orEmpty(out)
}

type stackAwsAttachmentView struct {
	ID              graphql.ID
	IntegrationID   graphql.ID
	IntegrationName string
	Read            bool
	Write           bool
}

func (v *stackView) AttachedAwsIntegrations() []*stackAwsAttachmentView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	var out []*stackAwsAttachmentView
	for _, a := range v.s.awsAttachmentsLocked(func(_, stack graphql.ID) bool { return stack == v.ID }) {
		in := v.s.st.AwsIntegrations[a.Target]
		out = append(out, &stackAwsAttachmentView{ID: a.ID, IntegrationID: in.ID, IntegrationName: in.Name, Read: a.Read, Write: a.Write})
	}
	return orEmpty(out)
}

type stackAwsView struct {
	AssumedRoleArn              *string
	AssumeRolePolicyStatement   string
	ExternalID                  *string
	GenerateCredentialsInWorker bool
	DurationSeconds             *int32
	Region                      *string
}

type stackGcpView struct {
	ServiceAccountEmail *string
	TokenScopes         []string
}

type integrationsView struct {
	Aws            *stackAwsView
	Gcp            *stackGcpView
	DriftDetection *driftData
	Webhooks       []*webhookData
}

func (v *stackView) Integrations() *integrationsView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	out := &integrationsView{
		Aws:      &stackAwsView{AssumeRolePolicyStatement: `{"Version":"2012-10-17","Statement":[]}`},
		Gcp:      &stackGcpView{TokenScopes: []string{}},
		Webhooks: []*webhookData{},
	}
	rec, ok := v.s.st.Stacks[v.ID]
	if !ok {
		return out
	}
	if rec.Drift != nil {
		d := *rec.Drift
		d.Schedule = cloneStrings(d.Schedule)
		out.DriftDetection = &d
	}
	for _, w := range rec.Webhooks {
		c := *w
		out.Webhooks = append(out.Webhooks, &c)
	}
	return out
}

type depDetail struct {
	ID          graphql.ID
	Name        string
	Description *string
	Labels      []string
	Space       graphql.ID
}

type dependencyView struct {
	ID             graphql.ID
	Stack          depDetail
	DependsOnStack depDetail
	References     []*referenceData
}

type referenceArgs struct {
	ID        *graphql.ID
	InputName *string
}

func (d *dependencyView) Reference(args referenceArgs) *referenceData {
	for _, r := range d.References {
		if (args.ID == nil || *args.ID == r.ID) && (args.InputName == nil || *args.InputName == r.InputName) {
			return r
		}
	}
	return nil
}

func (s *Server) dependencyViewLocked(d *dependencyRec) *dependencyView {
	detail := func(id graphql.ID) depDetail {
		st, ok := s.st.Stacks[id]
		if !ok {
			return depDetail{ID: id, Name: string(id), Labels: []string{}}
		}
		return depDetail{ID: st.ID, Name: st.Name, Description: st.Description, Labels: cloneStrings(st.Labels), Space: st.Space}
	}
	out := &dependencyView{ID: d.ID, Stack: detail(d.StackID), DependsOnStack: detail(d.DependsOnStackID), References: []*referenceData{}}
	for _, r := range d.References {
		c := *r
		out.References = append(out.References, &c)
	}
	return out
}

func (s *Server) dependenciesLocked(match func(*dependencyRec) bool) []*dependencyView {
	var out []*dependencyView
	for _, d := range s.st.Dependencies {
		if match(d) {
			out = append(out, s.dependencyViewLocked(d))
		}
	}
	slices.SortFunc(out, func(a, b *dependencyView) int { return cmp.Compare(a.ID, b.ID) })
	return orEmpty(out)
}

func (v *stackView) DependsOn() []*dependencyView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	return v.s.dependenciesLocked(func(d *dependencyRec) bool { return d.StackID == v.ID })
}

func (v *stackView) IsDependedOnBy() []*dependencyView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	return v.s.dependenciesLocked(func(d *dependencyRec) bool { return d.DependsOnStackID == v.ID })
}

type dependencyArgs struct {
	ID               *graphql.ID
	DependsOnStackID *graphql.ID
}

func (v *stackView) Dependency(args dependencyArgs) *dependencyView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	deps := v.s.dependenciesLocked(func(d *dependencyRec) bool {
		return (d.StackID == v.ID || d.DependsOnStackID == v.ID) &&
			(args.ID == nil || *args.ID == "" || *args.ID == d.ID) &&
			(args.DependsOnStackID == nil || *args.DependsOnStackID == "" || *args.DependsOnStackID == d.DependsOnStackID)
	})
	if len(deps) == 0 {
		return nil
	}
	return deps[0]
}

type outputView struct {
	ID          graphql.ID
	Description *string
	Sensitive   bool
	Value       *string
}

func (v *stackView) Outputs() []*outputView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	var out []*outputView
	if rec, ok := v.s.st.Stacks[v.ID]; ok {
		for _, o := range rec.Outputs {
			ov := &outputView{ID: o.ID, Description: o.Description, Sensitive: o.Sensitive}
			if !o.Sensitive {
				val := o.Val
				ov.Value = &val
			}
			out = append(out, ov)
		}
	}
	return orEmpty(out)
}

type moduleVersionView struct {
	ID     graphql.ID
	Number string
	Module struct {
		ID    graphql.ID
		Name  string
		Owner string
	}
}

func (v *stackView) ModuleVersionsUsed() []*moduleVersionView { return []*moduleVersionView{} }

type runsArgs struct{ Before *graphql.ID }

// runsPageSize is how many runs stack.runs returns per page.
const runsPageSize = 50

// Runs lists tracked runs: everything but proposed runs and tasks.
func (v *stackView) Runs(args runsArgs) []*runView {
	return v.runs(args, func(typ string) bool { return typ != "PROPOSED" && typ != "TASK" })
}

func (v *stackView) ProposedRuns(args runsArgs) []*runView {
	return v.runs(args, func(typ string) bool { return typ == "PROPOSED" })
}

func (v *stackView) Tasks(args runsArgs) []*runView {
	return v.runs(args, func(typ string) bool { return typ == "TASK" })
}

func (v *stackView) runs(args runsArgs, kind func(runType string) bool) []*runView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	all := v.s.stackRunsLocked(v.ID) // newest first
	var out []*runView
	seenBefore := args.Before == nil || *args.Before == ""
	for _, r := range all {
		if !seenBefore {
			seenBefore = r.ID == *args.Before
			continue
		}
		if !kind(r.Type) {
			continue
		}
		out = append(out, v.s.runViewLocked(r))
		if len(out) == runsPageSize {
			break
		}
	}
	return orEmpty(out)
}

func (v *stackView) Run(args idArg) *runView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	if r, ok := v.s.st.Runs[args.ID]; ok && r.StackID == v.ID {
		return v.s.runViewLocked(r)
	}
	return nil
}

type entityView struct {
	entityData
	CreatorRun *runView `graphql:"creator"`
	UpdaterRun *runView `graphql:"updater"`
	vendorKind entityVendorKind
}

func (v *stackView) Entities() []*entityView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	var out []*entityView
	rec, ok := v.s.st.Stacks[v.ID]
	if !ok {
		return []*entityView{}
	}
	vendor := entityVendorOf(rec.Vendor)
	for _, e := range rec.Entities {
		ev := &entityView{entityData: e.entityData, vendorKind: vendor}
		if e.Drifted != nil {
			d := *e.Drifted
			ev.Drifted = &d
		}
		if r, ok := v.s.st.Runs[e.CreatorRunID]; ok {
			ev.CreatorRun = v.s.runViewLocked(r)
		}
		if r, ok := v.s.st.Runs[e.UpdaterRunID]; ok {
			ev.UpdaterRun = v.s.runViewLocked(r)
		}
		out = append(out, ev)
	}
	return orEmpty(out)
}

type runView struct {
	runData
	IsMostRecent bool
	CanRetry     bool
	Finished     bool
	changes      []changeData
}

type runLogsArgs struct {
	State        string
	StateVersion *int32
	Token        *string
}

type runLogsView struct {
	Exists    bool
	Finished  bool
	HasMore   bool
	Messages  []*logMessageView
	NextToken *string
}

type logMessageView struct {
	Message   string
	Timestamp int32
}

// Logs answers for a state the run went through. Nothing executes in the
// emulator, so such a log is complete and empty; a client that waits for
// finished stops at once.
func (v *runView) Logs(args runLogsArgs) *runLogsView {
	for _, h := range v.History {
		if h.State == args.State && (args.StateVersion == nil || *args.StateVersion == h.StateVersion) {
			return &runLogsView{Exists: true, Finished: true, Messages: []*logMessageView{}}
		}
	}
	return nil
}

// runViewLocked snapshots a run. History is served newest first, as
// Spacelift does (spacectl walks it backwards to print it in order).
func (s *Server) runViewLocked(r *runRecord) *runView {
	v := &runView{runData: r.runData.clone(), Finished: terminalRunStates[r.State]}
	slices.Reverse(v.History)
	v.CanRetry = retryable(r) == nil
	v.changes = slices.Clone(r.Changes)
	if runs := s.stackRunsLocked(r.StackID); len(runs) > 0 {
		v.IsMostRecent = runs[0].ID == r.ID
	}
	return v
}

type policyView struct {
	policyData
	spaceRef
}

func (s *Server) policyViewLocked(p *policyData) *policyView {
	c, in := viewIn(s, p)
	return &policyView{policyData: c, spaceRef: in}
}

type policyStackAttachmentView struct {
	ID             graphql.ID
	StackID        graphql.ID
	StackName      string
	IsModule       bool
	IsAutoattached bool
}

func (s *Server) policyStackAttachmentView(a resolvedAttachment) *policyStackAttachmentView {
	return &policyStackAttachmentView{ID: a.ID, StackID: a.StackID, StackName: s.st.Stacks[a.StackID].Name, IsAutoattached: a.auto}
}

func (v *policyView) AttachedStacks() []*policyStackAttachmentView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	return viewsOf(v.s.policyAttachmentsLocked(func(p, _ graphql.ID) bool { return p == v.ID }), v.s.policyStackAttachmentView)
}

func (v *policyView) AttachedStack(args idArg) *policyStackAttachmentView {
	return attachedTo(v.AttachedStacks(), args.ID, func(a *policyStackAttachmentView) graphql.ID { return a.StackID })
}

type contextView struct {
	described
	hooks hooksData
	spaceRef
}

func (s *Server) contextViewLocked(c *contextRecord) *contextView {
	d, in := viewIn(s, &c.described)
	return &contextView{described: d, hooks: c.Hooks.clone(), spaceRef: in}
}

func (v *contextView) Config() []*configView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	if c, ok := v.s.st.Contexts[v.ID]; ok {
		return configViews(c.Config)
	}
	return []*configView{}
}

func (v *contextView) ConfigElement(args idArg) *configView {
	for _, c := range v.Config() {
		if c.ID == args.ID {
			return c
		}
	}
	return nil
}

type contextStackAttachmentView struct {
	ID             graphql.ID
	StackID        graphql.ID
	StackName      string
	IsModule       bool
	IsAutoattached bool
	Priority       int32
}

func (v *contextView) AttachedStacks() []*contextStackAttachmentView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	var out []*contextStackAttachmentView
	for _, st := range v.s.st.Stacks {
		for _, a := range v.s.contextAttachmentsLocked(st.ID) {
			if a.Target == v.ID {
				out = append(out, &contextStackAttachmentView{ID: a.ID, StackID: st.ID, StackName: st.Name, IsAutoattached: a.auto, Priority: a.Priority})
			}
		}
	}
	slices.SortFunc(out, func(a, b *contextStackAttachmentView) int { return cmp.Compare(a.StackID, b.StackID) })
	return orEmpty(out)
}

func (v *contextView) AttachedStack(args idArg) *contextStackAttachmentView {
	return attachedTo(v.AttachedStacks(), args.ID, func(a *contextStackAttachmentView) graphql.ID { return a.StackID })
}

func (v *contextView) HasAttachedStacks() bool { return len(v.AttachedStacks()) > 0 }

type awsIntegrationView struct {
	awsIntegration
	s *Server
}

type awsStackAttachmentView struct {
	ID        graphql.ID
	StackID   graphql.ID
	StackName string
	IsModule  bool
	Read      bool
	Write     bool
}

func (s *Server) awsStackAttachmentViewLocked(a resolvedAttachment) *awsStackAttachmentView {
	return &awsStackAttachmentView{ID: a.ID, StackID: a.StackID, StackName: s.st.Stacks[a.StackID].Name, Read: a.Read, Write: a.Write}
}

func (v *awsIntegrationView) AttachedStacks() []*awsStackAttachmentView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	return viewsOf(v.s.awsAttachmentsLocked(func(in, _ graphql.ID) bool { return in == v.ID }), v.s.awsStackAttachmentViewLocked)
}

func (v *awsIntegrationView) AttachedStack(args idArg) *awsStackAttachmentView {
	return attachedTo(v.AttachedStacks(), args.ID, func(a *awsStackAttachmentView) graphql.ID { return a.StackID })
}

type roleView struct {
	roleData
	s *Server
}

func (v *roleView) RoleBindingsCount() int32 {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	var n int32
	for _, b := range v.s.st.RoleBindings {
		if b.RoleID == v.ID {
			n++
		}
	}
	return n
}

type roleBindingView struct {
	roleBindingData
	s *Server
}

func (s *Server) roleBindingViewLocked(b *roleBindingData) *roleBindingView {
	return &roleBindingView{roleBindingData: *b, s: s}
}

func (v *roleBindingView) Role() *roleView {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	r, ok := v.s.st.Roles[v.RoleID]
	if !ok {
		return &roleView{roleData: roleData{ID: v.RoleID, Slug: string(v.RoleID), Name: string(v.RoleID), Actions: []string{}}, s: v.s}
	}
	c := *r
	c.Actions = cloneStrings(c.Actions)
	return &roleView{roleData: c, s: v.s}
}

func (v *roleBindingView) Space() *spaceData {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	return v.s.spaceLocked(v.SpaceID)
}

// viewsOf is the view of each attachment, an empty list for none.
func viewsOf[V any](as []resolvedAttachment, view func(resolvedAttachment) V) []V {
	out := make([]V, len(as))
	for i, a := range as {
		out[i] = view(a)
	}
	return out
}

// attachedTo is the attachment of list whose stack is the given one, nil
// when there is none.
func attachedTo[V any](list []*V, stack graphql.ID, stackOf func(*V) graphql.ID) *V {
	for _, a := range list {
		if stackOf(a) == stack {
			return a
		}
	}
	return nil
}

func orEmpty[T any](in []T) []T {
	if in == nil {
		return []T{}
	}
	return in
}
