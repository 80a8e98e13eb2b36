package policytest

import (
	"slices"
	"testing"
	"time"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/runmeta/runmetatest"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator/emulatortest"
)

// TestApprovalOfRunsRecordedByTheEmulator triggers runs through the
// operator's Spacelift client against the emulator, the way the Stack
// controller does (a token signed right before runTrigger, sent in the
// Spacelift-User-Provided-Run-Metadata header), and evaluates the APPROVAL
// sample on the input built from what the emulator recorded: the operator's
// run is approved, a forged or unsigned one is rejected.
func TestApprovalOfRunsRecordedByTheEmulator(t *testing.T) {
	epoch := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := emulatortest.Start(t, emulator.Options{Clock: emulator.FixedClock{T: epoch}, RunStepDuration: time.Second})
	id, secret := h.APIKey()
	c, err := spacelift.New(spacelift.Credentials{Endpoint: h.URL, KeyID: id, KeySecret: secret}, spacelift.Options{QPS: 1000, Burst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := c.CreateStack(ctx, spacelift.StackInput{Name: "network-prod", Repository: "infra", Branch: "main"},
		spacelift.CreateStackOptions{Slug: "network-prod"}); err != nil {
		t.Fatalf("creating stack: %v", err)
	}
	const commit = "0123456789abcdef0123456789abcdef01234567"
	token := func(m runmeta.Metadata, sign bool) string {
		m.Stamp(epoch)
		if sign {
			if err := runmeta.Sign(&m, runmetatest.TestPrivateKey()); err != nil {
				t.Fatal(err)
			}
		}
		s, err := runmeta.Encode(&m)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	claims := runmeta.Metadata{Namespace: "infra", Name: "network", UID: "6c3f…", Generation: 1, Kind: "Stack",
		StackID: "network-prod", CommitSHA: commit, RunType: runmeta.RunTypeTracked}
	signed := token(claims, true)
	forged := forge(t, signed, func(m *runmeta.Metadata) { m.Name = "payments" })

	approval := policies[0]
	q := prepare(t, approval)
	for _, tc := range []struct {
		name     string
		metadata string // "" sends no header
		approved bool
		reasons  []string
	}{
		{"triggered by the operator", signed, true, []string{}},
		{"forged", forged, false, []string{notVerified(0, runmeta.KeyID(runmetatest.TestPublicKey()))}},
		{"unsigned", token(claims, false), false, []string{unsigned(0)}},
		{"no metadata", "", false, []string{noMetadata}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []spacelift.CallOption
			if tc.metadata != "" {
				opts = append(opts, spacelift.WithRunMetadata(tc.metadata))
			}
			run, err := c.TriggerRun(ctx, "network-prod", spacelift.RunTypeTracked, commit, opts...)
			if err != nil {
				t.Fatalf("triggering: %v", err)
			}
			got, err := c.GetRun(ctx, "network-prod", run.ID)
			if err != nil {
				t.Fatalf("reading the run: %v", err)
			}
			var recorded []string
			for _, info := range h.Runs("network-prod") {
				if info.ID == run.ID {
					recorded = info.UserProvidedMetadata
				}
			}
			if want := slices.DeleteFunc([]string{tc.metadata}, func(s string) bool { return s == "" }); !slices.Equal(recorded, want) {
				t.Fatalf("emulator recorded metadata %q, want %q", recorded, want)
			}
			in := approval.input(runmetatest.Run{
				ID: got.ID, StackID: "network-prod", Commit: got.CommitSHA, Type: string(got.Type), State: string(got.State),
				CreatedAt: got.CreatedAt, UpdatedAt: got.CreatedAt, Metadata: recorded,
			})
			approved, reasons := evaluate(t, approval, q, in)
			if approved != tc.approved || !slices.Equal(reasons, tc.reasons) {
				t.Errorf("approved %v with reasons %q, want %v with %q", approved, reasons, tc.approved, tc.reasons)
			}
		})
	}
}
