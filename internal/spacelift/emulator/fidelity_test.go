package emulator

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStackStateNeverLeavesItsEnumWhileRunsMove(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Walker", nil)
	run := c.trigger(id, "TRACKED")
	// Walk the run second by second through every state it passes, reading
	// the stack's state with a query that fails if the value is outside
	// StackState, as graph-gophers refuses such values.
	seen := map[string]bool{}
	var last string
	for range 30 {
		res := c.run(id, run)
		if !enumHas("StackState", res.Stack.State) {
			t.Fatalf("stack state %q is not a StackState", res.Stack.State)
		}
		seen[res.Stack.Run.State] = true
		last = res.Stack.Run.State
		if last == "UNCONFIRMED" {
			break
		}
		h.Advance(time.Second)
	}
	if !seen["READY"] || last != "UNCONFIRMED" {
		t.Fatalf("the run passed %v and ended in %s; want READY on the way and UNCONFIRMED", seen, last)
	}
}

func TestEveryRunStateMapsIntoStackStateOrLeavesIt(t *testing.T) {
	for _, state := range schemaEnums["RunState"] {
		got, ok := stackStateOf(state)
		if ok && !enumHas("StackState", got) {
			t.Errorf("run state %s maps to %q, outside StackState", state, got)
		}
		if !ok && enumHas("StackState", state) {
			t.Errorf("run state %s is a stack state but is not mirrored", state)
		}
	}
	for _, state := range []string{"READY", "QUEUED", "CANCELED", "PERFORMING"} {
		if _, ok := stackStateOf(state); ok {
			t.Errorf("%s must not become a stack state", state)
		}
	}
}

func TestTransitionRefusesStatesOutsideRunState(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Guarded", nil)
	run := c.trigger(id, "TRACKED")
	h.mu.Lock()
	r := h.st.Runs[graphqlID(run)]
	h.transitionLocked(r, "WAITING_FOR_GODOT", h.nowLocked())
	state := r.State
	h.mu.Unlock()
	if state != "QUEUED" {
		t.Fatalf("state after an invalid transition = %q, want it unchanged (QUEUED)", state)
	}
	c.run(id, run) // still readable
}

func TestRepairStateFixesStackStatesOutsideTheEnum(t *testing.T) {
	st := newState()
	st.Stacks["old"] = &stackRecord{stackData: stackData{ID: "old", State: "READY"}}
	st.Stacks["fine"] = &stackRecord{stackData: stackData{ID: "fine", State: "FINISHED"}}
	changes := repairState(st)
	if len(changes) != 1 || st.Stacks["old"].State != "NONE" || st.Stacks["fine"].State != "FINISHED" {
		t.Fatalf("changes %v, states %s/%s", changes, st.Stacks["old"].State, st.Stacks["fine"].State)
	}
}

func TestStackInputAcceptsNullWhereTheRealAPIDoes(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	// The shape Spacelift's own Kubernetes operator sends: autodeploy and
	// autoretry null.
	vars := stackInputVars("Lenient", map[string]any{"autodeploy": nil, "autoretry": nil, "administrative": nil})
	var out struct {
		StackCreate struct{ ID string } `json:"stackCreate"`
	}
	c.ok(createStackDoc, vars, &out)
	var read struct {
		Stack struct{ Autodeploy, Administrative bool }
	}
	c.ok(`query($id: ID!) { stack(id: $id) { autodeploy administrative } }`, map[string]any{"id": out.StackCreate.ID}, &read)
	if read.Stack.Autodeploy || read.Stack.Administrative {
		t.Fatalf("null inputs read back as %+v, want false", read.Stack)
	}
}

func TestSchedulesThatNeverFireAreRefused(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Cron", nil)
	const create = `mutation($stack: ID!, $input: DriftDetectionIntegrationInput!) {
  stackIntegrationDriftDetectionCreate(stack: $stack, input: $input) { id nextSchedule } }`
	const update = `mutation($stack: ID!, $input: DriftDetectionIntegrationInput!) {
  stackIntegrationDriftDetectionUpdate(stack: $stack, input: $input) { id nextSchedule } }`
	never := map[string]any{"stack": id, "input": map[string]any{"ignoreState": false, "reconcile": false, "schedule": []string{"0 3 30 2 *"}}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.fails(create, never, "never fires")
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("creating an impossible schedule did not return")
	}
	fine := map[string]any{"stack": id, "input": map[string]any{"ignoreState": false, "reconcile": false, "schedule": []string{"0 3 * * *"}}}
	c.ok(create, fine, nil)
	c.fails(update, never, `"0 3 30 2 *" matches no time`)
	// The stack still answers, and the valid schedule is kept.
	var read struct {
		Stack struct {
			Integrations struct {
				DriftDetection struct{ Schedule []string }
			}
		}
	}
	c.ok(`query($id: ID!) { stack(id: $id) { integrations { driftDetection { schedule } } } }`, map[string]any{"id": id}, &read)
	if got := read.Stack.Integrations.DriftDetection.Schedule; len(got) != 1 || got[0] != "0 3 * * *" {
		t.Fatalf("schedule after a refused update = %v", got)
	}
}

func TestSchedulerParksAScheduleThatNeverFires(t *testing.T) {
	// A state file written before such schedules were refused.
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Parked", nil)
	h.mu.Lock()
	st := h.st.Stacks[graphqlID(id)]
	due := h.nowLocked()
	st.Drift = &driftData{ID: "d", Schedule: []string{"0 3 30 2 *"}, Timezone: "UTC"}
	st.NextDriftAt = &due
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Advance(time.Minute)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the scheduler did not return")
	}
	h.mu.Lock()
	parked := st.NextDriftAt == nil
	h.mu.Unlock()
	if !parked {
		t.Fatal("a schedule that never fires is still scheduled")
	}
	c.run(id, c.trigger(id, "TRACKED"))
}

func TestAdministrativeFlagIsRefusedAndLegacyFlagMigrates(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	c.fails(createStackDoc, stackInputVars("Admin", map[string]any{"administrative": true}),
		"the administrative flag is no longer supported on stacks; attach the Space admin role (space-admin)")

	id := c.createStack("Legacy", nil)
	if err := h.Seed(Seed{AdministrativeStacks: []string{id}}); err != nil {
		t.Fatal(err)
	}
	const read = `query($id: ID!) { stack(id: $id) { administrative } }`
	var out struct{ Stack struct{ Administrative bool } }
	c.ok(read, map[string]any{"id": id}, &out)
	if !out.Stack.Administrative {
		t.Fatal("a stack that carries the legacy flag must read back administrative: true")
	}
	const update = `mutation($id: ID!, $input: StackInput!) { stackUpdate(id: $id, input: $input) { administrative } }`
	in := stackInputVars("Legacy", map[string]any{"administrative": true})["input"]
	c.fails(update, map[string]any{"id": id, "input": in}, "no longer supported")
	in = stackInputVars("Legacy", nil)["input"]
	var upd struct{ StackUpdate struct{ Administrative bool } }
	c.ok(update, map[string]any{"id": id, "input": in}, &upd)
	if upd.StackUpdate.Administrative {
		t.Fatal("stackUpdate with administrative: false must clear the legacy flag")
	}
}

func TestSpaceAdminBindingGrantsWhatTheFlagGranted(t *testing.T) {
	h := newTestHarness(t)
	admin := h.client(t)
	if err := h.Seed(Seed{Spaces: []SeedSpace{
		{ID: "plat", Name: "plat"}, {ID: "plat-dev", Name: "plat-dev", ParentSpace: "plat"}, {ID: "other", Name: "other"},
	}}); err != nil {
		t.Fatal(err)
	}
	manager := admin.createStack("Manager", map[string]any{"space": "plat"})
	asStack := &apiClient{t: t, url: h.GraphQLURL(), token: h.StackToken(manager, h.URL)}
	child := func(name, space string) map[string]any {
		return stackInputVars(name, map[string]any{"space": space})
	}

	// No binding: the stack may not create stacks anywhere.
	asStack.fails(createStackDoc, child("Child", "plat-dev"), "may not manage objects in space")

	const bind = `mutation($input: StackRoleBindingInput!) { stackRoleBindingCreate(input: $input) { id role { id slug isSystem } space { id } stackID } }`
	var b struct {
		StackRoleBindingCreate struct {
			ID   string
			Role struct {
				ID, Slug string
				IsSystem bool
			}
		} `json:"stackRoleBindingCreate"`
	}
	admin.ok(bind, map[string]any{"input": map[string]any{"roleID": "space-admin", "stackID": manager, "spaceID": "plat"}}, &b)
	if r := b.StackRoleBindingCreate.Role; r.ID != "space-admin" || r.Slug != "space-admin" || !r.IsSystem {
		t.Fatalf("bound role %+v, want the built-in space-admin", r)
	}
	// A stack outside root cannot be given a role in root.
	admin.fails(bind, map[string]any{"input": map[string]any{"roleID": "space-admin", "stackID": manager, "spaceID": "root"}}, "only stacks in the root space")

	// The binding covers the space and its subspaces, not siblings.
	asStack.createStack("Child", map[string]any{"space": "plat-dev"})
	asStack.fails(createStackDoc, child("Elsewhere", "other"), "may not manage objects in space")

	// The legacy flag takes precedence over bindings and covers the stack's
	// own space and below.
	elsewhere := admin.createStack("Other Manager", map[string]any{"space": "other"})
	if err := h.Seed(Seed{AdministrativeStacks: []string{elsewhere}}); err != nil {
		t.Fatal(err)
	}
	asOther := &apiClient{t: t, url: h.GraphQLURL(), token: h.StackToken(elsewhere, h.URL)}
	asOther.createStack("Sibling", map[string]any{"space": "other"})
	asOther.fails(createStackDoc, child("Intruder", "plat"), "may not manage objects in space")
}

func TestSystemRolesUseTheirSlugAsID(t *testing.T) {
	h := newTestHarness(t)
	var out struct {
		Roles []struct {
			ID, Slug, Name string
			IsSystem       bool
			Actions        []string
		}
	}
	h.client(t).ok(`{ roles { id slug name isSystem actions } }`, nil, &out)
	got := map[string]bool{}
	for _, r := range out.Roles {
		if r.ID != r.Slug || !r.IsSystem {
			t.Errorf("system role %+v: id must equal slug", r)
		}
		got[r.ID] = true
		if r.ID == "space-admin" && (r.Name != "Space admin" || !slices.Equal(r.Actions, []string{"SPACE_READ", "SPACE_WRITE", "SPACE_ADMIN"})) {
			t.Errorf("space-admin is %+v; the real API names it Space admin with SPACE_READ, SPACE_WRITE and SPACE_ADMIN", r)
		}
	}
	for _, want := range []string{"space-admin", "space-writer", "space-reader", "worker-pool-controller"} {
		if !got[want] {
			t.Errorf("missing system role %s in %+v", want, out.Roles)
		}
	}
	if !strings.Contains(errAdministrativeFlag.Error(), spaceAdminRoleID) {
		t.Error("the administrative refusal must name the role to bind")
	}
}

func TestDeletingAMissingStackAnswersNull(t *testing.T) {
	h := newTestHarness(t)
	var out struct{ StackDelete *struct{ ID string } }
	// The Terraform provider deletes a spacelift_stack after its
	// spacelift_stack_destructor has already destroyed it.
	h.client(t).ok(`mutation { stackDelete(id: "gone") { id } }`, nil, &out)
	if out.StackDelete != nil {
		t.Fatalf("deleting a missing stack answered %+v", out.StackDelete)
	}
}

func TestSearchStacksByCommitAndVendor(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	c.createStack("Tofu", map[string]any{"vendorConfig": map[string]any{"opentofu": map[string]any{"version": "1.8.0"}}})
	c.createStack("Plain", nil)
	var out struct {
		SearchStacks struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	const doc = `query($in: SearchInput!) { searchStacks(input: $in) { edges { node { id } } } }`
	c.ok(doc, map[string]any{"in": map[string]any{"predicates": []any{
		map[string]any{"field": "vendor", "constraint": map[string]any{"enumEquals": []string{"OPENTOFU"}}},
	}}}, &out)
	if len(out.SearchStacks.Edges) != 1 || out.SearchStacks.Edges[0].Node.ID != "tofu" {
		t.Fatalf("vendor search found %+v", out.SearchStacks.Edges)
	}
	hash := fakeCommit("infra", "main", testEpoch).Hash
	c.ok(doc, map[string]any{"in": map[string]any{"predicates": []any{
		map[string]any{"field": "commit", "constraint": map[string]any{"stringMatches": []string{hash}}},
	}}}, &out)
	if len(out.SearchStacks.Edges) != 2 {
		t.Fatalf("commit search found %+v", out.SearchStacks.Edges)
	}
}

func TestUnknownOperationsFailLikeAGraphQLServer(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	for doc, want := range map[string]string{
		`mutation { blueprintCreate(input: {name: "x"}) { id } }`: `Cannot query field "blueprintCreate" on type "Mutation"`,
		`{ stack(id: "s") { id noSuchField } }`:                   `Cannot query field "noSuchField" on type "Stack"`,
		`{ stack(id: "s", force: true) { id } }`:                  `Unknown argument "force"`,
		`query Q { viewer { id } `:                                `syntax error`,
	} {
		resp := c.post(doc, nil)
		if resp.Status != http.StatusOK || len(resp.Errors) == 0 || !strings.Contains(resp.Errors[0].Message, want) {
			t.Errorf("%s: HTTP %d, errors %+v; want 200 and an error containing %q", doc, resp.Status, resp.Errors, want)
		}
		if len(resp.Data) != 0 && string(resp.Data) != "null" {
			t.Errorf("%s: a document that does not validate returned data %s", doc, resp.Data)
		}
	}
}

func TestSpacesCreateUpdateDelete(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	const create = `mutation($in: SpaceInput!) { spaceCreate(input: $in) { id name parentSpace inheritEntities labels } }`
	var made struct {
		SpaceCreate struct {
			ID, Name    string
			ParentSpace string
		}
	}
	c.ok(create, map[string]any{"in": map[string]any{"name": "Platform", "description": "d", "inheritEntities": true, "parentSpace": "root"}}, &made)
	if !strings.HasPrefix(made.SpaceCreate.ID, "platform-") || made.SpaceCreate.ParentSpace != "root" {
		t.Fatalf("created %+v; want an id like platform-<ULID> under root", made.SpaceCreate)
	}
	plat := made.SpaceCreate.ID
	c.ok(create, map[string]any{"in": map[string]any{"name": "Dev", "parentSpace": plat}}, &made)
	dev := made.SpaceCreate.ID
	const update = `mutation($s: ID!, $in: SpaceInput!) { spaceUpdate(space: $s, input: $in) { id } }`
	c.fails(update, map[string]any{"s": plat, "in": map[string]any{"name": "Platform", "parentSpace": dev}}, "cannot be its own ancestor")
	c.fails(update, map[string]any{"s": "root", "in": map[string]any{"name": "root"}}, "root space cannot be changed")
	c.ok(update, map[string]any{"s": dev, "in": map[string]any{"name": "Development", "parentSpace": plat, "labels": []string{"env:dev"}}}, nil)

	const del = `mutation($s: ID!) { spaceDelete(space: $s) { id } }`
	c.fails(del, map[string]any{"s": plat}, "still holds 1 spaces")
	c.createStack("In Dev", map[string]any{"space": dev})
	c.fails(del, map[string]any{"s": dev}, "1 stacks")
	c.ok(`mutation { stackDelete(id: "in-dev") { id } }`, nil, nil)
	c.ok(del, map[string]any{"s": dev}, nil)
	var gone struct{ SpaceDelete *struct{ ID string } }
	c.ok(del, map[string]any{"s": dev}, &gone)
	if gone.SpaceDelete != nil {
		t.Fatal("deleting a missing space must answer null")
	}
}

func TestWorkerPoolsAndAWSIntegrationsThroughTheAPI(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	const csr = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"
	const create = `mutation($n: String!, $csr: String!, $l: [String!]) { workerPoolCreate(name: $n, certificateSigningRequest: $csr, labels: $l) { id name labels space config } }`
	c.fails(create, map[string]any{"n": "k8s", "csr": "not pem"}, "PEM-encoded certificate signing request")
	var wp struct {
		WorkerPoolCreate struct {
			ID, Name, Space, Config string
			Labels                  []string
		}
	}
	c.ok(create, map[string]any{"n": "k8s", "csr": csr, "l": []string{"eu"}}, &wp)
	if p := wp.WorkerPoolCreate; p.Name != "k8s" || p.Space != "root" || p.Config == "" || len(p.ID) != 26 || len(p.Labels) != 1 {
		t.Fatalf("created pool %+v; want a ULID id, name, root space, config and labels", p)
	}
	c.createStack("On Pool", map[string]any{"workerPool": wp.WorkerPoolCreate.ID})
	c.fails(`mutation($id: ID!) { workerPoolDelete(id: $id) { id } }`, map[string]any{"id": wp.WorkerPoolCreate.ID}, "stacks on-pool use it")

	const awsCreate = `mutation($n: String!, $arn: String!, $d: Int) { awsIntegrationCreate(name: $n, roleArn: $arn, generateCredentialsInWorker: false, durationSeconds: $d) { id name externalId durationSeconds } }`
	c.fails(awsCreate, map[string]any{"n": "prod", "arn": "role/x"}, "is not an IAM role ARN")
	c.fails(awsCreate, map[string]any{"n": "prod", "arn": "arn:aws:iam::1:role/x", "d": 60}, "durationSeconds must be between 900 and 43200")
	var aws struct {
		AwsIntegrationCreate struct {
			ID              string
			ExternalID      string `json:"externalId"`
			DurationSeconds int
		}
	}
	c.ok(awsCreate, map[string]any{"n": "prod", "arn": "arn:aws:iam::1:role/x"}, &aws)
	if a := aws.AwsIntegrationCreate; a.DurationSeconds != 900 || a.ExternalID == "" {
		t.Fatalf("created integration %+v; want the default duration and an external id", a)
	}
	c.fails(awsCreate, map[string]any{"n": "prod", "arn": "arn:aws:iam::1:role/y"}, "already exists")
	var byName struct{ AwsIntegrationByName *struct{ ID string } }
	c.ok(`{ awsIntegrationByName(name: "prod") { id } }`, nil, &byName)
	if byName.AwsIntegrationByName == nil || byName.AwsIntegrationByName.ID != aws.AwsIntegrationCreate.ID {
		t.Fatalf("by name: %+v", byName)
	}
}

func TestAClockJumpDoesNotReplayEveryMissedSchedule(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Busy Cron", nil)
	c.ok(`mutation($s: ID!) { stackIntegrationDriftDetectionCreate(stack: $s, input: {ignoreState: true, reconcile: false, schedule: ["* * * * *"]}) { id } }`,
		map[string]any{"s": id}, nil)
	start := time.Now()
	h.Advance(30 * 24 * time.Hour) // 43200 missed minutes
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("a 30-day clock jump took %s", took)
	}
	if n := len(h.Runs(id)); n > 2 {
		t.Fatalf("%d drift runs after one jump; missed occurrences must not be replayed one by one", n)
	}
	h.Advance(90 * time.Second)
	if n := len(h.Runs(id)); n < 2 {
		t.Fatalf("the schedule stopped firing after the jump: %d runs", n)
	}
}

func TestSpaceWriterBindingLetsAStackRunButNotManage(t *testing.T) {
	h := newTestHarness(t)
	admin := h.client(t)
	if err := h.Seed(Seed{Spaces: []SeedSpace{{ID: "plat", Name: "plat"}, {ID: "plat-dev", Name: "plat-dev", ParentSpace: "plat"}}}); err != nil {
		t.Fatal(err)
	}
	runner := admin.createStack("Runner", map[string]any{"space": "plat"})
	target := admin.createStack("Target", map[string]any{"space": "plat-dev"})
	admin.ok(`mutation { policyCreatev2(input: {name: "p", body: "package spacelift", type: PLAN}) { id } }`, nil, nil)
	as := &apiClient{t: t, url: h.GraphQLURL(), token: h.StackToken(runner, h.URL)}
	const trigger = `mutation($s: ID!) { runTrigger(stack: $s) { id } }`
	as.fails(trigger, map[string]any{"s": target}, "may not run or change environment in space \"plat-dev\"; bind the space-writer role")

	admin.ok(`mutation($in: StackRoleBindingInput!) { stackRoleBindingCreate(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"roleID": "space-writer", "stackID": runner, "spaceID": "plat"}}, nil)
	as.ok(trigger, map[string]any{"s": target}, nil)
	as.ok(`mutation($s: ID!) { stackConfigAdd(stack: $s, config: {id: "K", type: ENVIRONMENT_VARIABLE, value: "v", writeOnly: false}) { id } }`, map[string]any{"s": target}, nil)
	as.fails(`mutation($s: ID!) { policyAttach(id: "p", stack: $s) { id } }`, map[string]any{"s": target}, "may not manage objects")
	as.fails(`mutation($s: ID!) { stackDisable(id: $s) { id } }`, map[string]any{"s": target}, "may not manage objects")
}
