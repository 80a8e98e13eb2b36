// Package adminstacktest walks the AdminStack controller's user stories
// against a local control plane. Only the AdminStack reconciler runs: child
// Stacks are not synced to Spacelift, and the tests play the Stack controller
// by patching child status; a stand-in releases the finalizer of a child being
// deleted, as the Stack controller does once its stack is handled. An
// in-process emulator answers the lookups of worker pool, space and context
// names.
package adminstacktest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/yaml"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/controllers"
	"github.com/stackwright/spacelift-operator/controllers/internal/envtestkit"
	"github.com/stackwright/spacelift-operator/internal/adminstack"
	"github.com/stackwright/spacelift-operator/internal/source"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/testenv"
)

var (
	k8s client.Client
	emu *emulator.Server
)

// credentialsNamespace holds the operator's default credentials Secret.
const credentialsNamespace = "spacelift-system"

const (
	syncInterval = 2 * time.Second
	waitTimeout  = 30 * time.Second
)

// TestMain runs the AdminStack reconciler, with the emulator's credentials as
// the operator's default Secret. Runs never start, so the emulator's
// scheduler does not run.
func TestMain(m *testing.M) {
	os.Exit(envtestkit.Run(m, envtestkit.Options{
		Namespaces:        []*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: credentialsNamespace}}},
		CredentialsSecret: types.NamespacedName{Namespace: credentialsNamespace, Name: "spacelift-credentials"},
		Setup:             setup,
	}))
}

// setup registers the AdminStack reconciler. The stories serve their Git
// repositories from the local disk.
func setup(s *envtestkit.Suite) error {
	k8s, emu = s.Client, s.Emulator
	r := &controllers.AdminStackReconciler{Client: s.Manager.GetClient(), Scheme: s.Scheme,
		Options:     controllers.Options{SyncInterval: syncInterval, MaxConcurrentReconciles: 2},
		Credentials: &controllers.Credentials{Reader: k8s, Cache: spacelift.NewClientCache(s.ClientOptions), Default: s.CredentialsSecret},
		Git:         source.NewGitWithOptions(source.GitOptions{MaxEntries: 16, AllowLocal: true})}
	if err := r.SetupWithManager(s.Manager); err != nil {
		return fmt.Errorf("adminstack reconciler: %w", err)
	}
	release := finalizerReleaser{s.Manager.GetClient()}
	if err := ctrl.NewControllerManagedBy(s.Manager).Named("finalizer-releaser").For(&spaceliftv1alpha1.Stack{}).Complete(release); err != nil {
		return fmt.Errorf("finalizer releaser: %w", err)
	}
	return nil
}

// finalizerReleaser plays the Stack controller at deletion: a Stack being
// deleted loses the operator's finalizer (the AdminStack writes it into the
// children it creates).
type finalizerReleaser struct{ client.Client }

func (f finalizerReleaser) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var s spaceliftv1alpha1.Stack
	if err := f.Get(ctx, req.NamespacedName, &s); err != nil || s.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if controllerutil.RemoveFinalizer(&s, spaceliftv1alpha1.Finalizer) {
		return ctrl.Result{}, client.IgnoreNotFound(f.Update(ctx, &s))
	}
	return ctrl.Result{}, nil
}

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ns := "as-" + hex.EncodeToString(b)
	if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	return ns
}

// repoPath is a path in the repository.
func repoPath(parts ...string) string {
	return filepath.Join(append([]string{testenv.RepoRoot()}, parts...)...)
}

// readSample decodes a sample manifest into obj, in namespace ns.
func readSample(t *testing.T, name string, obj client.Object, ns string) {
	t.Helper()
	data, err := os.ReadFile(repoPath("config", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, obj); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	obj.SetNamespace(ns)
}

// sampleConfigMaps builds the ConfigMaps that config/samples/atmos's
// kustomization generates: one per configMapGenerator entry, its files as keys.
func sampleConfigMaps(t *testing.T, ns string) []*corev1.ConfigMap {
	t.Helper()
	dir := repoPath("config", "samples", "atmos")
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		ConfigMapGenerator []struct {
			Name  string   `json:"name"`
			Files []string `json:"files"`
		} `json:"configMapGenerator"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	var out []*corev1.ConfigMap
	for _, g := range k.ConfigMapGenerator {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: g.Name, Namespace: ns}, Data: map[string]string{}}
		for _, f := range g.Files {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			cm.Data[filepath.Base(f)] = string(b)
		}
		out = append(out, cm)
	}
	return out
}

// createSampleSource creates the sample ConfigMaps in ns.
func createSampleSource(t *testing.T, ns string) {
	t.Helper()
	for _, cm := range sampleConfigMaps(t, ns) {
		create(t, cm)
	}
}

// sampleAdminStack is config/samples/spacelift_v1alpha1_adminstack.yaml in ns.
func sampleAdminStack(t *testing.T, ns string) *spaceliftv1alpha1.AdminStack {
	t.Helper()
	a := &spaceliftv1alpha1.AdminStack{}
	readSample(t, "spacelift_v1alpha1_adminstack.yaml", a, ns)
	return a
}

// createSamplePolicy creates the Policy the sample AdminStack attaches.
func createSamplePolicy(t *testing.T, ns string) {
	t.Helper()
	p := &spaceliftv1alpha1.Policy{}
	readSample(t, "spacelift_v1alpha1_policy.yaml", p, ns)
	create(t, p)
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	envtestkit.Create(t, k8s, obj)
}

// update changes an object with retries on conflict.
func update[T client.Object](t *testing.T, obj T, change func(T)) {
	t.Helper()
	envtestkit.Update(t, k8s, waitTimeout, obj, change)
}

// eventually retries f until it succeeds or the wait times out.
func eventually(t *testing.T, f func() error) {
	t.Helper()
	envtestkit.Eventually(t, waitTimeout, f)
}

// stacks returns the names of the Stacks in ns, sorted.
func stacks(t *testing.T, ns string) []spaceliftv1alpha1.Stack {
	t.Helper()
	var list spaceliftv1alpha1.StackList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items
}

func stackNames(t *testing.T, ns string) []string {
	t.Helper()
	var out []string
	for _, s := range stacks(t, ns) {
		out = append(out, s.Name)
	}
	return out
}

// waitForStacks waits until exactly the named Stacks exist in ns.
func waitForStacks(t *testing.T, ns string, want ...string) {
	t.Helper()
	sort.Strings(want)
	eventually(t, func() error {
		if got := stackNames(t, ns); fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("stacks = %v, want %v", got, want)
		}
		return nil
	})
}

// getAdminStack reads an AdminStack.
func getAdminStack(t *testing.T, ns, name string) *spaceliftv1alpha1.AdminStack {
	t.Helper()
	a := &spaceliftv1alpha1.AdminStack{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, a); err != nil {
		t.Fatal(err)
	}
	return a
}

// waitForCondition waits until the AdminStack's condition has the status,
// reason and message (any message when empty) for its current generation.
func waitForCondition(t *testing.T, ns, name, typ string, status metav1.ConditionStatus, reason, message string) *spaceliftv1alpha1.AdminStack {
	t.Helper()
	var a *spaceliftv1alpha1.AdminStack
	eventually(t, func() error {
		a = getAdminStack(t, ns, name)
		c := meta.FindStatusCondition(a.Status.Conditions, typ)
		switch {
		case c == nil:
			return fmt.Errorf("no %s condition", typ)
		case a.Status.ObservedGeneration != a.Generation:
			return fmt.Errorf("observedGeneration %d, generation %d", a.Status.ObservedGeneration, a.Generation)
		case c.Status != status || c.Reason != reason || (message != "" && c.Message != message):
			return fmt.Errorf("%s = %s/%s %q, want %s/%s %q", typ, c.Status, c.Reason, c.Message, status, reason, message)
		}
		return nil
	})
	return a
}

// childState is what the test, playing the Stack controller, reports for a
// child.
type childState struct {
	ready   bool
	drifted metav1.ConditionStatus // "" leaves Drifted unset
	id      string
}

// setChildStatus patches a child Stack's status the way the Stack
// controller would, for its current generation.
func setChildStatus(t *testing.T, ns, name string, st childState) {
	t.Helper()
	eventually(t, func() error {
		s := &spaceliftv1alpha1.Stack{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
			return err
		}
		before := s.DeepCopy()
		ready := metav1.ConditionFalse
		if st.ready {
			ready = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&s.Status.Conditions, metav1.Condition{Type: spaceliftv1alpha1.ConditionReady, Status: ready, Reason: "Test", Message: "set by the test"})
		if st.drifted != "" {
			meta.SetStatusCondition(&s.Status.Conditions, metav1.Condition{Type: spaceliftv1alpha1.ConditionDrifted, Status: st.drifted, Reason: "Test", Message: "set by the test"})
		}
		s.Status.ObservedGeneration = s.Generation
		s.Status.SpaceliftID = st.id
		return k8s.Status().Patch(context.Background(), s, client.MergeFrom(before))
	})
}

// childNames returns the names in status.children, with the pruneSkipped ones
// marked "(kept)".
func childNames(a *spaceliftv1alpha1.AdminStack) []string {
	var out []string
	for _, c := range a.Status.Children {
		n := c.Name
		if c.PruneSkipped {
			n += " (kept)"
		}
		out = append(out, n)
	}
	return out
}

// samplePlatChildren are the children of the sample AdminStack.
var samplePlatChildren = []string{
	"plat-ue2-dev-eks-cluster", "plat-ue2-dev-vpc",
	"plat-ue2-prod-aurora-postgres", "plat-ue2-prod-eks-cluster", "plat-ue2-prod-vpc",
	"plat-uw2-prod-vpc",
}

func withAdmin(children []string, admin string) []string {
	return append([]string{admin}, children...)
}

// labelOf is the admin-stack label value of an AdminStack named name.
func labelOf(name string) map[string]string {
	return map[string]string{adminstack.LabelAdminStack: name}
}
