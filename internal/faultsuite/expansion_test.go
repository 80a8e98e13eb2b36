package faultsuite

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// children is the number of component instances the AdminStack expands:
// 500, or 100 when the race detector is on. With -race the operator's JSON
// work (the AdminStack controller hashes every child on each reconcile, the
// emulator rewrites its whole state file after each write) runs about four
// times slower, and 500 children take longer than a CI job allows on 2
// cores; the test says so in its log. Run it without -race for 500:
//
//	go test -count=1 ./internal/faultsuite
var children = childrenFor(raceDetector)

func childrenFor(race bool) int {
	if race {
		return 100
	}
	return 500
}

// expansionTimeout bounds the expansion under faults.
const expansionTimeout = 6 * time.Minute

// The share of requests the front fails while the children are created:
// 16% answered 503 and 4% held beyond the client's timeout, 20% in all.
var expansionFaults = Faults{ErrorRate: 0.16, StallRate: 0.04, Stall: clientTimeout + 500*time.Millisecond}

// lostAnswers are the non-idempotent writes whose first answers are lost
// after the emulator executed them, by operation name: stack creates, and
// documents of a stack's sub-resource changes (policy attachments,
// dependencies, webhooks and drift detection created together).
var lostAnswers = map[string]int{"StackCreate": 5, "StackChanges": 12}

// faultStep is a disruption made once the given number of Stacks is Ready.
type faultStep struct {
	at   int
	name string
	do   func(t *testing.T)
	// readyWhenRun is the Ready count when the step ran; -1 before.
	readyWhenRun int
}

// testExpansionUnderFaults expands 500 children while requests fail, stall
// and get rate limited, latency spikes, the operator restarts and the
// emulator restarts from its state file with a new API key. Afterwards
// Spacelift must hold exactly the 501 stacks (children and admin stack),
// each claimed by one Stack object, none deleted, and every object Ready.
func (s *suite) testExpansionUnderFaults(t *testing.T) {
	ctx := context.Background()
	mounts := s.createSourceAndPolicy(t)

	s.front.SetFaults(expansionFaults)
	// Besides the random stalls, lose the answers of the first few creates
	// of each kind, so that every "did my create happen?" path is taken.
	for op, n := range lostAnswers {
		s.front.LoseNext(op, n)
	}
	start := time.Now()
	if err := k8s.Create(ctx, s.adminStack(mounts)); err != nil {
		t.Fatal(err)
	}
	if raceDetector {
		t.Logf("race detector on: expanding %d children instead of 500; run without -race for the full size", children)
	}
	key2, secret2 := "faultsuite-key-2", randomHex(32)
	steps := s.faultSteps(key2, secret2)

	deadline := start.Add(expansionTimeout)
	for {
		ready, total, notReady := countReady(t)
		for _, st := range steps {
			if st.readyWhenRun < 0 && ready >= st.at {
				st.readyWhenRun = ready
				t.Logf("%5.1fs  %d/%d Ready: %s", time.Since(start).Seconds(), ready, children+1, st.name)
				st.do(t)
			}
		}
		if ready == children+1 && total == children+1 {
			break
		}
		if time.Now().After(deadline) {
			s.front.SetFaults(Faults{})
			t.Fatalf("after %s, %d of %d Stacks exist and %d are Ready; not Ready: %s", expansionTimeout, total, children+1, ready, notReady)
		}
		time.Sleep(500 * time.Millisecond)
	}
	stats := s.front.Stats()
	s.front.SetFaults(Faults{})
	t.Logf("%5.1fs  all %d Stacks Ready; faults off. Front: %+v", time.Since(start).Seconds(), children+1, stats)

	for _, st := range steps {
		if st.readyWhenRun < 0 || st.readyWhenRun >= children+1 {
			t.Errorf("step %q did not run during the expansion (Ready count %d)", st.name, st.readyWhenRun)
		}
	}
	injected := float64(stats.Failed+stats.StalledBefore+stats.StalledAfter) / float64(stats.Requests)
	if injected < 0.15 || injected > 0.25 || stats.StalledAfter == 0 || stats.StalledBefore == 0 {
		t.Errorf("injected faults into %.1f%% of %d requests (%+v), want about 20%% with stalls before and after the emulator", 100*injected, stats.Requests, stats)
	}

	if lost := s.front.Lost(); !maps.Equal(lost, lostAnswers) {
		t.Errorf("lost the answers of %v, want %v", lost, lostAnswers)
	}

	s.checkEverythingReady(t)
	// Before the checks below log in themselves.
	s.checkRotation(t, key2)
	s.checkNotRecreated(t)
	s.checkSpaceliftMatches(t, key2, secret2)
}

// createSourceAndPolicy creates the ConfigMaps of a generated tree of
// children instances and the Policy the children attach, waits until the
// Policy is Ready (before any fault) and returns the ConfigMap mounts.
func (s *suite) createSourceAndPolicy(t *testing.T) []spaceliftv1alpha1.ConfigMapMount {
	t.Helper()
	ctx := context.Background()
	var mounts []spaceliftv1alpha1.ConfigMapMount
	for _, cm := range treeConfigMaps(t, atmos.GenerateTree(children)) {
		if err := k8s.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
		mounts = append(mounts, spaceliftv1alpha1.ConfigMapMount{Name: cm.Name, Path: cm.Annotations["faultsuite/path"]})
	}
	policy := &spaceliftv1alpha1.Policy{ObjectMeta: metav1.ObjectMeta{Name: policyName, Namespace: namespace}, Spec: spaceliftv1alpha1.PolicySpec{
		Type: "PLAN", EngineType: "REGO_V1", Description: "Warns when a plan deletes resources.",
		Body: ptr.To("package spacelift\n\nwarn contains sprintf(\"%s is deleted\", [r.address]) if {\n  some r in input.terraform.resource_changes\n  \"delete\" in r.change.actions\n}\n")}}
	if err := k8s.Create(ctx, policy); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, time.Minute, "the Policy is Ready", func() (bool, string) {
		if err := view.Get(ctx, client.ObjectKeyFromObject(policy), policy); err != nil {
			return false, err.Error()
		}
		return meta.IsStatusConditionTrue(policy.Status.Conditions, spaceliftv1alpha1.ConditionReady), fmt.Sprint(policy.Status.Conditions)
	})
	return mounts
}

// faultSteps are the disruptions of the expansion, each made once a share
// of the Stacks is Ready; the rotation moves to the API key key2.
func (s *suite) faultSteps(key2, secret2 string) []*faultStep {
	at := func(percent int) int { return (children + 1) * percent / 100 }
	steps := []*faultStep{
		{at: at(10), name: "burst of 40 HTTP 429 with Retry-After: 1s", do: func(*testing.T) {
			s.emulator().FailNext(40, 429, time.Second)
		}},
		{at: at(20), name: "latency spike of 700ms for 3s (below the client timeout)", do: func(*testing.T) {
			s.latencySpike(700*time.Millisecond, 3*time.Second)
		}},
		{at: at(30), name: "operator restart", do: s.restartOperator},
		{at: at(40), name: "latency spike beyond the client timeout for 3s", do: func(*testing.T) {
			s.latencySpike(clientTimeout+500*time.Millisecond, 3*time.Second)
		}},
		{at: at(60), name: "emulator restart from its state file, API key rotated", do: func(t *testing.T) {
			s.rotate(t, key2, secret2)
		}},
		{at: at(70), name: "burst of 40 HTTP 429 with Retry-After: 1s", do: func(*testing.T) {
			s.emulator().FailNext(40, 429, time.Second)
		}},
	}
	for _, st := range steps {
		st.readyWhenRun = -1
	}
	return steps
}

// adminStack selects every instance of the tree, with the child settings of
// config/samples/spacelift_v1alpha1_adminstack.yaml and a webhook on every
// child that points at the operator's receiver.
func (s *suite) adminStack(mounts []spaceliftv1alpha1.ConfigMapMount) *spaceliftv1alpha1.AdminStack {
	return &spaceliftv1alpha1.AdminStack{
		ObjectMeta: metav1.ObjectMeta{Name: adminName, Namespace: namespace},
		Spec: spaceliftv1alpha1.AdminStackSpec{
			Source:        spaceliftv1alpha1.AtmosSource{ConfigMaps: mounts},
			Repository:    "acme/infrastructure",
			ComponentRoot: "components/terraform",
			ChildDefaults: spaceliftv1alpha1.ChildStackDefaults{
				Branch:                  "main",
				TerraformVersion:        "1.9.8",
				TerraformWorkflowTool:   "OPEN_TOFU",
				DriftDetection:          &spaceliftv1alpha1.DriftDetection{Enabled: true, Schedule: []spaceliftv1alpha1.CronSchedule{"0 4 * * *"}},
				NativeStackDependencies: true,
				Webhook: &spaceliftv1alpha1.Webhook{Endpoint: s.receiverURL, Enabled: true,
					SecretRef: &spaceliftv1alpha1.KeySelector{Name: webhookSecretNm, Key: webhookKey}},
			},
			ChildPolicyAttachments: []spaceliftv1alpha1.PolicyReference{{Name: policyName}},
			Prune:                  true,
		},
	}
}

// treeConfigMaps lays the tree out as one ConfigMap per directory, as
// config/samples/atmos does; the mount path is kept in an annotation.
func treeConfigMaps(t *testing.T, tree fstest.MapFS) []*corev1.ConfigMap {
	t.Helper()
	byDir := map[string]map[string]string{}
	for name, f := range tree {
		dir, file := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		if byDir[dir] == nil {
			byDir[dir] = map[string]string{}
		}
		byDir[dir][file] = string(f.Data)
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	if len(dirs) > 50 {
		t.Fatalf("the tree has %d directories, more than an AdminStack mounts", len(dirs))
	}
	var out []*corev1.ConfigMap
	for i, d := range dirs {
		out = append(out, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("atmos-%02d", i), Namespace: namespace,
			Annotations: map[string]string{"faultsuite/path": d}}, Data: byDir[d]})
	}
	return out
}

// latencySpike adds d to every request of the current emulator for dur.
func (s *suite) latencySpike(d, dur time.Duration) {
	emu := s.emulator()
	emu.SetLatency(d)
	time.AfterFunc(dur, func() { emu.SetLatency(0) })
}

// rotate restarts the emulator from its state file accepting only a new API
// key, and puts that key into the credentials Secret while Spacelift is
// unreachable: a real rotation of the key the operator uses. (The emulator
// accepts one key at a time, so the old key stops working the moment the
// new emulator starts; tokens minted for it stay valid until they expire.)
func (s *suite) rotate(t *testing.T, keyID, keySecret string) {
	if !s.front.Swap(nil, 30*time.Second) {
		t.Fatal("requests to the old emulator did not finish within 30s")
	}
	s.emuMu.Lock()
	s.closedOps = append(s.closedOps, s.emu.Operations()...)
	s.emuStop()
	s.emuMu.Unlock()

	err := retryOnConflict(func() error {
		var sec corev1.Secret
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: namespace, Name: credentialsName}, &sec); err != nil {
			return err
		}
		sec.Data[spacelift.SecretKeyID] = []byte(keyID)
		sec.Data[spacelift.SecretKeySecret] = []byte(keySecret)
		return k8s.Update(context.Background(), &sec)
	})
	if err != nil {
		t.Fatalf("rotating the credentials Secret: %v", err)
	}
	time.Sleep(time.Second) // Spacelift stays unreachable a little longer
	s.startEmulator(t, keyID, keySecret)
}

func retryOnConflict(f func() error) error {
	for range 10 {
		err := f()
		if !apierrors.IsConflict(err) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return f()
}

// countReady lists the Stacks and counts those Ready for their generation;
// notReady describes a few of the others.
func countReady(t *testing.T) (ready, total int, notReady string) {
	t.Helper()
	var list spaceliftv1alpha1.StackList
	if err := view.List(context.Background(), &list, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		t.Fatal(err)
	}
	var others []string
	for _, st := range list.Items {
		c := meta.FindStatusCondition(st.Status.Conditions, spaceliftv1alpha1.ConditionReady)
		if st.Status.ObservedGeneration == st.Generation && c != nil && c.Status == metav1.ConditionTrue {
			ready++
			continue
		}
		if len(others) < 5 {
			if c == nil {
				others = append(others, st.Name+" (no Ready condition)")
			} else {
				others = append(others, fmt.Sprintf("%s (%s: %s)", st.Name, c.Reason, c.Message))
			}
		}
	}
	return ready, len(list.Items), strings.Join(others, "; ")
}

// checkEverythingReady waits until every Stack, the Policy and the
// AdminStack are Ready for their current generation, faults off.
func (s *suite) checkEverythingReady(t *testing.T) {
	t.Helper()
	waitUntil(t, 2*time.Minute, "every object is Ready", func() (bool, string) {
		ready, total, notReady := countReady(t)
		if ready != children+1 || total != children+1 {
			return false, fmt.Sprintf("%d/%d Stacks Ready: %s", ready, total, notReady)
		}
		var a spaceliftv1alpha1.AdminStack
		if err := view.Get(context.Background(), types.NamespacedName{Namespace: namespace, Name: adminName}, &a); err != nil {
			return false, err.Error()
		}
		if a.Status.ObservedGeneration != a.Generation || !meta.IsStatusConditionTrue(a.Status.Conditions, spaceliftv1alpha1.ConditionReady) {
			return false, fmt.Sprintf("AdminStack: %v", a.Status.Conditions)
		}
		var p spaceliftv1alpha1.Policy
		if err := view.Get(context.Background(), types.NamespacedName{Namespace: namespace, Name: policyName}, &p); err != nil {
			return false, err.Error()
		}
		return meta.IsStatusConditionTrue(p.Status.Conditions, spaceliftv1alpha1.ConditionReady), fmt.Sprintf("Policy: %v", p.Status.Conditions)
	})
}

// checkSpaceliftMatches compares the emulator's stacks with the Stack
// objects: one stack per object, no other, and no stack ever deleted.
func (s *suite) checkSpaceliftMatches(t *testing.T, keyID, keySecret string) {
	t.Helper()
	sl, err := spacelift.New(spacelift.Credentials{Endpoint: s.endpoint, KeyID: keyID, KeySecret: keySecret},
		spacelift.Options{QPS: 500, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stacks, err := sl.SearchStacks(ctx)
	if err != nil {
		t.Fatalf("listing the emulator's stacks: %v", err)
	}
	var list spaceliftv1alpha1.StackList
	if err := k8s.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		t.Fatal(err)
	}
	claimed := map[string]string{} // Spacelift id → Stack object
	for _, st := range list.Items {
		id := st.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]
		switch {
		case id == "":
			t.Errorf("Stack %s has no Spacelift id", st.Name)
		case claimed[id] != "":
			t.Errorf("Stacks %s and %s both claim Spacelift stack %s", claimed[id], st.Name, id)
		default:
			claimed[id] = st.Name
		}
	}
	seen := map[string]bool{}
	for _, st := range stacks {
		seen[st.ID] = true
		owner, ok := claimed[st.ID]
		if !ok {
			t.Errorf("orphan or duplicate: Spacelift stack %s (%q) belongs to no Stack object", st.ID, st.Name)
			continue
		}
		if want := "k8s-owner:" + namespace + "/" + owner; !slices.Contains(st.Labels, want) {
			t.Errorf("Spacelift stack %s lacks the ownership label %s: %v", st.ID, want, st.Labels)
		}
	}
	for id, owner := range claimed {
		if !seen[id] {
			t.Errorf("Stack %s claims Spacelift stack %s, which does not exist", owner, id)
		}
	}
	if len(stacks) != children+1 {
		t.Errorf("the emulator holds %d stacks, want %d", len(stacks), children+1)
	}

	// No create whose answer was lost was repeated: one policy attachment,
	// one webhook, and the dependencies of the spec, each once.
	for _, obj := range list.Items {
		id := obj.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]
		var st *spacelift.Stack
		for i := range stacks {
			if stacks[i].ID == id {
				st = &stacks[i]
			}
		}
		if st == nil {
			continue // reported above
		}
		if want := len(obj.Spec.Webhooks); len(st.Webhooks) != want {
			t.Errorf("Spacelift stack %s has %d webhooks, want %d", id, len(st.Webhooks), want)
		}
		attached, err := sl.ListStackPolicies(ctx, id)
		if err != nil {
			t.Fatalf("listing the policies of %s: %v", id, err)
		}
		byPolicy := map[string]int{}
		for _, a := range attached {
			byPolicy[a.PolicyName]++
		}
		if want := len(obj.Spec.Policies); len(attached) != want || (want > 0 && byPolicy[policyName] != 1) {
			t.Errorf("Spacelift stack %s has the policy attachments %v, want %d (%s once)", id, byPolicy, want, policyName)
		}
		deps, err := sl.ListStackDependencies(ctx, id)
		if err != nil {
			t.Fatalf("listing the dependencies of %s: %v", id, err)
		}
		on := map[string]int{}
		for _, d := range deps {
			on[d.DependsOnStackID]++
		}
		if len(deps) != len(obj.Spec.Dependencies) || len(on) != len(deps) {
			t.Errorf("Spacelift stack %s depends on %v, want %d distinct stacks", id, on, len(obj.Spec.Dependencies))
		}
	}

	creates := 0
	for _, op := range s.operations() {
		if slices.Contains(op.Fields, "stackDelete") {
			t.Errorf("a stack was deleted: %s %v", op.Name, op.Variables)
		}
		if slices.Contains(op.Fields, "stackCreate") {
			creates++
		}
	}
	t.Logf("the emulator holds %d stacks; stackCreate was requested %d times (lost answers and retries included), stackDelete never", len(stacks), creates)
}

// checkNotRecreated checks that no Spacelift stack had to be created again:
// the restarted emulator kept every stack of its state file.
func (s *suite) checkNotRecreated(t *testing.T) {
	t.Helper()
	var events corev1.EventList
	if err := k8s.List(context.Background(), &events, client.InNamespace(namespace)); err != nil {
		t.Fatal(err)
	}
	warnings := map[string]int{}
	for _, e := range events.Items {
		if e.Reason == "Recreated" || e.Reason == spaceliftv1alpha1.ReasonAlreadyExists {
			t.Errorf("event %s on %s/%s: %s", e.Reason, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Message)
		}
		if e.Type == corev1.EventTypeWarning {
			warnings[e.Reason+": "+e.Message]++
		}
	}
	t.Logf("Warning events: %v", warnings)
	t.Logf("GraphQL errors the emulator answered with: %v", s.front.Errors())
}

// checkRotation checks that the operator moved to the new API key: the new
// emulator saw logins with it and none with the old one.
func (s *suite) checkRotation(t *testing.T, newKey string) {
	t.Helper()
	logins := map[string]int{}
	for _, op := range s.emulator().Operations() {
		if slices.Contains(op.Fields, "apiKeyUser") {
			id, _ := op.Variables["id"].(string)
			logins[id]++
		}
	}
	if logins[newKey] == 0 {
		t.Errorf("no login with the rotated API key after the rotation; logins by key: %v", logins)
	}
	for id, n := range logins {
		if id != newKey {
			t.Errorf("%d logins with the old API key %s after the rotation", n, id)
		}
	}
}

// waitUntil polls cond every 250ms until it holds or timeout passes.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting until %s: not after %s; %s", what, timeout, state)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
