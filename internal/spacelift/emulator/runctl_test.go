package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func (c *apiClient) runMutation(field, stack, run string) gqlResponse {
	c.t.Helper()
	return c.post(`mutation($s: ID!, $r: ID!) { `+field+`(stack: $s, run: $r) { id state } }`, map[string]any{"s": stack, "r": run})
}

func (c *apiClient) advanceTo(h *harness, stack, run, state string) {
	c.t.Helper()
	for range 30 {
		if c.run(stack, run).Stack.Run.State == state {
			return
		}
		h.Advance(time.Second)
	}
	c.t.Fatalf("run %s never reached %s", run, state)
}

func historyOf(res runResult) []string {
	var out []string
	for _, h := range res.Stack.Run.History {
		out = append(out, h.State)
	}
	slices.Reverse(out) // served newest first
	return out
}

func TestCancelOnlyBeforeAWorkerPicksTheRunUp(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Cancel", nil)
	first := c.trigger(id, "TRACKED")
	queued := c.trigger(id, "TRACKED")
	c.advanceTo(h, id, first, "UNCONFIRMED")

	if resp := c.runMutation("runCancel", id, first); len(resp.Errors) == 0 ||
		!strings.Contains(resp.Errors[0].Message, "in state UNCONFIRMED and cannot be canceled") {
		t.Fatalf("cancel of an unconfirmed run: %+v", resp.Errors)
	}
	if resp := c.runMutation("runCancel", id, queued); len(resp.Errors) > 0 {
		t.Fatalf("cancel of a queued run: %+v", resp.Errors)
	}
	res := c.run(id, queued)
	if res.Stack.Run.State != "CANCELED" || !res.Stack.Run.History[0].Terminal {
		t.Fatalf("canceled run is %s", res.Stack.Run.State)
	}
	if !enumHas("StackState", res.Stack.State) || res.Stack.State != "UNCONFIRMED" {
		t.Fatalf("stack state %s after canceling a queued run, want it left at UNCONFIRMED", res.Stack.State)
	}
}

func TestStopRetryAndTheStatesTheyRefuse(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Stop", nil)
	run := c.trigger(id, "TRACKED")
	if resp := c.runMutation("runStop", id, run); len(resp.Errors) == 0 || !strings.Contains(resp.Errors[0].Message, "cannot be stopped") {
		t.Fatalf("stop of a queued run: %+v", resp.Errors)
	}
	if resp := c.runMutation("runRetry", id, run); len(resp.Errors) == 0 || !strings.Contains(resp.Errors[0].Message, "cannot be retried") {
		t.Fatalf("retry of a queued run: %+v", resp.Errors)
	}
	c.advanceTo(h, id, run, "PLANNING")
	var stopped struct{ RunStop struct{ State string } }
	c.ok(`mutation($s: ID!, $r: ID!) { runStop(stack: $s, run: $r, note: "enough") { state } }`, map[string]any{"s": id, "r": run}, &stopped)
	if stopped.RunStop.State != "STOPPED" {
		t.Fatalf("stopped run is %s", stopped.RunStop.State)
	}
	var canRetry struct {
		Stack struct{ Run struct{ CanRetry bool } }
	}
	c.ok(`query($s: ID!, $r: ID!) { stack(id: $s) { run(id: $r) { canRetry } } }`, map[string]any{"s": id, "r": run}, &canRetry)
	if !canRetry.Stack.Run.CanRetry {
		t.Fatal("a stopped tracked run must be retryable")
	}
	var retried struct{ RunRetry struct{ ID, State string } }
	c.ok(`mutation($s: ID!, $r: ID!) { runRetry(stack: $s, run: $r) { id state } }`, map[string]any{"s": id, "r": run}, &retried)
	if retried.RunRetry.ID == run || retried.RunRetry.State != "QUEUED" {
		t.Fatalf("retry = %+v, want a new queued run", retried.RunRetry)
	}
	c.advanceTo(h, id, retried.RunRetry.ID, "UNCONFIRMED")
	c.ok(`mutation($s: ID!, $r: ID!) { runConfirm(stack: $s, run: $r) { id } }`, map[string]any{"s": id, "r": retried.RunRetry.ID}, nil)
	c.advanceTo(h, id, retried.RunRetry.ID, "FINISHED")
	if resp := c.runMutation("runRetry", id, retried.RunRetry.ID); len(resp.Errors) == 0 {
		t.Fatal("a finished run was retried")
	}
}

func TestTargetedReplanGoesThroughTheReplanStates(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Replan", nil)
	if _, err := h.SeedDrift(DriftSeed{Stack: id, Entities: []SeedEntity{{Address: "null_resource.a"}, {Address: "null_resource.b"}}, Drifted: 2}); err != nil {
		t.Fatal(err)
	}
	run := c.trigger(id, "TRACKED")
	c.advanceTo(h, id, run, "UNCONFIRMED")
	var changes struct {
		Stack struct {
			Run struct {
				ChangesV3 []struct {
					Resources []struct {
						Address  string
						Metadata struct{ Type string }
					}
				}
			}
		}
	}
	const changesDoc = `query($s: ID!, $r: ID!) { stack(id: $s) { run(id: $r) { changesV3(input: {}) { resources { address metadata { type } } } } } }`
	c.ok(changesDoc, map[string]any{"s": id, "r": run}, &changes)
	if got := changes.Stack.Run.ChangesV3[0].Resources; len(got) != 2 || got[0].Metadata.Type != "CHANGE" {
		t.Fatalf("changes before the replan: %+v", got)
	}
	const replan = `mutation($s: ID!, $r: ID!, $t: [String!]!) { runTargetedReplan(stack: $s, run: $r, targets: $t) { id state } }`
	c.fails(replan, map[string]any{"s": id, "r": run, "t": []string{"aws_vpc.nope"}}, `"aws_vpc.nope" is not a resource the plan`)
	c.ok(replan, map[string]any{"s": id, "r": run, "t": []string{"null_resource.b"}}, nil)
	c.advanceTo(h, id, run, "UNCONFIRMED")
	res := c.run(id, run)
	want := []string{"UNCONFIRMED", "REPLAN_REQUESTED", "PREPARING_REPLAN", "PLANNING", "UNCONFIRMED"}
	if got := historyOf(res); len(got) < len(want) || !slices.Equal(got[len(got)-len(want):], want) {
		t.Fatalf("history %v, want it to end with %v", got, want)
	}
	c.ok(changesDoc, map[string]any{"s": id, "r": run}, &changes)
	if got := changes.Stack.Run.ChangesV3[0].Resources; len(got) != 1 || got[0].Address != "null_resource.b" {
		t.Fatalf("changes after the targeted replan: %+v", got)
	}
	if d := res.Stack.Run.Delta; d == nil || d.ChangeCount != 1 {
		t.Fatalf("delta after the targeted replan: %+v", d)
	}
}

func TestPromoteReviewPrioritizeAndTasks(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("Promote", map[string]any{"githubActionDeploy": false})
	proposed := c.trigger(id, "PROPOSED")
	if resp := c.runMutation("runPromote", id, proposed); len(resp.Errors) == 0 || !strings.Contains(resp.Errors[0].Message, "does not allow run promotion") {
		t.Fatalf("promote with promotion off: %+v", resp.Errors)
	}
	c.ok(`mutation($id: ID!, $in: StackInput!) { stackUpdate(id: $id, input: $in) { id } }`,
		map[string]any{"id": id, "in": stackInputVars("Promote", map[string]any{"githubActionDeploy": true})["input"]}, nil)
	if resp := c.runMutation("runPromote", id, proposed); len(resp.Errors) == 0 || !strings.Contains(resp.Errors[0].Message, "cannot be promoted") {
		t.Fatalf("promote of an unfinished proposed run: %+v", resp.Errors)
	}
	c.advanceTo(h, id, proposed, "FINISHED")
	var promoted struct{ RunPromote struct{ ID string } }
	c.ok(`mutation($s: ID!, $r: ID!) { runPromote(stack: $s, run: $r) { id } }`, map[string]any{"s": id, "r": proposed}, &promoted)
	tracked := c.run(id, promoted.RunPromote.ID)
	if tracked.Stack.Run.Type != "TRACKED" {
		t.Fatalf("promotion made a %s run", tracked.Stack.Run.Type)
	}

	const review = `mutation($s: ID!, $r: ID, $d: RunReviewDecision!, $n: String) { runReview(stack: $s, run: $r, decision: $d, note: $n) { id decision note } }`
	var rv struct{ RunReview struct{ Decision string } }
	c.ok(review, map[string]any{"s": id, "r": nil, "d": "REJECT", "n": "not now"}, &rv)
	if rv.RunReview.Decision != "REJECT" {
		t.Fatalf("review %+v", rv)
	}
	c.fails(review, map[string]any{"s": id, "r": proposed, "d": "APPROVE"}, "has already finished")
	var reviews struct {
		Stack struct {
			Run struct{ Reviews []struct{ Decision string } }
		}
	}
	c.ok(`query($s: ID!, $r: ID!) { stack(id: $s) { run(id: $r) { reviews { decision } } } }`, map[string]any{"s": id, "r": promoted.RunPromote.ID}, &reviews)
	if len(reviews.Stack.Run.Reviews) != 1 {
		t.Fatalf("reviews of the blocker: %+v", reviews)
	}

	const prioritize = `mutation($s: ID!, $r: ID!, $p: Boolean!) { runPrioritizeSet(stack: $s, run: $r, prioritize: $p) { isPrioritized } }`
	var pr struct{ RunPrioritizeSet struct{ IsPrioritized bool } }
	c.ok(prioritize, map[string]any{"s": id, "r": promoted.RunPromote.ID, "p": true}, &pr)
	if !pr.RunPrioritizeSet.IsPrioritized {
		t.Fatal("prioritized run not marked")
	}
	c.fails(prioritize, map[string]any{"s": id, "r": proposed, "p": true}, "only runs that have not finished")

	const task = `mutation($s: ID!, $c: String!, $n: Boolean) { taskCreate(stack: $s, command: $c, skipInitialization: $n) { id type command } }`
	var tk struct {
		TaskCreate struct{ ID, Type, Command string }
	}
	c.ok(task, map[string]any{"s": id, "c": "terraform state list", "n": true}, &tk)
	if tk.TaskCreate.Type != "TASK" || tk.TaskCreate.Command != "terraform state list" {
		t.Fatalf("task %+v", tk)
	}
	c.advanceTo(h, id, tk.TaskCreate.ID, "FINISHED")
	if got := historyOf(c.run(id, tk.TaskCreate.ID)); !slices.Equal(got, []string{"QUEUED", "READY", "PREPARING", "PERFORMING", "FINISHED"}) {
		t.Fatalf("task without initialization went %v", got)
	}
	c.fails(task, map[string]any{"s": id, "c": "  "}, "command: can't be empty")
}

func TestRunResourceStateAndStateDownload(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	id := c.createStack("State", nil)
	run := c.trigger(id, "TRACKED")
	var rrs struct {
		Stack struct {
			RunResourceState *struct {
				State    string
				Finished bool
			}
		}
	}
	c.ok(`query($s: ID!, $r: ID!) { stack(id: $s) { runResourceState(id: $r) { id state finished } } }`, map[string]any{"s": id, "r": run}, &rrs)
	if rrs.Stack.RunResourceState == nil || rrs.Stack.RunResourceState.State != "QUEUED" || rrs.Stack.RunResourceState.Finished {
		t.Fatalf("runResourceState %+v", rrs.Stack.RunResourceState)
	}

	var url struct {
		StateDownloadURL struct{ URL string } `json:"stateDownloadUrl"`
	}
	c.ok(`mutation($in: StateDownloadUrlInput!) { stateDownloadUrl(input: $in) { url } }`, map[string]any{"in": map[string]any{"stackId": id}}, &url)
	resp, err := http.Get(url.StateDownloadURL.URL)
	if err != nil {
		t.Fatal(err)
	}
	var state struct{ Version int }
	err = json.NewDecoder(resp.Body).Decode(&state)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || state.Version != 4 {
		t.Fatalf("state download: HTTP %d, %+v, %v", resp.StatusCode, state, err)
	}
	if resp, err := http.Get(strings.Replace(url.StateDownloadURL.URL, "signature=", "signature=x", 1)); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a tampered URL: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	h.Advance(stateURLTTL + time.Second)
	if resp, err := http.Get(url.StateDownloadURL.URL); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an expired URL: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestContextsThroughTheProviderMutations(t *testing.T) {
	h := newTestHarness(t)
	c := h.client(t)
	const create = `mutation($in: ContextInput!) { contextCreateV2(input: $in) { id name labels space hooks { beforeInit afterApply } } }`
	var made struct {
		ContextCreateV2 struct {
			ID    string
			Hooks struct{ BeforeInit, AfterApply []string }
		}
	}
	c.ok(create, map[string]any{"in": map[string]any{"name": "Shared Settings", "labels": []string{"autoattach:web"},
		"hooks": map[string]any{"beforeInit": []string{"tofu version"}}}}, &made)
	if made.ContextCreateV2.ID != "shared-settings" || !slices.Equal(made.ContextCreateV2.Hooks.BeforeInit, []string{"tofu version"}) ||
		made.ContextCreateV2.Hooks.AfterApply == nil {
		t.Fatalf("created %+v", made)
	}
	c.fails(create, map[string]any{"in": map[string]any{"name": "Shared Settings"}}, "already exists")
	ctxID := made.ContextCreateV2.ID
	c.ok(`mutation($c: ID!) { contextConfigAdd(context: $c, config: {id: "A", type: ENVIRONMENT_VARIABLE, value: "1", writeOnly: true}) { id value } }`, map[string]any{"c": ctxID}, nil)
	stack := c.createStack("Web", map[string]any{"labels": []string{"web"}})
	var env struct {
		Stack struct {
			AttachedContexts []struct {
				ContextID string
				Config    []struct {
					ID    string
					Value *string
				}
			}
		}
	}
	c.ok(`query($s: ID!) { stack(id: $s) { attachedContexts { contextId config { id value } } } }`, map[string]any{"s": stack}, &env)
	if len(env.Stack.AttachedContexts) != 1 || env.Stack.AttachedContexts[0].Config[0].Value != nil {
		t.Fatalf("autoattached context with a write-only value: %+v", env)
	}
	var upd struct{ ContextUpdateV2 struct{ Labels []string } }
	c.ok(`mutation($id: ID!, $in: ContextInput!) { contextUpdateV2(id: $id, input: $in) { labels } }`,
		map[string]any{"id": ctxID, "in": map[string]any{"name": "Shared Settings"}}, &upd)
	if len(upd.ContextUpdateV2.Labels) != 0 {
		t.Fatalf("update kept labels %v; it replaces them", upd.ContextUpdateV2.Labels)
	}
	var search struct {
		SearchContexts struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	c.ok(`{ searchContexts(input: {fullTextSearch: "shared"}) { edges { node { id } } } }`, nil, &search)
	if len(search.SearchContexts.Edges) != 1 {
		t.Fatalf("search found %+v", search)
	}
	c.ok(`mutation($c: ID!) { contextConfigDelete(context: $c, id: "A") { id } }`, map[string]any{"c": ctxID}, nil)
	var del struct{ ContextDelete *struct{ ID string } }
	c.ok(`mutation($id: ID!) { contextDelete(id: $id) { id } }`, map[string]any{"id": ctxID}, &del)
	c.ok(`mutation($id: ID!) { contextDelete(id: $id) { id } }`, map[string]any{"id": ctxID}, &del)
	if del.ContextDelete != nil {
		t.Fatal("deleting a missing context must answer null")
	}
}

func TestEmptyArgumentListsAreAccepted(t *testing.T) {
	h := newTestHarness(t)
	// The Terraform provider sends workerPools(), spaces() and policies().
	h.client(t).ok(`query WorkerPoolsRead { workerPools() { id config } spaces() { id } policies() { id } }`, nil, nil)
}
