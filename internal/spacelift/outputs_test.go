package spacelift

import (
	"slices"
	"testing"

	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
)

func TestEmulatorStackOutputs(t *testing.T) {
	h, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app")
	if err := h.Seed(emulator.Seed{Outputs: []emulator.SeedOutput{
		{Stack: "app", ID: "vpc_id", Value: "vpc-123"},
		{Stack: "app", ID: "db_password", Value: "hunter2", Sensitive: true},
	}}); err != nil {
		t.Fatal(err)
	}
	outs, err := c.GetStackOutputs(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]StackOutput{}
	for _, o := range outs {
		byID[o.ID] = o
	}
	if v := byID["vpc_id"]; v.Sensitive || v.Value == nil || *v.Value != "vpc-123" {
		t.Errorf("vpc_id = %+v", v)
	}
	if p := byID["db_password"]; !p.Sensitive || p.Value != nil {
		t.Errorf("db_password = %+v, want sensitive without a value", p)
	}
	if _, err := c.GetStackOutputs(ctx, "nope"); !IsNotFound(err) {
		t.Errorf("outputs of a missing stack: %v", err)
	}
}

func TestEmulatorRunChangesAndLatestRuns(t *testing.T) {
	h, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app")
	if _, err := h.SeedDrift(emulator.DriftSeed{Stack: "app", Entities: []emulator.SeedEntity{
		{Address: "aws_vpc.main"}, {Address: "aws_subnet.a"},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := h.SetNextPlan("app", emulator.PlanSpec{AddCount: 1, ChangeCount: 1, DeleteCount: 1}); err != nil {
		t.Fatal(err)
	}
	run, err := c.TriggerRun(ctx, "app", RunTypeTracked, "")
	if err != nil {
		t.Fatal(err)
	}
	advanceUntil(t, h, "the run reaching UNCONFIRMED", func() bool {
		r, err := c.GetRun(ctx, "app", run.ID)
		return err == nil && r.State == RunStateUnconfirmed
	})
	changes, err := c.GetRunChanges(ctx, "app", run.ID)
	if err != nil {
		t.Fatal(err)
	}
	types := map[ResourceChangeType]int{}
	for _, ch := range changes {
		if ch.Address == "" {
			t.Errorf("change without an address: %+v", ch)
		}
		types[ch.Type]++
	}
	if types[ResourceChangeAdd] != 1 || types[ResourceChangeChange] != 1 || types[ResourceChangeDelete] != 1 {
		t.Errorf("changes %+v", changes)
	}
	if _, err := c.GetRunChanges(ctx, "app", "nope"); !IsNotFound(err) {
		t.Errorf("changes of a missing run: %v", err)
	}

	proposed, err := c.TriggerRun(ctx, "app", RunTypeProposed, "")
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.SearchStackSnapshotPage(ctx, SearchInput{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("snapshots %+v, %v", page, err)
	}
	snap := page.Items[0]
	if snap.LatestTrackedRun == nil || snap.LatestTrackedRun.ID != run.ID || snap.LatestTrackedRun.Delta == nil {
		t.Errorf("latest tracked run %+v", snap.LatestTrackedRun)
	}
	if snap.LatestProposedRun == nil || snap.LatestProposedRun.ID != proposed.ID {
		t.Errorf("latest proposed run %+v", snap.LatestProposedRun)
	}
}

func TestEmulatorSnapshotDriftedAddresses(t *testing.T) {
	h, c := startEmulator(t)
	ctx := t.Context()
	mustStack(t, c, "app")
	mustApply(t, c, CreateDriftDetectionMutation("app", DriftDetectionIntegrationInput{Schedule: []string{"0 * * * *"}}))
	runID, err := h.SeedDrift(emulator.DriftSeed{Stack: "app", Drifted: 2, RunDriftDetection: true, Entities: []emulator.SeedEntity{
		{Address: "aws_vpc.main"}, {Address: "aws_subnet.a"}, {Address: "aws_subnet.b"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	advanceUntil(t, h, "the drift detection run finishing", func() bool {
		r, err := c.GetRun(ctx, "app", runID)
		return err == nil && r.State.Terminal()
	})
	page, err := c.SearchStackSnapshotPage(ctx, SearchInput{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("snapshots %+v, %v", page, err)
	}
	d := page.Items[0].Drift
	if want := []string{"aws_subnet.a", "aws_vpc.main"}; !slices.Equal(d.DriftedAddresses, want) {
		t.Errorf("drifted addresses %q, want %q", d.DriftedAddresses, want)
	}
	if page.Items[0].LatestProposedRun != nil {
		t.Errorf("a drift detection run counted as the latest proposed run: %+v", page.Items[0].LatestProposedRun)
	}
}
