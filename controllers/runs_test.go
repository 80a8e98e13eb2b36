package controllers

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/verifycmd"
	"github.com/stackwright/spacelift-operator/internal/webhook"
)

// runsOf waits until the emulator holds n runs of stack id.
func runsOf(t *testing.T, id string, n int) []emulator.RunInfo {
	t.Helper()
	var runs []emulator.RunInfo
	eventually(t, 20*time.Second, func() error {
		runs = emu.Runs(id)
		if len(runs) < n {
			return fmt.Errorf("%d runs of %s, want %d", len(runs), id, n)
		}
		return nil
	})
	return runs
}

// verifyWithPublishedKey runs `verify-run --metadata` with the public keys the
// operator published, as a private worker would.
func verifyWithPublishedKey(t *testing.T, metadata string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	eventually(t, 20*time.Second, func() error {
		var cm corev1.ConfigMap
		if err := k8s.Get(context.Background(), publicKeysCM, &cm); err != nil {
			return err
		}
		for name, pem := range cm.Data {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(pem), 0o600); err != nil {
				return err
			}
		}
		return nil
	})
	var out, errOut bytes.Buffer
	code := verifycmd.Run([]string{"--public-key-dir", dir, "--metadata", metadata}, nil, &out, &errOut)
	return code, out.String() + errOut.String()
}

func TestStackRunsCarrySignedMetadata(t *testing.T) {
	s := newStack("deployer", nil)
	create(t, s)
	defer deleteAndWaitGone(t, s)
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	if n := len(emu.Runs("deployer")); n != 0 {
		t.Fatalf("runs before any request: %d", n)
	}

	update(t, s, func() {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[spaceliftv1alpha1.AnnotationRunRequestedAt] = "2026-11-21T10:00:00Z"
	})
	run := runsOf(t, "deployer", 1)[0]
	if run.Type != "TRACKED" || len(run.UserProvidedMetadata) != 1 {
		t.Fatalf("run = %+v", run)
	}
	m, err := runmeta.Parse(run.UserProvidedMetadata[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Namespace != testNS || m.Name != "deployer" || m.Kind != "Stack" || m.StackID != "deployer" || m.RunType != "TRACKED" || m.Signature == "" || m.UID != string(s.UID) {
		t.Errorf("metadata = %+v", m)
	}
	code, msg := verifyWithPublishedKey(t, run.UserProvidedMetadata[0])
	if code != 0 || !strings.HasPrefix(msg, "verified: run metadata signed by key "+m.KeyID+" for default/deployer (TRACKED") {
		t.Errorf("verify-run exit %d: %s", code, msg)
	}
	eventually(t, 20*time.Second, func() error {
		if err := k8s.Get(context.Background(), keyOf(s), s); err != nil {
			return err
		}
		if lr := s.Status.LastRun; lr == nil || lr.ID != run.ID || s.Status.LastHandledRunRequest != "2026-11-21T10:00:00Z" {
			return fmt.Errorf("status.lastRun = %+v, handled %q", lr, s.Status.LastHandledRunRequest)
		}
		return nil
	})

	t.Run("confirm appends its own metadata entry", func(t *testing.T) {
		eventually(t, 20*time.Second, func() error {
			if st := emu.Runs("deployer")[0].State; st != "UNCONFIRMED" {
				return fmt.Errorf("run state %s", st)
			}
			return nil
		})
		update(t, s, func() { s.Annotations[spaceliftv1alpha1.AnnotationConfirmRun] = run.ID })
		eventually(t, 20*time.Second, func() error {
			r := emu.Runs("deployer")[0]
			if len(r.UserProvidedMetadata) != 2 {
				return fmt.Errorf("metadata entries: %d (state %s)", len(r.UserProvidedMetadata), r.State)
			}
			c, err := runmeta.Parse(r.UserProvidedMetadata[1])
			if err != nil || c.RunType != runmeta.RunTypeConfirm {
				return fmt.Errorf("confirm metadata %+v, err %v", c, err)
			}
			return nil
		})
	})

	t.Run("a new commitSHA triggers a tracked run of it", func(t *testing.T) {
		update(t, s, func() { s.Spec.CommitSHA = "0123456789abcdef0123456789abcdef01234567" })
		var fresh emulator.RunInfo
		for _, r := range runsOf(t, "deployer", 2) {
			if r.ID != run.ID {
				fresh = r
			}
		}
		if fresh.Type != "TRACKED" || len(fresh.UserProvidedMetadata) == 0 {
			t.Fatalf("new run = %+v", fresh)
		}
		m, err := runmeta.Parse(fresh.UserProvidedMetadata[0])
		if err != nil || m.CommitSHA != "0123456789abcdef0123456789abcdef01234567" {
			t.Errorf("metadata %+v, err %v", m, err)
		}
		time.Sleep(2 * syncInterval)
		if n := len(emu.Runs("deployer")); n != 2 {
			t.Errorf("runs after resyncs = %d, want 2 (a request is acted on once)", n)
		}
	})

	t.Run("forged metadata is rejected by the verifier", func(t *testing.T) {
		// Swap the token's claims for ones naming another object, keeping
		// the header and signature.
		m, err := runmeta.Parse(run.UserProvidedMetadata[0])
		if err != nil {
			t.Fatal(err)
		}
		m.Name, m.Signature = "intruder", ""
		claims, err := runmeta.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(run.UserProvidedMetadata[0], ".")
		forged := parts[0] + "." + strings.Split(claims, ".")[1] + "." + parts[2]
		if code, msg := verifyWithPublishedKey(t, forged); code != 1 || !strings.Contains(msg, "signature does not match") {
			t.Errorf("verify-run on forged metadata: exit %d: %s", code, msg)
		}
	})
}

func TestWebhookDeliveryEnqueuesStack(t *testing.T) {
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hook-secret", Namespace: testNS}, StringData: map[string]string{"hmac": webhookSecret}}
	create(t, secret)
	s := newStack("hooked", func(spec *spaceliftv1alpha1.StackSpec) {
		spec.DriftDetection = &spaceliftv1alpha1.DriftDetection{Enabled: true, Schedule: []spaceliftv1alpha1.CronSchedule{"0 0 * * *"}}
		spec.Webhooks = []spaceliftv1alpha1.Webhook{{Endpoint: receiverURL, Enabled: true, SecretRef: &spaceliftv1alpha1.KeySelector{Name: "hook-secret", Key: "hmac"}}}
	})
	create(t, s)
	defer deleteAndWaitGone(t, s)
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	hooks, err := sl.ListWebhooks(context.Background(), "hooked")
	if err != nil || len(hooks) != 1 || hooks[0].Endpoint != receiverURL {
		t.Fatalf("webhooks = %+v, err %v", hooks, err)
	}
	if _, err := emu.SeedDrift(emulator.DriftSeed{Stack: "hooked", Drifted: 1, RunDriftDetection: true, Entities: []emulator.SeedEntity{{Address: "aws_s3_bucket.b"}}}); err != nil {
		t.Fatal(err)
	}
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionDrifted, metav1.ConditionTrue, spaceliftv1alpha1.ReasonDriftDetected)
	eventually(t, 10*time.Second, func() error {
		n, err := testutil.GatherAndCount(webhookMetrics, "spacelift_webhook_requests_total")
		if err != nil {
			return err
		}
		mfs, _ := webhookMetrics.Gather()
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetValue() == webhook.OutcomeAccepted && m.GetCounter().GetValue() > 0 {
						return nil
					}
				}
			}
		}
		return fmt.Errorf("no accepted webhook delivery among %d series", n)
	})
}

func TestPlanStatus(t *testing.T) {
	many := make([]spacelift.ResourceChange, 0, 30)
	for i := range 30 {
		many = append(many, spacelift.ResourceChange{Address: fmt.Sprintf("null_resource.r%02d", 29-i), Type: spacelift.ResourceChangeAdd})
	}
	for _, tc := range []struct {
		name    string
		delta   spacelift.RunDelta
		changes []spacelift.ResourceChange
		want    spaceliftv1alpha1.PlanStatus
	}{
		{"no changes", spacelift.RunDelta{}, nil, spaceliftv1alpha1.PlanStatus{Summary: "+0 ~0 -0"}},
		{"counts and marked, sorted addresses", spacelift.RunDelta{AddCount: 2, ChangeCount: 1, DeleteCount: 1}, []spacelift.ResourceChange{
			{Address: "aws_vpc.main", Type: spacelift.ResourceChangeChange},
			{Address: "aws_subnet.b", Type: spacelift.ResourceChangeAdd},
			{Address: "aws_subnet.a", Type: spacelift.ResourceChangeAdd},
			{Address: "aws_route.old", Type: spacelift.ResourceChangeDelete},
		}, spaceliftv1alpha1.PlanStatus{Add: 2, Change: 1, Delete: 1, Summary: "+2 ~1 -1",
			Resources: []string{"+aws_subnet.a", "+aws_subnet.b", "-aws_route.old", "~aws_vpc.main"}}},
		{"the first 20 of many", spacelift.RunDelta{AddCount: 30}, many, spaceliftv1alpha1.PlanStatus{Add: 30, Summary: "+30 ~0 -0",
			Resources: func() []string {
				var out []string
				for i := range 20 {
					out = append(out, fmt.Sprintf("+null_resource.r%02d", i))
				}
				return out
			}()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(&tc.want, planStatus(&tc.delta, tc.changes)); diff != "" {
				t.Errorf("planStatus (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFirstSorted(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		n    int
		want []string
	}{
		{nil, 20, nil},
		{[]string{"b", "a", "b"}, 20, []string{"a", "b"}},
		{[]string{"c", "b", "a"}, 2, []string{"a", "b"}},
	} {
		if got := firstSorted(tc.in, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("firstSorted(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestStackPlanSummaries(t *testing.T) {
	s := newStack("planned", nil)
	create(t, s)
	defer deleteAndWaitGone(t, s)
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionReady, metav1.ConditionTrue, spaceliftv1alpha1.ReasonSucceeded)
	if _, err := emu.SeedDrift(emulator.DriftSeed{Stack: "planned", Entities: []emulator.SeedEntity{{Address: "aws_vpc.main"}, {Address: "aws_subnet.a"}}}); err != nil {
		t.Fatal(err)
	}
	annotate := func(key, value string) {
		t.Helper()
		update(t, s, func() {
			if s.Annotations == nil {
				s.Annotations = map[string]string{}
			}
			s.Annotations[key] = value
		})
	}

	// A stack that was never applied plans one addition in the emulator.
	annotate(spaceliftv1alpha1.AnnotationProposeRequestedAt, "2026-12-01T10:00:00Z")
	eventually(t, 30*time.Second, func() error {
		if err := k8s.Get(context.Background(), keyOf(s), s); err != nil {
			return err
		}
		p := s.Status.LastProposedRun
		if p == nil || p.State != "FINISHED" || p.Plan == nil || p.Plan.Summary != "+1 ~0 -0" || !slices.Equal(p.Plan.Resources, []string{"+null_resource.r2"}) {
			return fmt.Errorf("status.lastProposedRun %+v", p)
		}
		if lr := s.Status.LastRun; lr == nil || lr.ID != p.ID || lr.Plan == nil || lr.Plan.Summary != "+1 ~0 -0" {
			return fmt.Errorf("status.lastRun %+v", lr)
		}
		return nil
	})

	t.Run("a tracked run waiting for confirmation shows what it would change", func(t *testing.T) {
		if err := emu.SetNextPlan("planned", emulator.PlanSpec{AddCount: 2, ChangeCount: 1}); err != nil {
			t.Fatal(err)
		}
		annotate(spaceliftv1alpha1.AnnotationRunRequestedAt, "2026-12-01T11:00:00Z")
		eventually(t, 30*time.Second, func() error {
			if err := k8s.Get(context.Background(), keyOf(s), s); err != nil {
				return err
			}
			tr := s.Status.LastTrackedRun
			if tr == nil || tr.State != "UNCONFIRMED" || tr.Plan == nil || tr.Plan.Summary != "+2 ~1 -0" {
				return fmt.Errorf("status.lastTrackedRun %+v", tr)
			}
			if want := []string{"+null_resource.r2", "+null_resource.r3", "~aws_vpc.main"}; !slices.Equal(tr.Plan.Resources, want) {
				return fmt.Errorf("planned resources %q, want %q", tr.Plan.Resources, want)
			}
			return nil
		})

		// Approving that plan from Git names the run.
		annotate(spaceliftv1alpha1.AnnotationConfirmRun, s.Status.LastTrackedRun.ID)
		eventually(t, 30*time.Second, func() error {
			if err := k8s.Get(context.Background(), keyOf(s), s); err != nil {
				return err
			}
			if tr := s.Status.LastTrackedRun; tr == nil || tr.State != "FINISHED" || tr.Plan == nil || tr.Plan.Summary != "+2 ~1 -0" {
				return fmt.Errorf("status.lastTrackedRun %+v", tr)
			}
			return nil
		})
	})
}

func TestStackDriftAddresses(t *testing.T) {
	s := readyDriftDetectedStack(t, "drifty")
	if _, err := emu.SeedDrift(emulator.DriftSeed{Stack: "drifty", Drifted: 2, RunDriftDetection: true,
		Entities: []emulator.SeedEntity{{Address: "aws_vpc.main"}, {Address: "aws_subnet.a"}, {Address: "aws_subnet.b"}}}); err != nil {
		t.Fatal(err)
	}
	waitStackCondition(t, s, spaceliftv1alpha1.ConditionDrifted, metav1.ConditionTrue, spaceliftv1alpha1.ReasonDriftDetected)
	if d := s.Status.Drift; d == nil || !slices.Equal(d.Resources, []string{"aws_subnet.a", "aws_vpc.main"}) {
		t.Errorf("status.drift = %+v, want the drifted addresses aws_subnet.a and aws_vpc.main", d)
	}
}
