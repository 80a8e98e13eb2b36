package adminstacktest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/controllers"
)

const (
	yes = metav1.ConditionTrue
	no  = metav1.ConditionFalse
	unk = metav1.ConditionUnknown
)

// The sample AdminStack over the sample ConfigMaps: a missing Policy stalls it
// without writing anything; once the Policy exists the children appear; their
// readiness and drift roll up; a ConfigMap edit changes the children.
func TestSampleOverConfigMaps(t *testing.T) {
	ns := newNamespace(t)
	createSampleSource(t, ns)
	create(t, sampleAdminStack(t, ns))

	waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionStalled, yes, spaceliftv1alpha1.ReasonInvalidSpec,
		"1 problem: Policy require-approval-for-deletes: does not exist; referenced by Stack plat-ue2-dev-eks-cluster, Stack plat-ue2-dev-vpc, Stack plat-ue2-prod-aurora-postgres and 3 more")
	a := waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionReady, no, spaceliftv1alpha1.ReasonInvalidSpec, "")
	if got := stackNames(t, ns); len(got) != 0 || a.Status.Selected != 0 || a.Status.SourceRevision != "" {
		t.Fatalf("a stalled AdminStack wrote %v (selected %d, revision %q)", got, a.Status.Selected, a.Status.SourceRevision)
	}

	createSamplePolicy(t, ns)
	waitForStacks(t, ns, withAdmin(samplePlatChildren, "plat-admin-admin")...)
	a = waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionReady, no, spaceliftv1alpha1.ReasonChildrenNotReady,
		"7 of 7 stacks are not Ready: admin stack plat-admin-admin, plat-ue2-dev-eks-cluster, plat-ue2-dev-vpc, plat-ue2-prod-aurora-postgres, plat-ue2-prod-eks-cluster and 2 more")
	waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionStalled, no, spaceliftv1alpha1.ReasonChildrenNotReady, "")
	waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionDrifted, unk, spaceliftv1alpha1.ReasonNotYetChecked, "")
	if a.Status.Selected != 6 || !strings.HasPrefix(a.Status.SourceRevision, "sha256:") || !slices.Equal(childNames(a), samplePlatChildren) {
		t.Errorf("status: selected %d, revision %q, children %v", a.Status.Selected, a.Status.SourceRevision, childNames(a))
	}

	// The children are what the admin-stack component would create.
	for _, s := range stacks(t, ns) {
		if s.Labels[spaceliftv1alpha1.GroupVersion.Group+"/admin-stack"] != "plat-admin" {
			t.Errorf("%s: labels %v", s.Name, s.Labels)
		}
		if ref := metav1.GetControllerOf(&s); ref == nil || ref.Kind != "AdminStack" || ref.Name != "plat-admin" || ref.UID != a.UID {
			t.Errorf("%s: controller %+v", s.Name, ref)
		}
		// They are created with what the Stack controller would otherwise
		// write before its create: the finalizer, the id (the slug of the
		// Spacelift name) and the link to the stack's page.
		id := s.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]
		if !slices.Contains(s.Finalizers, spaceliftv1alpha1.Finalizer) || id != s.Spec.Name ||
			!strings.HasSuffix(s.Annotations[controllers.AnnotationExternalLink], "/stack/"+id) {
			t.Errorf("%s: finalizers %v, annotations %v", s.Name, s.Finalizers, s.Annotations)
		}
	}
	eks := getStack(t, ns, "plat-ue2-prod-eks-cluster")
	wantLabels := []spaceliftv1alpha1.SpaceliftLabel{
		"deps:stacks/catalog/eks/defaults.yaml", "deps:stacks/mixins/region/us-east-2.yaml", "deps:stacks/mixins/stage/prod.yaml",
		"deps:stacks/orgs/acme/_defaults.yaml", "deps:stacks/orgs/acme/plat/_defaults.yaml",
		"folder:component/eks/cluster", "folder:plat/ue2/prod", "managed-by:plat-admin", "admin-stack-name:plat-admin",
	}
	if !slices.Equal(eks.Spec.Labels, wantLabels) {
		t.Errorf("eks labels = %q, want %q", eks.Spec.Labels, wantLabels)
	}
	if eks.Spec.Name != "plat-ue2-prod-eks-cluster" || eks.Spec.ProjectRoot != "components/terraform/eks/cluster" ||
		eks.Spec.Terraform == nil || eks.Spec.Terraform.Version != "1.9.8" || eks.Spec.Terraform.Workspace != "plat-ue2-prod" ||
		!eks.Spec.ProtectFromDeletion || len(eks.Spec.Dependencies) != 1 || eks.Spec.Dependencies[0].StackRef.Name != "plat-ue2-prod-vpc" {
		t.Errorf("eks spec = %+v", eks.Spec)
	}

	// Readiness and drift roll up.
	for i, name := range samplePlatChildren {
		drift := no
		if name == "plat-ue2-prod-vpc" {
			drift = yes
		}
		setChildStatus(t, ns, name, childState{ready: true, drifted: drift, id: fmt.Sprintf("child-%d", i)})
	}
	waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionReady, no, spaceliftv1alpha1.ReasonChildrenNotReady,
		"1 of 7 stacks are not Ready: admin stack plat-admin-admin")
	setChildStatus(t, ns, "plat-admin-admin", childState{ready: true, id: "plat-admin"})
	a = waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionReady, yes, spaceliftv1alpha1.ReasonSucceeded,
		"the admin stack and its 6 children are Ready")
	waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionReconciling, no, spaceliftv1alpha1.ReasonSucceeded, "")
	a = waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionDrifted, yes, spaceliftv1alpha1.ReasonDriftDetected,
		"1 child drifted: plat-ue2-prod-vpc")
	// Only the children needing attention are listed: here the drifted one.
	if a.Status.Ready != 6 || a.Status.Drifted != 1 || a.Status.SpaceliftID != "plat-admin" || len(a.Status.Children) != 1 ||
		a.Status.Children[0].Name != "plat-ue2-prod-vpc" || !a.Status.Children[0].Drifted {
		t.Errorf("status: ready %d, drifted %d, spaceliftID %q, children %+v", a.Status.Ready, a.Status.Drifted, a.Status.SpaceliftID, a.Status.Children)
	}

	// A ConfigMap edit is picked up: dev gets no EKS cluster.
	before := a.Status.SourceRevision
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "atmos-stacks-orgs-acme-plat-dev"}}
	update(t, cm, func(cm *corev1.ConfigMap) {
		cm.Data["us-east-2.yaml"] += "\n    eks/cluster:\n      metadata:\n        enabled: false\n"
	})
	waitForStacks(t, ns, withAdmin(slices.DeleteFunc(slices.Clone(samplePlatChildren), func(n string) bool { return n == "plat-ue2-dev-eks-cluster" }), "plat-admin-admin")...)
	eventually(t, func() error {
		a = getAdminStack(t, ns, "plat-admin")
		if a.Status.SourceRevision == before || a.Status.Selected != 5 {
			return fmt.Errorf("revision %q (before %q), selected %d", a.Status.SourceRevision, before, a.Status.Selected)
		}
		return nil
	})
}

// Changing the filters prunes the children that are no longer selected.
func TestFilterChangePrunes(t *testing.T) {
	ns, a := sampleChildrenWritten(t, nil)

	update(t, a, func(a *spaceliftv1alpha1.AdminStack) { a.Spec.ContextFilters.Stages = []string{"prod"} })
	prod := []string{"plat-ue2-prod-aurora-postgres", "plat-ue2-prod-eks-cluster", "plat-ue2-prod-vpc", "plat-uw2-prod-vpc"}
	waitForStacks(t, ns, withAdmin(prod, "plat-admin-admin")...)
	a = waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionReady, no, spaceliftv1alpha1.ReasonChildrenNotReady, "")
	if a.Status.Selected != 4 || !slices.Equal(childNames(a), prod) {
		t.Errorf("status: selected %d, children %v", a.Status.Selected, childNames(a))
	}
}

// With prune false, children no longer selected stay and are reported.
func TestPruneFalseKeepsAndReports(t *testing.T) {
	ns, a := sampleChildrenWritten(t, func(a *spaceliftv1alpha1.AdminStack) { a.Spec.Prune = false })

	update(t, a, func(a *spaceliftv1alpha1.AdminStack) { a.Spec.ContextFilters.Stages = []string{"prod"} })
	want := []string{
		"plat-ue2-dev-eks-cluster (kept)", "plat-ue2-dev-vpc (kept)",
		"plat-ue2-prod-aurora-postgres", "plat-ue2-prod-eks-cluster", "plat-ue2-prod-vpc", "plat-uw2-prod-vpc",
	}
	eventually(t, func() error {
		a = getAdminStack(t, ns, "plat-admin")
		if got := childNames(a); a.Status.ObservedGeneration != a.Generation || !slices.Equal(got, want) || a.Status.Selected != 4 {
			return fmt.Errorf("children %v, selected %d", got, a.Status.Selected)
		}
		return nil
	})
	time.Sleep(syncInterval) // another reconcile must not prune them either
	waitForStacks(t, ns, withAdmin(samplePlatChildren, "plat-admin-admin")...)
	// Kept children do not count towards readiness.
	for _, n := range withAdmin(samplePlatChildren[2:], "plat-admin-admin") {
		setChildStatus(t, ns, n, childState{ready: true})
	}
	waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionReady, yes, spaceliftv1alpha1.ReasonSucceeded, "")
	waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionDrifted, unk, spaceliftv1alpha1.ReasonNotYetChecked, "")
}

// A Git source is polled: a new commit changes the children and
// status.sourceRevision.
func TestGitSource(t *testing.T) {
	ns := newNamespace(t)
	createSamplePolicy(t, ns)
	repo := newSampleRepo(t)
	first := repo.commit(nil)

	a := sampleAdminStack(t, ns)
	a.Spec.Source = spaceliftv1alpha1.AtmosSource{Git: &spaceliftv1alpha1.GitSource{
		URL: "file://" + repo.dir, Ref: &spaceliftv1alpha1.GitRef{Branch: "main"}, Path: "infra/atmos",
		Interval: &metav1.Duration{Duration: time.Second},
	}}
	create(t, a)
	waitForStacks(t, ns, withAdmin(samplePlatChildren, "plat-admin-admin")...)
	eventually(t, func() error {
		if got := getAdminStack(t, ns, "plat-admin").Status.SourceRevision; got != first {
			return fmt.Errorf("sourceRevision = %q, want %s", got, first)
		}
		return nil
	})

	// Dev gets its database.
	second := repo.commit(map[string]string{"stacks/orgs/acme/plat/dev/us-east-2.yaml": `
import:
  - orgs/acme/plat/dev/_defaults
  - mixins/region/us-east-2
  - catalog/vpc
  - catalog/eks/cluster
  - catalog/aurora-postgres
`})
	waitForStacks(t, ns, withAdmin(append(slices.Clone(samplePlatChildren), "plat-ue2-dev-aurora-postgres"), "plat-admin-admin")...)
	eventually(t, func() error {
		a := getAdminStack(t, ns, "plat-admin")
		if a.Status.SourceRevision != second || a.Status.Selected != 7 {
			return fmt.Errorf("sourceRevision = %q, selected %d; want %s, 7", a.Status.SourceRevision, a.Status.Selected, second)
		}
		return nil
	})

	// A path that does not exist stalls it; the children stay.
	update(t, a, func(a *spaceliftv1alpha1.AdminStack) { a.Spec.Source.Git.Path = "nope" })
	waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionStalled, yes, spaceliftv1alpha1.ReasonSourceUnavailable, "")
	if n := len(stackNames(t, ns)); n != 8 {
		t.Errorf("%d stacks after the source broke, want the 8 there were", n)
	}
}

// A root AdminStack writes a child AdminStack per admin-stack component; each
// of those writes its own children; readiness rolls up through both levels.
func TestRootAdmin(t *testing.T) {
	ns := newNamespace(t)
	createSampleSource(t, ns)
	sample := sampleAdminStack(t, ns)
	root := &spaceliftv1alpha1.AdminStack{
		ObjectMeta: metav1.ObjectMeta{Name: "root", Namespace: ns},
		Spec: spaceliftv1alpha1.AdminStackSpec{
			Source:     sample.Spec.Source,
			RootAdmin:  true,
			Repository: "acme/infrastructure",
			Prune:      true,
		},
	}
	create(t, root)

	plat := "core-gbl-auto-admin-stack-plat"
	eventually(t, func() error {
		var list spaceliftv1alpha1.AdminStackList
		if err := k8s.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels(labelOf("root"))); err != nil {
			return err
		}
		if len(list.Items) != 1 || list.Items[0].Name != plat {
			return fmt.Errorf("child AdminStacks = %v", list.Items)
		}
		return nil
	})
	child := getAdminStack(t, ns, plat)
	if ref := metav1.GetControllerOf(child); ref == nil || ref.Name != "root" {
		t.Errorf("child controller = %+v", ref)
	}
	if !slices.Equal(child.Spec.ContextFilters.Tenants, []string{"plat"}) || child.Spec.Repository != "infrastructure" ||
		child.Spec.AdminStack.Name != plat || child.Spec.RootAdmin ||
		!slices.Contains(child.Spec.AdminStack.Labels, "depends-on:root") || !slices.Contains(child.Spec.AdminStack.Labels, "managed-by:root") {
		t.Errorf("child spec = %+v", child.Spec)
	}

	// The child AdminStack writes the plat tenant's stacks.
	waitForStacks(t, ns, append(withAdmin(samplePlatChildren, plat+"-admin"), "root-admin")...)
	vpc := getStack(t, ns, "plat-ue2-dev-vpc")
	if ref := metav1.GetControllerOf(&vpc); ref == nil || ref.Name != plat || !slices.Contains(vpc.Spec.Labels, spaceliftv1alpha1.SpaceliftLabel("managed-by:"+plat)) {
		t.Errorf("plat-ue2-dev-vpc: controller %+v, labels %v", ref, vpc.Spec.Labels)
	}
	if vpc.Spec.Repository != "infrastructure" {
		t.Errorf("plat-ue2-dev-vpc: repository %q, want the admin-stack component's vars.repository", vpc.Spec.Repository)
	}

	for _, n := range withAdmin(samplePlatChildren, plat+"-admin") {
		setChildStatus(t, ns, n, childState{ready: true, drifted: no})
	}
	waitForCondition(t, ns, plat, spaceliftv1alpha1.ConditionReady, yes, spaceliftv1alpha1.ReasonSucceeded, "")
	waitForCondition(t, ns, "root", spaceliftv1alpha1.ConditionReady, no, spaceliftv1alpha1.ReasonChildrenNotReady,
		"1 of 2 stacks are not Ready: admin stack root-admin")
	setChildStatus(t, ns, "root-admin", childState{ready: true, id: "root"})
	r := waitForCondition(t, ns, "root", spaceliftv1alpha1.ConditionReady, yes, spaceliftv1alpha1.ReasonSucceeded, "the admin stack and its 1 child are Ready")
	waitForCondition(t, ns, "root", spaceliftv1alpha1.ConditionDrifted, no, spaceliftv1alpha1.ReasonNoDrift, "")
	if r.Status.SpaceliftID != "root" || len(r.Status.Children) != 0 || r.Status.ReadyChildren != "1/1" {
		t.Errorf("root status = %+v", r.Status)
	}
}

func getStack(t *testing.T, ns, name string) spaceliftv1alpha1.Stack {
	t.Helper()
	var s spaceliftv1alpha1.Stack
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// sampleRepo is a Git repository holding config/samples/atmos at infra/atmos.
type sampleRepo struct {
	t    *testing.T
	dir  string
	repo *git.Repository
}

func newSampleRepo(t *testing.T) *sampleRepo {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}})
	if err != nil {
		t.Fatal(err)
	}
	src := repoPath("config", "samples", "atmos")
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, "infra", "atmos", rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return &sampleRepo{t: t, dir: dir, repo: repo}
}

// commit writes files (paths relative to infra/atmos), commits everything
// and returns the commit SHA.
func (r *sampleRepo) commit(files map[string]string) string {
	r.t.Helper()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(r.dir, "infra", "atmos", name), []byte(data), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		r.t.Fatal(err)
	}
	h, err := wt.Commit("change", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.com", When: time.Now()}})
	if err != nil {
		r.t.Fatal(err)
	}
	return h.String()
}

// sampleChildrenWritten creates the sample source, policy and AdminStack
// (changed by mutate, when set) in a new namespace and waits for the sample
// children and the admin stack to be written.
func sampleChildrenWritten(t *testing.T, mutate func(*spaceliftv1alpha1.AdminStack)) (string, *spaceliftv1alpha1.AdminStack) {
	t.Helper()
	ns := newNamespace(t)
	createSampleSource(t, ns)
	createSamplePolicy(t, ns)
	a := sampleAdminStack(t, ns)
	if mutate != nil {
		mutate(a)
	}
	create(t, a)
	waitForStacks(t, ns, withAdmin(samplePlatChildren, "plat-admin-admin")...)
	return ns, a
}

// stalledByInvalidChild writes the sample source with extra appended to
// the plat dev us-east-2 manifest, applies the sample AdminStack and waits
// for it to stall with InvalidSpec; it returns the namespace and the
// Stalled message.
func stalledByInvalidChild(t *testing.T, extra string) (string, string) {
	t.Helper()
	ns := newNamespace(t)
	createSamplePolicy(t, ns)
	for _, cm := range sampleConfigMaps(t, ns) {
		if cm.Name == "atmos-stacks-orgs-acme-plat-dev" {
			cm.Data["us-east-2.yaml"] += extra
		}
		create(t, cm)
	}
	create(t, sampleAdminStack(t, ns))
	a := waitForCondition(t, ns, "plat-admin", spaceliftv1alpha1.ConditionStalled, yes, spaceliftv1alpha1.ReasonInvalidSpec, "")
	return ns, meta.FindStatusCondition(a.Status.Conditions, spaceliftv1alpha1.ConditionStalled).Message
}

// A child the API server would reject stalls the AdminStack before any
// child is written, and fixed, every child is written: a drift-detection
// time zone the operator's own check names by its atmos setting, and a
// branch named with refs/heads/ that only the CRD schema's CEL rule refuses,
// named with the API server's wording.
func TestInvalidChildRejectedBeforeAnyWrite(t *testing.T) {
	for _, tc := range []struct {
		name, setting, bad, good, wantPrefix string
	}{
		{"the operator's check", "drift_detection_timezone", "not a zone", "Europe/Berlin",
			`1 problem: component "dns" in stack "plat-ue2-dev": settings.spacelift.drift_detection_timezone: Invalid value: "not a zone"`},
		{"the CRD schema", "branch", "refs/heads/main", "main",
			`1 problem: Stack/plat-ue2-dev-dns: spec.branch: Invalid value: "refs/heads/main": `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, msg := stalledByInvalidChild(t, "\n    dns:\n      settings:\n        spacelift:\n          "+tc.setting+": "+tc.bad+"\n")
			if !strings.HasPrefix(msg, tc.wantPrefix) {
				t.Errorf("Stalled message = %q", msg)
			}
			if got := stackNames(t, ns); len(got) != 0 {
				t.Fatalf("stacks written although one was invalid: %v", got)
			}
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "atmos-stacks-orgs-acme-plat-dev"}}
			update(t, cm, func(cm *corev1.ConfigMap) {
				cm.Data["us-east-2.yaml"] = strings.Replace(cm.Data["us-east-2.yaml"], tc.setting+": "+tc.bad, tc.setting+": "+tc.good, 1)
			})
			waitForStacks(t, ns, withAdmin(append(slices.Clone(samplePlatChildren), "plat-ue2-dev-dns"), "plat-admin-admin")...)
		})
	}
}
