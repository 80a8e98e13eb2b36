package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing/fstest"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

const (
	credentialsSecret = "spacelift-credentials"
	policyName        = "require-approval-for-deletes"
	adminName         = "bench-admin"
)

// Bench modes.
const (
	// modeStacks creates N plain Stack objects at once.
	modeStacks = "stacks"
	// modeAdminStack applies one AdminStack whose tree expands to N children.
	modeAdminStack = "adminstack"
)

// floorRequestsPerStack is the fewest Spacelift requests a new stack needs:
// one create that selects everything the operator observes, and one
// document carrying the stack's sub-resource writes (every stack the bench
// creates has some: an environment variable for plain Stacks; drift
// detection and a policy attachment for AdminStack children). It is the
// work's minimum, not what the operator happens to send.
const floorRequestsPerStack = 2

// sizeResult holds the figures of one run (one mode, one N). Durations are
// in seconds.
type sizeResult struct {
	Mode string `json:"mode"`
	N    int    `json:"n"`
	// Stacks is the number of new Stacks the run creates: N plain Stacks, or
	// N children and the admin stack's own Stack.
	Stacks int `json:"stacks"`
	// Source is how the AdminStack read the tree: "configmaps" or "git".
	Source string `json:"source,omitempty"`

	// ExpandSeconds is the median of three atmos.Expand runs over the tree
	// (AdminStack mode).
	ExpandSeconds float64 `json:"expandSeconds,omitempty"`

	// ReadySeconds is the time from the first create (the Stacks', or the
	// AdminStack's) to every Stack Ready for its generation;
	// AdminReadySeconds to the AdminStack's own Ready.
	ReadySeconds      float64 `json:"readySeconds"`
	AdminReadySeconds float64 `json:"adminReadySeconds,omitempty"`
	// StacksExistSeconds is when the last Stack object existed.
	StacksExistSeconds float64 `json:"stacksExistSeconds"`
	// CreateSeconds is how long the bench took to create the N plain Stack
	// objects (plain Stacks mode): part of ReadySeconds.
	CreateSeconds float64 `json:"createSeconds,omitempty"`

	// CPU seconds used until every Stack was Ready by the operator process
	// and by the emulator process (each its own process; the control plane
	// and the bench harness are not counted).
	OperatorCPUSeconds float64 `json:"operatorCPUSeconds"`
	EmulatorCPUSeconds float64 `json:"emulatorCPUSeconds"`
	// OperatorCPUMillisPerStack is OperatorCPUSeconds per new Stack, in ms.
	OperatorCPUMillisPerStack float64 `json:"operatorCPUMillisPerStack"`
	// The control plane's CPU seconds in the same window (the bench starts
	// its API server and etcd), the API server's per new Stack in ms, and
	// the share of the machine's cores that every process together kept
	// busy: near 1, the time to Ready is bound by the machine's CPU.
	APIServerCPUSeconds        float64 `json:"apiServerCPUSeconds"`
	EtcdCPUSeconds             float64 `json:"etcdCPUSeconds"`
	APIServerCPUMillisPerStack float64 `json:"apiServerCPUMillisPerStack"`
	MachineBusyShare           float64 `json:"machineBusyShare"`
	// CPUBreakdown splits the operator's CPU in the same window by the
	// part of its work, from a CPU profile (see cpuParts).
	CPUBreakdown []cpuShare `json:"cpuBreakdown,omitempty"`

	// Creation counts the Spacelift requests between the first create and
	// every Stack Ready. RequestsPerStack is Creation.Requests / Stacks;
	// RequestsOverFloor divides it by FloorRequestsPerStack.
	Creation              opSummary `json:"creation"`
	RequestsPerStack      float64   `json:"requestsPerStack"`
	FloorRequestsPerStack int       `json:"floorRequestsPerStack"`
	RequestsOverFloor     float64   `json:"requestsOverFloor"`
	// OperationsPerStack is Creation.ByOperation divided by Stacks.
	OperationsPerStack map[string]float64 `json:"operationsPerStack"`

	// Kubernetes writes of the operator in the same window (see
	// operatorStats), and per new Stack.
	KubeWrites       int64 `json:"kubeWrites"`
	KubeEmptyPatches int64 `json:"kubeEmptyPatches"`
	// KubeDryRuns are dry-run requests (the AdminStack's validation of its
	// children): not writes, reported apart.
	KubeDryRuns        int64            `json:"kubeDryRuns"`
	KubeWritesByKind   map[string]int64 `json:"kubeWritesByKind"`
	KubeWritesPerStack float64          `json:"kubeWritesPerStack"`

	// FloorSeconds is Stacks·2·L/C; ReadyOverFloor is ReadySeconds over it.
	FloorSeconds   float64 `json:"floorSeconds"`
	ReadyOverFloor float64 `json:"readyOverFloor"`
	// RateFloorSeconds is the least time the operator's Spacelift client
	// rate limit allows for Stacks·2 requests, (Stacks·2 − burst)/QPS: a
	// floor of its own when it exceeds FloorSeconds (not a target).
	RateFloorSeconds float64 `json:"rateFloorSeconds"`

	// Steady counts the Spacelift requests of one sync interval that starts
	// once everything is Ready; SteadyBudget is N/50 + 10.
	SteadyWindowSeconds float64   `json:"steadyWindowSeconds"`
	Steady              opSummary `json:"steady"`
	SteadyBudget        int       `json:"steadyBudget"`
	SteadyKubeWrites    int64     `json:"steadyKubeWrites"`
	// SteadyKubeEmptyPatches are patches with an empty body ("{}").
	SteadyKubeEmptyPatches int64 `json:"steadyKubeEmptyPatches"`
	// SteadyKubeWritesByKind counts SteadyKubeWrites by "VERB resource".
	SteadyKubeWritesByKind map[string]int64 `json:"steadyKubeWritesByKind,omitempty"`
	SteadyOperatorCPU      float64          `json:"steadyOperatorCPUSeconds"`

	// Later are the figures of the sync intervals after the first one
	// (-steady-intervals), for information: the targets use the first.
	Later []steadyInterval `json:"laterIntervals,omitempty"`

	// Timeline samples, every 5 seconds of the creation, how many Stacks
	// existed and how many were Ready.
	Timeline []timelinePoint `json:"timeline"`

	// LiveHeapBytes is the operator's heap right after a forced GC at the
	// end of the steady state: what it keeps, garbage excluded.
	LiveHeapBytes uint64 `json:"liveHeapBytes"`
	// Peaks of the operator process from its start (after its cache synced)
	// to the end of the steady state.
	PeakHeapInuseBytes uint64 `json:"peakHeapInuseBytes"`
	PeakHeapAllocBytes uint64 `json:"peakHeapAllocBytes"`
	PeakRSSBytes       uint64 `json:"peakRSSBytes"`

	// Error says why the run did not complete; figures after the failing
	// step are zero.
	Error string `json:"error,omitempty"`
}

// steadyInterval is one sync interval of steady state.
type steadyInterval struct {
	Requests         int            `json:"requests"`
	Writes           int            `json:"writes"`
	ByOperation      map[string]int `json:"byOperation"`
	KubeWrites       int64          `json:"kubeWrites"`
	KubeEmptyPatches int64          `json:"kubeEmptyPatches"`
	// KubeWritesByKind counts KubeWrites by "VERB resource".
	KubeWritesByKind map[string]int64 `json:"kubeWritesByKind,omitempty"`
	OperatorCPU      float64          `json:"operatorCPUSeconds"`
}

// timelinePoint is the state of the creation at one moment.
type timelinePoint struct {
	Seconds float64 `json:"seconds"`
	Exist   int     `json:"exist"`
	Ready   int     `json:"ready"`
}

// env is what every run shares: the control plane.
type env struct {
	cfg    *rest.Config
	scheme *runtime.Scheme
	k8s    client.Client
	// kubeconfig is the file the operator child connects with.
	kubeconfig string
}

// newEnv adds a user for the operator to the control plane and writes its
// kubeconfig into dir.
func newEnv(tenv *envtest.Environment, cfg *rest.Config, scheme *runtime.Scheme, k8s client.Client, dir string) (*env, error) {
	user, err := tenv.AddUser(envtest.User{Name: "spacelift-operator", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, fmt.Errorf("adding the operator's user: %w", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return nil, fmt.Errorf("writing the operator's kubeconfig: %w", err)
	}
	path := filepath.Join(dir, "operator.kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		return nil, fmt.Errorf("writing the operator's kubeconfig: %w", err)
	}
	return &env{cfg: cfg, scheme: scheme, k8s: k8s, kubeconfig: path}, nil
}

// sizeRun is one run while it runs: the emulator, the operator, the
// namespace and the bench's own watch of the Stacks.
type sizeRun struct {
	c      *benchConfig
	n      int
	r      *sizeResult
	k8s    client.Client
	emu    *emulatorProcess
	op     *operatorProcess
	ns     string
	src    *treeSource
	stacks *readiness
	// started is when the first object was created.
	started time.Time
}

// tag names the run's profiles.
func (s *sizeRun) tag() string { return fmt.Sprintf("%s-%d", s.r.Mode, s.n) }

// runSize measures one run end to end. It fills in r as it goes, so that a
// failure keeps the figures measured before it.
func (e *env) runSize(ctx context.Context, c *benchConfig, n int, r *sizeResult) error {
	r.Mode, r.N, r.SteadyBudget, r.FloorRequestsPerStack = c.mode, n, n/50+10, floorRequestsPerStack
	r.Stacks = n
	s := &sizeRun{c: c, n: n, r: r, k8s: e.k8s}
	var tree fstest.MapFS
	if c.mode == modeAdminStack {
		r.Stacks = n + 1
		tree = atmos.GenerateTree(n)
		d, err := expansionTime(tree, n)
		if err != nil {
			return err
		}
		r.ExpandSeconds = d.Seconds()
		logf("N=%d: atmos expansion %s", n, d.Round(time.Microsecond))
	}

	keyID, keySecret := "bench-key", randomHex(16)
	var err error
	if s.emu, err = startEmulator(c.latency, keyID, keySecret); err != nil {
		return err
	}
	defer s.emu.stop()
	s.ns = fmt.Sprintf("bench-%s-%d-%s", c.mode, n, randomHex(3))
	if c.mode == modeAdminStack {
		if s.src, err = newTreeSource(c.source, tree, s.ns); err != nil {
			return err
		}
		defer s.src.cleanup()
		r.Source = s.src.kind
	}
	if err := e.seed(ctx, s.ns, s.emu.url, keyID, keySecret, s.src); err != nil {
		return err
	}
	if s.stacks, err = e.trackReadiness(ctx, s.ns); err != nil {
		return err
	}
	defer s.stacks.stop()
	if s.op, err = startOperatorProcess(e.kubeconfig, s.ns, c); err != nil {
		return err
	}
	defer s.op.stop()
	defer func() {
		// Peaks from the operator's start to the end of the steady state.
		if st, err := s.op.stats(); err == nil {
			r.PeakHeapInuseBytes, r.PeakHeapAllocBytes, r.PeakRSSBytes = st.PeakHeapInuseBytes, st.PeakHeapAllocBytes, st.PeakRSSBytes
		}
	}()

	phases := []func(context.Context) error{s.op.resetMemoryPhase, s.measureCreation, s.measureSteadyState}
	if c.mode == modeAdminStack {
		phases = []func(context.Context) error{s.waitForPolicy, s.op.resetMemoryPhase, s.measureCreation, s.waitForAdminStack, s.measureSteadyState}
	}
	for _, phase := range phases {
		if err := phase(ctx); err != nil {
			return err
		}
	}
	// The peaks are recorded; a forced GC now shows what is kept.
	r.LiveHeapBytes, err = s.op.liveHeap(c.profileDir, s.tag())
	return err
}

// resetMemoryPhase restarts the operator's memory peaks, so that they cover
// the measured work only.
func (p *operatorProcess) resetMemoryPhase(context.Context) error { return p.resetMemory() }

// waitForPolicy waits until the Policy the children attach is Ready, so that
// its creation is not counted.
func (s *sizeRun) waitForPolicy(ctx context.Context) error {
	err := waitFor(ctx, time.Minute, func() (bool, error) {
		var p spaceliftv1alpha1.Policy
		if err := s.k8s.Get(ctx, types.NamespacedName{Namespace: s.ns, Name: policyName}, &p); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return meta.IsStatusConditionTrue(p.Status.Conditions, spaceliftv1alpha1.ConditionReady), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the Policy: %w", err)
	}
	return nil
}

// measureCreation creates the Stacks (or the AdminStack) and waits until
// every Stack is Ready, counting requests, writes and CPU on the way.
func (s *sizeRun) measureCreation(ctx context.Context) error {
	n, r := s.n, s.r
	if err := s.emu.clear(); err != nil {
		return err
	}
	if err := s.op.resetWrites(); err != nil {
		return err
	}
	// The creation is always profiled: its breakdown says where the
	// operator's CPU went. Without -profile-dir the profile is dropped.
	profileDir := s.c.profileDir
	if profileDir == "" {
		tmp, err := os.MkdirTemp("", "spacelift-bench-profile-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		profileDir = tmp
	}
	stopProfile, profile, err := s.op.startCPUProfile(profileDir, s.tag())
	if err != nil {
		return err
	}
	defer stopProfile()
	cpu0, emuCPU0 := s.op.cpu(), s.emu.cpu()
	meter := startCPUMeter()
	start := time.Now()
	s.started = start
	if s.c.mode == modeAdminStack {
		if err := s.k8s.Create(ctx, benchAdminStack(s.ns, s.src)); err != nil {
			return fmt.Errorf("creating the AdminStack: %w", err)
		}
	} else {
		if err := createPlainStacks(ctx, s.k8s, s.ns, n); err != nil {
			return err
		}
		r.CreateSeconds = time.Since(start).Seconds()
	}
	lastLog := start
	err = waitFor(ctx, s.c.timeout, func() (bool, error) {
		ready, total, lastReady, lastAdded := s.stacks.counts()
		el := time.Since(start)
		if total == r.Stacks && r.StacksExistSeconds == 0 {
			r.StacksExistSeconds = lastAdded.Sub(start).Seconds()
		}
		if len(r.Timeline) == 0 || el.Seconds() >= r.Timeline[len(r.Timeline)-1].Seconds+5 || ready == r.Stacks {
			r.Timeline = append(r.Timeline, timelinePoint{Seconds: el.Seconds(), Exist: total, Ready: ready})
		}
		if time.Since(lastLog) >= 15*time.Second {
			lastLog = time.Now()
			logf("%s N=%d: %d/%d Stacks exist, %d Ready after %s", r.Mode, n, total, r.Stacks, ready, el.Round(time.Second))
		}
		if total == r.Stacks && ready == r.Stacks {
			r.ReadySeconds = lastReady.Sub(start).Seconds()
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %d Stacks to be Ready: %w", r.Stacks, err)
	}
	r.OperatorCPUSeconds, r.EmulatorCPUSeconds = s.op.cpu()-cpu0, s.emu.cpu()-emuCPU0
	r.APIServerCPUSeconds, r.EtcdCPUSeconds, r.MachineBusyShare = meter.stop()
	stopProfile()
	if r.CPUBreakdown, err = cpuBreakdown(profile); err != nil {
		logf("%s N=%d: no CPU breakdown: %v", r.Mode, n, err)
	}
	st, err := s.op.stats()
	if err != nil {
		return err
	}
	r.KubeWrites, r.KubeEmptyPatches, r.KubeDryRuns, r.KubeWritesByKind = st.KubeWrites, st.KubeEmptyPatches, st.KubeDryRuns, st.KubeWritesByKind
	if r.Creation, err = s.emu.summary(); err != nil {
		return err
	}
	stacks := float64(r.Stacks)
	r.RequestsPerStack = float64(r.Creation.Requests) / stacks
	r.RequestsOverFloor = r.RequestsPerStack / floorRequestsPerStack
	r.OperationsPerStack = map[string]float64{}
	for op, k := range r.Creation.ByOperation {
		r.OperationsPerStack[op] = float64(k) / stacks
	}
	r.KubeWritesPerStack = float64(r.KubeWrites) / stacks
	r.OperatorCPUMillisPerStack = r.OperatorCPUSeconds * 1000 / stacks
	r.APIServerCPUMillisPerStack = r.APIServerCPUSeconds * 1000 / stacks
	r.FloorSeconds = stacks * floorRequestsPerStack * s.c.latency.Seconds() / float64(s.c.concurrency)
	r.ReadyOverFloor = r.ReadySeconds / r.FloorSeconds
	r.RateFloorSeconds = max(0, (stacks*floorRequestsPerStack-float64(s.c.burst))/s.c.qps)
	logf("%s N=%d: %d Stacks Ready in %.1fs (all existed after %.1fs; CPU %.1fs operator, %.1fs emulator, %.1fs API server, %.1fs etcd, machine %.0f%% busy); %d Spacelift requests (%.2f per stack), %d Kubernetes writes (%.2f per stack); per stack: %s",
		r.Mode, n, r.Stacks, r.ReadySeconds, r.StacksExistSeconds, r.OperatorCPUSeconds, r.EmulatorCPUSeconds,
		r.APIServerCPUSeconds, r.EtcdCPUSeconds, 100*r.MachineBusyShare, r.Creation.Requests, r.RequestsPerStack, r.KubeWrites, r.KubeWritesPerStack, perStackOperations(r.OperationsPerStack, 12))
	return nil
}

// createPlainStacks creates n plain Stacks at once (16 creates in flight).
func createPlainStacks(ctx context.Context, k8s client.Client, ns string, n int) error {
	const workers = 16
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := k8s.Create(ctx, plainStack(ns, i)); err != nil {
					errs <- fmt.Errorf("creating Stack %d: %w", i, err)
					return
				}
			}
		}()
	}
	var err error
loop:
	for i := range n {
		select {
		case next <- i:
		case err = <-errs:
			break loop
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

// plainStack is Stack i of the plain Stacks mode: settings and one
// environment variable, nothing else.
func plainStack(ns string, i int) *spaceliftv1alpha1.Stack {
	return &spaceliftv1alpha1.Stack{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-stack-%05d", i), Namespace: ns},
		Spec: spaceliftv1alpha1.StackSpec{
			Repository:  "acme/infrastructure",
			Branch:      "main",
			ProjectRoot: fmt.Sprintf("stacks/bench-%05d", i),
			Description: "Plain stack of the benchmark.",
			Terraform:   &spaceliftv1alpha1.TerraformVendor{Version: "1.9.8"},
			Environment: []spaceliftv1alpha1.EnvVar{{Name: "TF_VAR_index", Value: ptr.To(fmt.Sprint(i))}},
		},
	}
}

// waitForAdminStack waits until the AdminStack reports Ready.
func (s *sizeRun) waitForAdminStack(ctx context.Context) error {
	err := waitFor(ctx, s.c.timeout, func() (bool, error) {
		var a spaceliftv1alpha1.AdminStack
		if err := s.k8s.Get(ctx, types.NamespacedName{Namespace: s.ns, Name: adminName}, &a); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return a.Status.ObservedGeneration == a.Generation && meta.IsStatusConditionTrue(a.Status.Conditions, spaceliftv1alpha1.ConditionReady), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the AdminStack to be Ready: %w", err)
	}
	s.r.AdminReadySeconds = time.Since(s.started).Seconds()
	return nil
}

// measureSteadyState counts the requests and writes of the sync intervals
// that follow, the first one starting once everything is Ready.
func (s *sizeRun) measureSteadyState(ctx context.Context) error {
	r := s.r
	for i := 1; i <= s.c.steadyIntervals; i++ {
		if err := s.emu.clear(); err != nil {
			return err
		}
		if err := s.op.resetWrites(); err != nil {
			return err
		}
		cpu0 := s.op.cpu()
		start := time.Now()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.c.syncInterval):
		}
		sum, err := s.emu.summary()
		if err != nil {
			return err
		}
		st, err := s.op.stats()
		if err != nil {
			return err
		}
		iv := steadyInterval{Requests: sum.Requests, Writes: sum.Writes, ByOperation: sum.ByOperation,
			KubeWrites: st.KubeWrites, KubeEmptyPatches: st.KubeEmptyPatches, KubeWritesByKind: st.KubeWritesByKind, OperatorCPU: s.op.cpu() - cpu0}
		if i == 1 {
			r.SteadyWindowSeconds, r.Steady = time.Since(start).Seconds(), sum
			r.SteadyKubeWrites, r.SteadyKubeEmptyPatches, r.SteadyOperatorCPU = iv.KubeWrites, iv.KubeEmptyPatches, iv.OperatorCPU
			r.SteadyKubeWritesByKind = iv.KubeWritesByKind
		} else {
			r.Later = append(r.Later, iv)
		}
		logf("%s N=%d: steady state, interval %d of %s: %d requests, %d writes, %d Kubernetes writes (+%d empty patches) %v, %.1fs operator CPU: %s",
			r.Mode, s.n, i, s.c.syncInterval, iv.Requests, iv.Writes, iv.KubeWrites, iv.KubeEmptyPatches, st.KubeWritesByKind, iv.OperatorCPU, topOperations(iv.ByOperation, 12))
	}
	return nil
}

// expansionTime is the median of three expansions of tree, which must yield
// n records.
func expansionTime(tree fstest.MapFS, n int) (time.Duration, error) {
	var runs []time.Duration
	for range 3 {
		start := time.Now()
		recs, err := atmos.Expand(tree, atmos.Options{})
		d := time.Since(start)
		if err != nil {
			return 0, fmt.Errorf("expanding the generated tree of %d: %w", n, err)
		}
		if len(recs) != n {
			return 0, fmt.Errorf("the generated tree of %d expanded to %d records", n, len(recs))
		}
		runs = append(runs, d)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i] < runs[j] })
	return runs[1], nil
}

// seed creates the namespace and the credentials Secret, and for an
// AdminStack run the tree's ConfigMaps and the Policy the children attach.
func (e *env) seed(ctx context.Context, ns, endpoint, keyID, keySecret string, src *treeSource) error {
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: credentialsSecret, Namespace: ns}, StringData: map[string]string{
			spacelift.SecretKeyEndpoint: endpoint, spacelift.SecretKeyID: keyID, spacelift.SecretKeySecret: keySecret}},
	}
	if src != nil {
		objs = append(objs, &spaceliftv1alpha1.Policy{ObjectMeta: metav1.ObjectMeta{Name: policyName, Namespace: ns}, Spec: spaceliftv1alpha1.PolicySpec{
			Type: "PLAN", EngineType: "REGO_V1", Description: "Warns when a plan deletes resources.",
			Body: ptr.To("package spacelift\n\nwarn contains sprintf(\"%s is deleted\", [r.address]) if {\n  some r in input.terraform.resource_changes\n  \"delete\" in r.change.actions\n}\n")}})
		for _, cm := range src.configMaps {
			objs = append(objs, cm)
		}
	}
	for _, o := range objs {
		if err := e.k8s.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// benchAdminStack selects every instance of the tree, with the child settings
// of config/samples/spacelift_v1alpha1_adminstack.yaml.
func benchAdminStack(ns string, src *treeSource) *spaceliftv1alpha1.AdminStack {
	return &spaceliftv1alpha1.AdminStack{
		ObjectMeta: metav1.ObjectMeta{Name: adminName, Namespace: ns},
		Spec: spaceliftv1alpha1.AdminStackSpec{
			Source:        src.spec,
			Repository:    "acme/infrastructure",
			ComponentRoot: "components/terraform",
			AdminStack:    spaceliftv1alpha1.AdminStackSettings{Description: "Administrative stack of the benchmark tree."},
			ChildDefaults: spaceliftv1alpha1.ChildStackDefaults{
				Branch:                  "main",
				TerraformVersion:        "1.9.8",
				TerraformWorkflowTool:   "OPEN_TOFU",
				DriftDetection:          &spaceliftv1alpha1.DriftDetection{Enabled: true, Schedule: []spaceliftv1alpha1.CronSchedule{"0 4 * * *"}},
				NativeStackDependencies: true,
			},
			ChildPolicyAttachments: []spaceliftv1alpha1.PolicyReference{{Name: policyName}},
			Prune:                  true,
		},
	}
}

// trackReadiness starts the bench's own watch of the Stacks in ns (in the
// bench process, so that it costs the operator nothing).
func (e *env) trackReadiness(ctx context.Context, ns string) (*readiness, error) {
	c, err := cache.New(e.cfg, cache.Options{Scheme: e.scheme, DefaultNamespaces: map[string]cache.Config{ns: {}}})
	if err != nil {
		return nil, fmt.Errorf("creating the bench's cache: %w", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Start(cctx) }()
	rd := &readiness{ready: map[string]bool{}, stop: func() { cancel(); <-done }}
	inf, err := c.GetInformer(ctx, &spaceliftv1alpha1.Stack{})
	if err != nil {
		rd.stop()
		return nil, fmt.Errorf("watching Stacks: %w", err)
	}
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { rd.observe(o) },
		UpdateFunc: func(_, o any) { rd.observe(o) },
		DeleteFunc: func(o any) {
			if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = t.Obj
			}
			if st, ok := o.(*spaceliftv1alpha1.Stack); ok {
				rd.forget(st.Name)
			}
		},
	})
	if err != nil {
		rd.stop()
		return nil, fmt.Errorf("watching Stacks: %w", err)
	}
	sctx, scancel := context.WithTimeout(ctx, time.Minute)
	defer scancel()
	if !c.WaitForCacheSync(sctx) {
		rd.stop()
		return nil, fmt.Errorf("the bench's watch of Stacks did not sync within a minute")
	}
	return rd, nil
}

// readiness counts the Stacks of the run's namespace, and those Ready for
// their generation, from the bench's informer. A poll reads two numbers.
type readiness struct {
	mu     sync.Mutex
	ready  map[string]bool
	nReady int
	// lastReady and lastAdded are when a Stack last became Ready and when
	// one last appeared.
	lastReady, lastAdded time.Time
	// stop ends the watch.
	stop func()
}

func (rd *readiness) observe(o any) {
	st, ok := o.(*spaceliftv1alpha1.Stack)
	if !ok {
		return
	}
	ready := st.Status.ObservedGeneration == st.Generation && meta.IsStatusConditionTrue(st.Status.Conditions, spaceliftv1alpha1.ConditionReady)
	rd.mu.Lock()
	defer rd.mu.Unlock()
	was, known := rd.ready[st.Name]
	rd.ready[st.Name] = ready
	switch {
	case ready && !was:
		rd.nReady++
		rd.lastReady = time.Now()
	case !ready && was:
		rd.nReady--
	}
	if !known {
		rd.lastAdded = time.Now()
	}
}

func (rd *readiness) forget(name string) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.ready[name] {
		rd.nReady--
	}
	delete(rd.ready, name)
}

// counts returns how many Stacks are Ready and how many exist, and when the
// last one became Ready and the last one appeared (as the bench's watch saw
// them, not rounded to its poll).
func (rd *readiness) counts() (ready, total int, lastReady, lastAdded time.Time) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return rd.nReady, len(rd.ready), rd.lastReady, rd.lastAdded
}

// waitFor polls cond every 100ms until it is true, fails, or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not done after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
