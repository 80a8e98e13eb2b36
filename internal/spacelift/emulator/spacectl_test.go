package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/graph-gophers/graphql-go"
)

// Documents with the selections spacectl's commands send (field lists only),
// executed against the emulator to show that the commands get real answers.

// entityVendorSelection is the ManagedEntity.vendor selection of
// `spacectl stack resources list`.
const entityVendorSelection = `__typename
  ... on EntityVendorAnsible { ansible { ... on AnsibleResource { data } } }
  ... on EntityVendorCloudFormation { cloudFormation {
    ... on CloudFormationResource { logicalResourceId physicalResourceId template }
    ... on CloudFormationOutput { description export value }
  } }
  ... on EntityVendorKubernetes { kubernetes {
    ... on KubernetesResource { data }
    ... on KubernetesRoot { phantom }
  } }
  ... on EntityVendorPulumi { pulumi {
    ... on PulumiOutput { sensitive value hash }
    ... on PulumiStack { phantom }
    ... on PulumiResource { urn id provider parent outputs }
  } }
  ... on EntityVendorTerraform { terraform {
    __typename
    ... on TerraformResource { address mode module provider tainted values }
    ... on TerraformModule { phantom }
    ... on TerraformOutput { sensitive value hash }
  } }`

const resourcesDoc = `query($id: ID!) {
  stack(id: $id) { id labels space name entities {
    id address creator { id } drifted name parent thirdPartyMetadata type updater { id }
    vendor { ` + entityVendorSelection + ` }
  } }
}`

// envListDoc is `spacectl stack environment list`.
const envListDoc = `query($stack: ID!) {
  stack(id: $stack) {
    runtimeConfig {
      context { id contextName }
      element { id checksum createdAt runtime type value writeOnly }
    }
    attachedContexts { contextId contextName priority isAutoattached config { id checksum createdAt runtime type value writeOnly } }
  }
}`

// runLogsDoc is what spacectl polls for each history entry with hasLogs.
const runLogsDoc = `query($stack: ID!, $run: ID!, $state: RunState!, $token: String, $stateVersion: Int!) {
  stack(id: $stack) { run(id: $run) {
    logs(state: $state, token: $token, stateVersion: $stateVersion) { exists finished hasMore messages { message } nextToken }
  } }
}`

// runStackDoc resolves spacectl's --run flag to a stack.
const runStackDoc = `query($runId: ID!) { runStack(runId: $runId) { id name } }`

const workerPoolListDoc = `{ workerPools { id name description pendingRuns busyWorkers workers { id } } }`

const taskListDoc = `query($stackId: ID!, $before: ID) {
  stack(id: $stackId) { tasks(before: $before) { id command commit { hash url } createdAt state triggeredBy type } }
}`

type configElementResult struct {
	ID        string
	Type      string
	Value     *string
	WriteOnly bool
}

func TestEnvironmentListShowsStackThenExplicitContexts(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	stack := c.createStack("Env", map[string]any{"labels": []string{"network"}})
	const add = `mutation($stack: ID!, $config: ConfigInput!) { stackConfigAdd(stack: $stack, config: $config) { id } }`
	for _, el := range []map[string]any{
		{"id": "REGION", "type": "ENVIRONMENT_VARIABLE", "value": "eu-west-1", "writeOnly": false},
		{"id": "TOKEN", "type": "ENVIRONMENT_VARIABLE", "value": "hunter2", "writeOnly": true},
	} {
		c.ok(add, map[string]any{"stack": stack, "config": el}, nil)
	}
	if err := h.Seed(Seed{Contexts: []SeedContext{
		{ID: "shared", Name: "Shared", Config: []SeedConfig{{ID: "REGION", Value: "us-east-1"}, {ID: "ACCOUNT", Value: "123"}}},
		{ID: "low", Name: "Low", Config: []SeedConfig{{ID: "ACCOUNT", Value: "456"}, {ID: "TIER", Value: "gold"}}},
		{ID: "auto", Name: "Auto", Labels: []string{"autoattach:network"}, Config: []SeedConfig{{ID: "NET", Value: "core"}}},
	}}); err != nil {
		t.Fatal(err)
	}
	const attach = `mutation($id: ID!, $stack: ID!, $priority: Int!) { contextAttach(id: $id, stack: $stack, priority: $priority) { id } }`
	c.ok(attach, map[string]any{"id": "low", "stack": stack, "priority": 5}, nil)
	c.ok(attach, map[string]any{"id": "shared", "stack": stack, "priority": 1}, nil)

	var out struct {
		Stack struct {
			RuntimeConfig []struct {
				Context *struct{ ID, ContextName string }
				Element configElementResult
			}
			AttachedContexts []struct {
				ContextID      string
				IsAutoattached bool
				Config         []configElementResult
			}
		}
	}
	c.ok(envListDoc, map[string]any{"stack": stack}, &out)

	type row struct{ id, value, context string }
	var got []row
	for _, rc := range out.Stack.RuntimeConfig {
		r := row{id: rc.Element.ID, value: "<null>"}
		if rc.Element.Value != nil {
			r.value = *rc.Element.Value
		}
		if rc.Context != nil {
			r.context = rc.Context.ContextName
		}
		got = append(got, r)
	}
	// The stack's REGION shadows the context's, and the higher-priority
	// context's ACCOUNT the lower one's; the autoattached context is not here.
	want := []row{
		{"REGION", "eu-west-1", ""}, {"TOKEN", "<null>", ""},
		{"ACCOUNT", "123", "Shared"}, {"TIER", "gold", "Low"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("runtimeConfig = %+v, want %+v", got, want)
	}
	var auto []string
	for _, a := range out.Stack.AttachedContexts {
		if a.IsAutoattached {
			auto = append(auto, a.ContextID)
		}
	}
	if !slices.Equal(auto, []string{"auto"}) {
		t.Errorf("autoattached contexts = %v, want [auto]", auto)
	}
}

type entityResult struct {
	Address string
	Creator *struct{ ID string }
	Vendor  struct {
		Typename  string `json:"__typename"`
		Terraform *struct {
			Typename string `json:"__typename"`
			Address  string
			Mode     string
			Module   string
			Provider *string
			Tainted  bool
			Values   *string
		}
		Pulumi json.RawMessage
	}
}

func (c *apiClient) entities(stack string) []entityResult {
	c.t.Helper()
	var out struct {
		Stack struct{ Entities []entityResult }
	}
	c.ok(resourcesDoc, map[string]any{"id": stack}, &out)
	return out.Stack.Entities
}

func TestResourcesListReportsTerraformEntities(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	stack := c.createStack("Resources", nil)
	if got := c.entities(stack); len(got) != 0 {
		t.Fatalf("fresh stack has entities %+v", got)
	}

	// The first tracked run adds a resource, which then shows up with its creator.
	run := c.trigger(stack, "TRACKED")
	h.Advance(time.Minute)
	c.ok(`mutation($stack: ID!, $run: ID!) { runConfirm(stack: $stack, run: $run) { id } }`, map[string]any{"stack": stack, "run": run}, nil)
	h.Advance(time.Minute)
	got := c.entities(stack)
	if len(got) != 1 || got[0].Creator == nil || got[0].Creator.ID != run {
		t.Fatalf("entities after the first apply = %+v, want one created by %s", got, run)
	}
	v := got[0].Vendor
	if v.Typename != "EntityVendorTerraform" || v.Terraform == nil || v.Terraform.Typename != "TerraformResource" ||
		v.Terraform.Address != got[0].Address || v.Terraform.Mode != "managed" || v.Terraform.Module != "" ||
		v.Terraform.Provider != nil || v.Terraform.Values != nil {
		t.Errorf("vendor = %+v", v)
	}

	if _, err := h.SeedDrift(DriftSeed{Stack: stack, Entities: []SeedEntity{
		{Address: `module.net.module.vpc["a.b"].aws_vpc.main`, Type: "aws_vpc"},
		{Address: "module.net.data.aws_ami.base", Type: "aws_ami"},
	}}); err != nil {
		t.Fatal(err)
	}
	var modules, modes []string
	for _, e := range c.entities(stack) {
		modules = append(modules, e.Vendor.Terraform.Module)
		modes = append(modes, e.Vendor.Terraform.Mode)
	}
	if want := []string{`module.net.module.vpc["a.b"]`, "module.net"}; !slices.Equal(modules, want) {
		t.Errorf("modules = %q, want %q", modules, want)
	}
	if want := []string{"managed", "data"}; !slices.Equal(modes, want) {
		t.Errorf("modes = %q, want %q", modes, want)
	}

	// Other vendors get their own member, with nothing vendor-specific in it.
	pulumi := c.createStack("Pulumi", map[string]any{"vendorConfig": map[string]any{"pulumi": map[string]any{"loginURL": "s3://state", "stackName": "dev"}}})
	if _, err := h.SeedDrift(DriftSeed{Stack: pulumi, Entities: []SeedEntity{{Address: "aws:s3:Bucket.logs"}}}); err != nil {
		t.Fatal(err)
	}
	pe := c.entities(pulumi)
	if len(pe) != 1 || pe[0].Vendor.Typename != "EntityVendorPulumi" || string(pe[0].Vendor.Pulumi) != "null" {
		t.Errorf("pulumi entities = %+v", pe)
	}
}

func TestSplitTerraformModule(t *testing.T) {
	for _, tc := range []struct{ addr, module, rest string }{
		{"aws_vpc.main", "", "aws_vpc.main"},
		{"data.aws_ami.base", "", "data.aws_ami.base"},
		{"module.vpc.aws_vpc.main", "module.vpc", "aws_vpc.main"},
		{`module.a["x.y"].module.b[0].aws_subnet.s["k.1"]`, `module.a["x.y"].module.b[0]`, `aws_subnet.s["k.1"]`},
		{`module.a["q\"."].null_resource.r`, `module.a["q\"."]`, "null_resource.r"},
		{"module.only", "", "module.only"},
	} {
		module, rest := splitTerraformModule(tc.addr)
		if module != tc.module || rest != tc.rest {
			t.Errorf("splitTerraformModule(%q) = %q, %q; want %q, %q", tc.addr, module, rest, tc.module, tc.rest)
		}
	}
}

func TestRunLogsHistoryAndRunStack(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	stack := c.createStack("Logs", nil)
	run := c.trigger(stack, "PROPOSED")
	h.Advance(time.Minute)

	var hist struct {
		Stack struct {
			Run struct {
				History []struct {
					HasLogs      bool
					State        string
					StateVersion int
					Terminal     bool
				}
			}
		}
	}
	c.ok(`query($stack: ID!, $run: ID!) { stack(id: $stack) { run(id: $run) { history { hasLogs note state stateVersion terminal timestamp username } } } }`,
		map[string]any{"stack": stack, "run": run}, &hist)
	history := hist.Stack.Run.History
	if len(history) == 0 || history[0].State != "FINISHED" || !history[0].Terminal || history[len(history)-1].State != "QUEUED" {
		t.Fatalf("history = %+v, want newest first from FINISHED back to QUEUED", history)
	}

	type logs struct {
		Exists, Finished, HasMore bool
		Messages                  []struct{ Message string }
		NextToken                 *string
	}
	for _, e := range history {
		var out struct {
			Stack struct{ Run struct{ Logs *logs } }
		}
		c.ok(runLogsDoc, map[string]any{"stack": stack, "run": run, "state": e.State, "stateVersion": e.StateVersion}, &out)
		l := out.Stack.Run.Logs
		if l == nil || !l.Exists || !l.Finished || l.HasMore || len(l.Messages) != 0 || l.NextToken != nil {
			t.Errorf("logs of %s = %+v, want an existing, finished, empty log", e.State, l)
		}
	}
	var missing struct {
		Stack struct{ Run struct{ Logs *logs } }
	}
	c.ok(runLogsDoc, map[string]any{"stack": stack, "run": run, "state": "APPLYING", "stateVersion": 1}, &missing)
	if missing.Stack.Run.Logs != nil {
		t.Errorf("logs of a state the run never had = %+v, want null", missing.Stack.Run.Logs)
	}

	var rs struct{ RunStack struct{ ID string } }
	c.ok(runStackDoc, map[string]any{"runId": run}, &rs)
	if rs.RunStack.ID != stack {
		t.Errorf("runStack = %q, want %q", rs.RunStack.ID, stack)
	}
	c.fails(runStackDoc, map[string]any{"runId": "01NOSUCHRUN"}, "not found")

	var tasks struct {
		Stack struct{ Tasks []json.RawMessage }
	}
	c.ok(taskListDoc, map[string]any{"stackId": stack}, &tasks)
	if tasks.Stack.Tasks == nil || len(tasks.Stack.Tasks) != 0 {
		t.Errorf("tasks = %v, want an empty list", tasks.Stack.Tasks)
	}
}

func TestStackLockAndTrackedCommit(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	stack := c.createStack("Locks", nil)
	const read = `query($id: ID!) { stack(id: $id) { lockedBy lockedAt lockNote trackedCommit { hash message } trackedCommitSetBy } }`
	type stackResult struct {
		Stack struct {
			LockedBy, LockNote *string
			LockedAt           *int64
			TrackedCommit      struct{ Hash, Message string }
			TrackedCommitSetBy *string
		}
	}
	const lock = `mutation($stack: ID!, $note: String!) { stackLock(id: $stack, note: $note) { id lockedBy } }`
	const unlock = `mutation($stack: ID!) { stackUnlock(id: $stack) { id lockedBy } }`

	c.ok(lock, map[string]any{"stack": stack, "note": "maintenance"}, nil)
	var st stackResult
	c.ok(read, map[string]any{"id": stack}, &st)
	subject := "api::" + h.opts.APIKeyID
	if st.Stack.LockedBy == nil || *st.Stack.LockedBy != subject || st.Stack.LockNote == nil || *st.Stack.LockNote != "maintenance" ||
		st.Stack.LockedAt == nil || *st.Stack.LockedAt != testEpoch.Unix() {
		t.Fatalf("after lock: %+v", st.Stack)
	}
	// The holder may still run the stack; someone else may not, nor take or drop the lock.
	c.trigger(stack, "PROPOSED")
	other := "someone-else"
	h.mu.Lock()
	h.st.Stacks[graphql.ID(stack)].LockedBy = &other
	h.mu.Unlock()
	c.fails(lock, map[string]any{"stack": stack, "note": ""}, "locked by someone-else")
	c.fails(unlock, map[string]any{"stack": stack}, "locked by someone-else")
	c.fails(triggerDoc, map[string]any{"stack": stack, "type": "TRACKED"}, "locked by someone-else")
	h.mu.Lock()
	h.st.Stacks[graphql.ID(stack)].LockedBy = &subject
	h.mu.Unlock()
	c.ok(unlock, map[string]any{"stack": stack}, nil)
	c.ok(unlock, map[string]any{"stack": stack}, nil) // unlocking an unlocked stack is fine
	st = stackResult{}
	c.ok(read, map[string]any{"id": stack}, &st)
	if st.Stack.LockedBy != nil || st.Stack.LockNote != nil || st.Stack.LockedAt != nil {
		t.Fatalf("after unlock: %+v", st.Stack)
	}

	head := st.Stack.TrackedCommit.Hash
	const setCommit = `mutation($stack: ID!, $sha: String!) { stackSetCurrentCommit(id: $stack, sha: $sha) { trackedCommit { hash message } } }`
	const sha = "0123456789ABCDEF0123456789abcdef01234567"
	c.ok(setCommit, map[string]any{"stack": stack, "sha": sha}, nil)
	c.fails(setCommit, map[string]any{"stack": stack, "sha": "main"}, "not a commit sha")
	st = stackResult{}
	c.ok(read, map[string]any{"id": stack}, &st)
	if st.Stack.TrackedCommit.Hash != "0123456789abcdef0123456789abcdef01234567" || st.Stack.TrackedCommitSetBy == nil {
		t.Fatalf("after stackSetCurrentCommit: %+v", st.Stack)
	}
	// New runs use the pinned commit.
	run := c.trigger(stack, "PROPOSED")
	var runOut struct {
		Stack struct {
			Run struct{ Commit struct{ Hash string } }
		}
	}
	c.ok(`query($s: ID!, $r: ID!) { stack(id: $s) { run(id: $r) { commit { hash } } } }`, map[string]any{"s": stack, "r": run}, &runOut)
	if runOut.Stack.Run.Commit.Hash != st.Stack.TrackedCommit.Hash {
		t.Errorf("run commit = %s, want the pinned %s", runOut.Stack.Run.Commit.Hash, st.Stack.TrackedCommit.Hash)
	}

	c.ok(`mutation($stack: ID!) { stackSyncCommit(id: $stack) { id } }`, map[string]any{"stack": stack}, nil)
	st = stackResult{}
	c.ok(read, map[string]any{"id": stack}, &st)
	if st.Stack.TrackedCommit.Hash != head || st.Stack.TrackedCommitSetBy != nil {
		t.Errorf("after stackSyncCommit: %+v, want head %s", st.Stack, head)
	}
}

func TestWorkerPoolsPoliciesAndSpacesForSpacectl(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	if err := h.Seed(Seed{WorkerPools: []SeedWorkerPool{{ID: "pool", Name: "Private"}}}); err != nil {
		t.Fatal(err)
	}
	stack := c.createStack("Pooled", map[string]any{"workerPool": "pool"})
	c.trigger(stack, "PROPOSED")

	type poolResult struct {
		WorkerPools []struct {
			ID          string
			PendingRuns int
			BusyWorkers int
			Workers     []struct{ ID string }
		}
	}
	pending := func() int {
		t.Helper()
		var out poolResult
		c.ok(workerPoolListDoc, nil, &out)
		if len(out.WorkerPools) != 1 || out.WorkerPools[0].Workers == nil || len(out.WorkerPools[0].Workers) != 0 || out.WorkerPools[0].BusyWorkers != 0 {
			t.Fatalf("workerPools = %+v, want one pool without workers", out.WorkerPools)
		}
		return out.WorkerPools[0].PendingRuns
	}
	if n := pending(); n != 0 {
		t.Errorf("pendingRuns while the run is QUEUED = %d, want 0", n)
	}
	h.Advance(time.Second) // QUEUED -> READY
	if n := pending(); n != 1 {
		t.Errorf("pendingRuns while the run is READY = %d, want 1", n)
	}
	var worker struct {
		WorkerPool struct{ Workers []json.RawMessage }
	}
	c.ok(`query($workerPool: ID!) { workerPool(id: $workerPool) { workers { id busy drained metadata } } }`, map[string]any{"workerPool": "pool"}, &worker)
	if worker.WorkerPool.Workers == nil || len(worker.WorkerPool.Workers) != 0 {
		t.Errorf("workers = %v, want an empty list", worker.WorkerPool.Workers)
	}

	const create = `mutation($input: PolicyCreateInput!) { policyCreatev2(input: $input) { id } }`
	c.ok(create, map[string]any{"input": map[string]any{"name": "Plan", "body": "package spacelift", "type": "PLAN"}}, nil)
	var policies struct {
		SearchPolicies struct {
			Edges []struct {
				Node struct {
					ID           string
					SpaceDetails struct{ ID, AccessLevel string }
				}
			}
		}
	}
	c.ok(realShapedDocuments["spacectl policy list"], map[string]any{"input": map[string]any{"first": 50}}, &policies)
	if e := policies.SearchPolicies.Edges; len(e) != 1 || e[0].Node.SpaceDetails.ID != "root" || e[0].Node.SpaceDetails.AccessLevel != "ADMIN" {
		t.Errorf("policy list = %+v", e)
	}
}

// TestSpacectlDeployAndConfirmWithRunMetadata sends the header-carrying
// mutations the way spacectl does: deploy with run metadata (and a force-apply
// mode), then confirm with more.
func TestSpacectlDeployAndConfirmWithRunMetadata(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	stack := c.createStack("Deploy", nil)
	c.headers = map[string]string{UserProvidedRunMetadataHeader: `{"ticket":"OPS-1"}`}
	var trig struct{ RunTrigger struct{ ID string } }
	c.ok(realShapedDocuments["spacectl deploy"], map[string]any{"stack": stack, "type": "TRACKED", "forceApply": "SINGLE"}, &trig)
	h.Advance(time.Minute)
	c.headers = map[string]string{UserProvidedRunMetadataHeader: `{"approved":true}`}
	c.ok(realShapedDocuments["spacectl run confirm"], map[string]any{"stack": stack, "run": trig.RunTrigger.ID}, nil)
	h.Advance(time.Minute)
	got := c.run(stack, trig.RunTrigger.ID)
	if got.Stack.Run.State != "FINISHED" || !slices.Equal(got.Stack.Run.UserProvidedMetadata, []string{`{"ticket":"OPS-1"}`, `{"approved":true}`}) {
		t.Errorf("run = %s with metadata %q", got.Stack.Run.State, got.Stack.Run.UserProvidedMetadata)
	}
	if resp := c.post(realShapedDocuments["spacectl run discard"], map[string]any{"stack": stack, "run": trig.RunTrigger.ID}); resp.Status != http.StatusOK || len(resp.Errors) == 0 {
		t.Errorf("discarding a finished run: HTTP %d, errors %+v; want a GraphQL error", resp.Status, resp.Errors)
	}
}
