package plugin

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator/emulatortest"
)

// TestDiscard discards, through the emulator, the run a Stack's status
// shows waiting for confirmation, and says that no annotation can do it.
func TestDiscard(t *testing.T) {
	ns := namespace(t, "discard")
	ctx := t.Context()
	h := emulatortest.Start(t, emulator.Options{Clock: emulator.FixedClock{T: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, RunStepDuration: time.Second})
	id, secret := h.APIKey()
	api, err := spacelift.New(spacelift.Credentials{Endpoint: h.URL, KeyID: id, KeySecret: secret}, spacelift.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateStack(ctx, spacelift.StackInput{Name: "app", Repository: "infra", Branch: "main"},
		spacelift.CreateStackOptions{ManageState: true, Slug: "app"}); err != nil {
		t.Fatal(err)
	}
	if err := h.SetNextPlan("app", emulator.PlanSpec{AddCount: 1}); err != nil {
		t.Fatal(err)
	}
	run0, err := api.TriggerRun(ctx, "app", spacelift.RunTypeTracked, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		r, err := api.GetRun(ctx, "app", run0.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.State == spacelift.RunStateUnconfirmed {
			break
		}
		if i == 60 {
			t.Fatalf("run %s is %s after 60s of emulator time, not UNCONFIRMED", run0.ID, r.State)
		}
		h.Advance(time.Second)
	}
	s := newStack(ns, "app")
	create(t, s, func() {
		s.Status.SpaceliftID = "app"
		s.Status.LastRun = &v1.RunStatus{ID: run0.ID, Type: "TRACKED", State: "UNCONFIRMED"}
	})

	t.Setenv("SPACELIFT_API_KEY_ENDPOINT", "")
	code, out, errOut := run(t, "discard", "app", "-n", ns)
	if code != 1 || !strings.Contains(errOut, "set SPACELIFT_API_KEY_ENDPOINT, SPACELIFT_API_KEY_ID and SPACELIFT_API_KEY_SECRET (as for spacectl) to discard run "+run0.ID+" of stack app, or run `spacectl stack discard --id app --run "+run0.ID+"`") {
		t.Errorf("without credentials: exit %d, stderr %q", code, errOut)
	}
	if !strings.HasPrefix(out, "note: the operator has no discard annotation") {
		t.Errorf("the note about the missing annotation is not first:\n%s", out)
	}

	t.Setenv("SPACELIFT_API_KEY_ENDPOINT", h.URL)
	t.Setenv("SPACELIFT_API_KEY_ID", id)
	t.Setenv("SPACELIFT_API_KEY_SECRET", secret)
	code, out, errOut = run(t, "discard", "app", "-n", ns)
	if code != 0 {
		t.Fatalf("discard: exit %d: %s", code, errOut)
	}
	wantOutput(t, "discard", out, ""+
		"note: the operator has no discard annotation (it acts on spacelift.stackwright.io/run-requested-at, spacelift.stackwright.io/propose-requested-at and spacelift.stackwright.io/confirm-run only),\n"+
		"so a discard cannot be committed to Git; kubectl-spacelift discards through the Spacelift API instead.\n"+
		"discarded run "+run0.ID+" of Spacelift stack app (Stack discard/app): DISCARDED\n")
	r, err := api.GetRun(ctx, "app", run0.ID)
	if err != nil || r.State != spacelift.RunStateDiscarded {
		t.Errorf("the run in the emulator: %+v, %v", r, err)
	}
}
