package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/controllers"
	"github.com/stackwright/spacelift-operator/internal/atmos"
	"github.com/stackwright/spacelift-operator/internal/source"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

const (
	credentialsSecret = "spacelift-credentials"
	policyName        = "require-approval-for-deletes"
	adminName         = "bench-admin"
)

// sizeResult holds the figures of one tree size. Durations are in seconds.
type sizeResult struct {
	N int `json:"n"`
	// Stacks is the number of Stack objects expected: N children and the
	// admin stack's own Stack.
	Stacks int `json:"stacks"`
	// Source is how the AdminStack read the tree: "configmaps" or "git".
	Source string `json:"source"`

	// ExpandSeconds is the median of three atmos.Expand runs over the tree.
	ExpandSeconds float64 `json:"expandSeconds"`

	// ReadySeconds is the time from the AdminStack create to every Stack
	// Ready (observedGeneration current); AdminReadySeconds to the
	// AdminStack's own Ready.
	ReadySeconds      float64 `json:"readySeconds"`
	AdminReadySeconds float64 `json:"adminReadySeconds"`
	// StacksExistSeconds is when the last of the N+1 Stack objects existed:
	// the AdminStack controller's share of ReadySeconds.
	StacksExistSeconds float64 `json:"stacksExistSeconds"`
	// CPU seconds used until every Stack was Ready by this process (operator
	// and harness) and by the emulator process; the control plane's are not
	// counted. Against ReadySeconds they show whether the machine was busy.
	CreationCPUSeconds         float64 `json:"creationCPUSeconds"`
	CreationEmulatorCPUSeconds float64 `json:"creationEmulatorCPUSeconds"`

	// Creation counts the Spacelift requests between the AdminStack create
	// and every Stack Ready; RequestsPerChild is Creation.Total / N (k).
	Creation         opSummary `json:"creation"`
	RequestsPerChild float64   `json:"requestsPerChild"`
	// CreationKubeWrites counts the operator's create/update/patch/delete
	// requests to the Kubernetes API in the same window, except patches with
	// an empty body, counted in CreationKubeEmptyPatches.
	CreationKubeWrites       int64 `json:"creationKubeWrites"`
	CreationKubeEmptyPatches int64 `json:"creationKubeEmptyPatches"`

	// FloorSeconds is N·k·L/C; ReadyOverFloor is ReadySeconds/FloorSeconds.
	FloorSeconds   float64 `json:"floorSeconds"`
	ReadyOverFloor float64 `json:"readyOverFloor"`

	// Steady counts the Spacelift requests of one sync interval that starts
	// once everything is Ready; SteadyBudget is N/50 + 10.
	SteadyWindowSeconds float64   `json:"steadyWindowSeconds"`
	Steady              opSummary `json:"steady"`
	SteadyBudget        int       `json:"steadyBudget"`
	SteadyKubeWrites    int64     `json:"steadyKubeWrites"`
	// SteadyKubeEmptyPatches are patches with an empty body ("{}").
	SteadyKubeEmptyPatches int64 `json:"steadyKubeEmptyPatches"`

	// Later are the figures of the sync intervals after the first one
	// (-steady-intervals), for information: the targets use the first.
	Later []steadyInterval `json:"laterIntervals,omitempty"`

	// Timeline samples, every 5 seconds of the creation, how many Stacks
	// existed and how many were Ready.
	Timeline []timelinePoint `json:"timeline"`

	// LiveHeapBytes is HeapAlloc right after a forced GC at the end of the
	// steady state: what the operator keeps, garbage excluded.
	LiveHeapBytes uint64 `json:"liveHeapBytes"`
	// Peaks of this process (operator and harness) while this size ran.
	PeakHeapInuseBytes uint64 `json:"peakHeapInuseBytes"`
	PeakHeapAllocBytes uint64 `json:"peakHeapAllocBytes"`
	PeakRSSBytes       uint64 `json:"peakRSSBytes"`

	// Error says why the size did not complete; figures after the failing
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
}

// timelinePoint is the state of the creation at one moment.
type timelinePoint struct {
	Seconds float64 `json:"seconds"`
	Exist   int     `json:"exist"`
	Ready   int     `json:"ready"`
}

// kubeWriteCounter counts the mutating requests a rest.Config sends; a
// PATCH whose body is an empty JSON object changes nothing and is counted
// apart.
type kubeWriteCounter struct{ n, empty atomic.Int64 }

func (c *kubeWriteCounter) reset() { c.n.Store(0); c.empty.Store(0) }

type countingTransport struct {
	base http.RoundTripper
	c    *kubeWriteCounter
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodPatch:
		if isEmptyPatch(req) {
			t.c.empty.Add(1)
			break
		}
		t.c.n.Add(1)
	case http.MethodPost, http.MethodPut, http.MethodDelete:
		t.c.n.Add(1)
	}
	return t.base.RoundTrip(req)
}

func isEmptyPatch(req *http.Request) bool {
	if req.GetBody == nil || req.ContentLength > 16 {
		return false
	}
	body, err := req.GetBody()
	if err != nil {
		return false
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, 17))
	return err == nil && strings.TrimSpace(string(b)) == "{}"
}

// env is what every size shares: the control plane.
type env struct {
	cfg    *rest.Config
	scheme *runtime.Scheme
	k8s    client.Client
}

// sizeRun is one size while it runs: the emulator, the namespace, the
// operator's cache and its write counter.
type sizeRun struct {
	c      *benchConfig
	n      int
	r      *sizeResult
	k8s    client.Client
	emu    *emulatorProcess
	ns     string
	src    *treeSource
	view   client.Reader
	stacks *readiness
	writes *kubeWriteCounter
	// created is when the AdminStack was created.
	created time.Time
}

// runSize measures one tree size end to end. It fills in r as it goes, so
// that a failure keeps the figures measured before it.
func (e *env) runSize(ctx context.Context, c *benchConfig, n int, r *sizeResult) error {
	r.N, r.Stacks, r.SteadyBudget = n, n+1, n/50+10
	tree := atmos.GenerateTree(n)
	d, err := expansionTime(tree, n)
	if err != nil {
		return err
	}
	r.ExpandSeconds = d.Seconds()
	logf("N=%d: atmos expansion %s", n, d.Round(time.Microsecond))

	mem := startMemorySampler(100 * time.Millisecond)
	defer func() { r.PeakHeapInuseBytes, r.PeakHeapAllocBytes, r.PeakRSSBytes = mem.finish() }()
	s := &sizeRun{c: c, n: n, r: r, k8s: e.k8s, writes: &kubeWriteCounter{}}
	keyID, keySecret := "bench-key", randomHex(16)
	if s.emu, err = startEmulator(c.latency, keyID, keySecret); err != nil {
		return err
	}
	defer s.emu.stop()
	s.ns = fmt.Sprintf("bench-%d-%s", n, randomHex(3))
	if s.src, err = newTreeSource(c.source, tree, s.ns); err != nil {
		return err
	}
	defer s.src.cleanup()
	r.Source = s.src.kind
	if err := e.seed(ctx, s.ns, s.emu.url, keyID, keySecret, s.src); err != nil {
		return err
	}
	mgr, stopMgr, err := e.startOperator(ctx, c, s.ns, s.writes)
	if err != nil {
		return err
	}
	defer stopMgr()
	s.view = mgr.GetClient() // the operator's cache: reading it adds no API load
	if s.stacks, err = trackReadiness(ctx, mgr.GetCache()); err != nil {
		return err
	}

	for _, phase := range []func(context.Context) error{s.waitForPolicy, s.measureCreation, s.waitForAdminStack, s.measureSteadyState} {
		if err := phase(ctx); err != nil {
			return err
		}
	}
	// The peaks are recorded; a forced GC now shows what is kept.
	r.LiveHeapBytes, err = liveHeap(c.profileDir, n)
	return err
}

// waitForPolicy waits until the Policy the children attach is Ready, so that
// its creation is not counted.
func (s *sizeRun) waitForPolicy(ctx context.Context) error {
	err := waitFor(ctx, time.Minute, func() (bool, error) {
		var p spaceliftv1alpha1.Policy
		if err := s.view.Get(ctx, types.NamespacedName{Namespace: s.ns, Name: policyName}, &p); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return meta.IsStatusConditionTrue(p.Status.Conditions, spaceliftv1alpha1.ConditionReady), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the Policy: %w", err)
	}
	return nil
}

// measureCreation creates the AdminStack and waits until every Stack is
// Ready, counting requests, writes and CPU on the way.
func (s *sizeRun) measureCreation(ctx context.Context) error {
	n, r := s.n, s.r
	if err := s.emu.clear(); err != nil {
		return err
	}
	s.writes.reset()
	stopProfile, err := startCPUProfile(s.c.profileDir, n)
	if err != nil {
		return err
	}
	defer stopProfile()
	cpu0, emuCPU0 := selfCPU(), processCPU(s.emu.cmd.Process.Pid)
	start := time.Now()
	s.created = start
	if err := s.k8s.Create(ctx, benchAdminStack(s.ns, s.src)); err != nil {
		return fmt.Errorf("creating the AdminStack: %w", err)
	}
	lastLog := start
	err = waitFor(ctx, s.c.timeout, func() (bool, error) {
		ready, total := s.stacks.counts()
		el := time.Since(start)
		if total == n+1 && r.StacksExistSeconds == 0 {
			r.StacksExistSeconds = el.Seconds()
		}
		if len(r.Timeline) == 0 || el.Seconds() >= r.Timeline[len(r.Timeline)-1].Seconds+5 || ready == n+1 {
			r.Timeline = append(r.Timeline, timelinePoint{Seconds: el.Seconds(), Exist: total, Ready: ready})
		}
		if time.Since(lastLog) >= 15*time.Second {
			lastLog = time.Now()
			logf("N=%d: %d/%d Stacks exist, %d Ready after %s", n, total, n+1, ready, el.Round(time.Second))
		}
		return total == n+1 && ready == n+1, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %d Stacks to be Ready: %w", n+1, err)
	}
	r.ReadySeconds = time.Since(start).Seconds()
	r.CreationCPUSeconds, r.CreationEmulatorCPUSeconds = selfCPU()-cpu0, processCPU(s.emu.cmd.Process.Pid)-emuCPU0
	stopProfile()
	r.CreationKubeWrites, r.CreationKubeEmptyPatches = s.writes.n.Load(), s.writes.empty.Load()
	if r.Creation, err = s.emu.summary(); err != nil {
		return err
	}
	r.RequestsPerChild = float64(r.Creation.Total) / float64(n)
	r.FloorSeconds = float64(n) * r.RequestsPerChild * s.c.latency.Seconds() / float64(s.c.concurrency)
	if r.FloorSeconds > 0 {
		r.ReadyOverFloor = r.ReadySeconds / r.FloorSeconds
	}
	logf("N=%d: %d Stacks Ready in %.1fs (all existed after %.1fs; CPU %.0fs operator, %.0fs emulator); %d Spacelift requests (k=%.1f): %s",
		n, n+1, r.ReadySeconds, r.StacksExistSeconds, r.CreationCPUSeconds, r.CreationEmulatorCPUSeconds,
		r.Creation.Total, r.RequestsPerChild, topOperations(r.Creation.ByOperation, 12))
	return nil
}

// waitForAdminStack waits until the AdminStack reports Ready.
func (s *sizeRun) waitForAdminStack(ctx context.Context) error {
	err := waitFor(ctx, s.c.timeout, func() (bool, error) {
		var a spaceliftv1alpha1.AdminStack
		if err := s.view.Get(ctx, types.NamespacedName{Namespace: s.ns, Name: adminName}, &a); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return a.Status.ObservedGeneration == a.Generation && meta.IsStatusConditionTrue(a.Status.Conditions, spaceliftv1alpha1.ConditionReady), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the AdminStack to be Ready: %w", err)
	}
	s.r.AdminReadySeconds = time.Since(s.created).Seconds()
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
		s.writes.reset()
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
		iv := steadyInterval{Requests: sum.Total, Writes: sum.Writes, ByOperation: sum.ByOperation,
			KubeWrites: s.writes.n.Load(), KubeEmptyPatches: s.writes.empty.Load()}
		if i == 1 {
			r.SteadyWindowSeconds, r.Steady = time.Since(start).Seconds(), sum
			r.SteadyKubeWrites, r.SteadyKubeEmptyPatches = iv.KubeWrites, iv.KubeEmptyPatches
		} else {
			r.Later = append(r.Later, iv)
		}
		logf("N=%d: steady state, interval %d of %s: %d requests, %d writes, %d Kubernetes writes (+%d empty patches): %s", s.n, i,
			s.c.syncInterval, iv.Requests, iv.Writes, iv.KubeWrites, iv.KubeEmptyPatches, topOperations(iv.ByOperation, 12))
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

// seed creates the namespace, the credentials Secret, the tree's ConfigMaps
// and the Policy the children attach.
func (e *env) seed(ctx context.Context, ns, endpoint, keyID, keySecret string, src *treeSource) error {
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: credentialsSecret, Namespace: ns}, StringData: map[string]string{
			spacelift.SecretKeyEndpoint: endpoint, spacelift.SecretKeyID: keyID, spacelift.SecretKeySecret: keySecret}},
		&spaceliftv1alpha1.Policy{ObjectMeta: metav1.ObjectMeta{Name: policyName, Namespace: ns}, Spec: spaceliftv1alpha1.PolicySpec{
			Type: "PLAN", EngineType: "REGO_V1", Description: "Warns when a plan deletes resources.",
			Body: ptr.To("package spacelift\n\nwarn contains sprintf(\"%s is deleted\", [r.address]) if {\n  some r in input.terraform.resource_changes\n  \"delete\" in r.change.actions\n}\n")}},
	}
	for _, cm := range src.configMaps {
		objs = append(objs, cm)
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

// startOperator starts a manager running every reconciler, its cache limited
// to ns, its Kubernetes writes counted. The returned function stops it.
func (e *env) startOperator(ctx context.Context, c *benchConfig, ns string, writes *kubeWriteCounter) (ctrl.Manager, func(), error) {
	cfg := rest.CopyConfig(e.cfg)
	cfg.QPS, cfg.Burst = 500, 1000 // the control plane is not what is measured
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{base: rt, c: writes} })
	// Each size gets a manager as a new process would: its own controller
	// names and metrics registry.
	ctrlmetrics.Registry = prometheus.NewRegistry()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 e.scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("creating the manager: %w", err)
	}
	metrics, err := spacelift.NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		return nil, nil, err
	}
	deps := controllers.Dependencies{Credentials: &controllers.Credentials{
		Reader:  mgr.GetClient(),
		Cache:   spacelift.NewClientCache(spacelift.Options{QPS: c.qps, Burst: c.burst, Metrics: metrics}),
		Default: types.NamespacedName{Namespace: ns, Name: credentialsSecret},
	},
		// A Git source is a repository on the local disk (see gitSource).
		Git: source.NewGitWithOptions(source.GitOptions{MaxEntries: 64, AllowLocal: true}),
	}
	if err := controllers.SetupAll(mgr, controllers.Options{SyncInterval: c.syncInterval, MaxConcurrentReconciles: c.concurrency}, deps); err != nil {
		return nil, nil, fmt.Errorf("setting up the controllers: %w", err)
	}
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			logf("manager: %v", err)
		}
	}
	sctx, scancel := context.WithTimeout(ctx, time.Minute)
	defer scancel()
	if !mgr.GetCache().WaitForCacheSync(sctx) {
		stop()
		return nil, nil, errors.New("the operator's cache did not sync within a minute")
	}
	return mgr, stop, nil
}

// readiness counts the Stacks of the operator's namespace, and those Ready
// for their generation, from the operator's informer. A poll reads two
// numbers: listing thousands of Stacks four times a second would add
// garbage to the very heap the bench measures.
type readiness struct {
	mu    sync.Mutex
	ready map[string]bool
}

func trackReadiness(ctx context.Context, c cache.Cache) (*readiness, error) {
	inf, err := c.GetInformer(ctx, &spaceliftv1alpha1.Stack{})
	if err != nil {
		return nil, fmt.Errorf("watching Stacks: %w", err)
	}
	rd := &readiness{ready: map[string]bool{}}
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { rd.observe(o) },
		UpdateFunc: func(_, o any) { rd.observe(o) },
		DeleteFunc: func(o any) {
			if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = t.Obj
			}
			if st, ok := o.(*spaceliftv1alpha1.Stack); ok {
				rd.mu.Lock()
				delete(rd.ready, st.Name)
				rd.mu.Unlock()
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("watching Stacks: %w", err)
	}
	return rd, nil
}

func (rd *readiness) observe(o any) {
	st, ok := o.(*spaceliftv1alpha1.Stack)
	if !ok {
		return
	}
	ready := st.Status.ObservedGeneration == st.Generation && meta.IsStatusConditionTrue(st.Status.Conditions, spaceliftv1alpha1.ConditionReady)
	rd.mu.Lock()
	rd.ready[st.Name] = ready
	rd.mu.Unlock()
}

// counts returns how many Stacks are Ready and how many exist.
func (rd *readiness) counts() (ready, total int) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	for _, r := range rd.ready {
		if r {
			ready++
		}
	}
	return ready, len(rd.ready)
}

// waitFor polls cond every 250ms until it is true, fails, or timeout passes.
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
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
