package conformance

import "testing"

// TestSpacectlDocuments runs the catalogue of spacectl-shaped documents.
func TestSpacectlDocuments(t *testing.T) {
	w := NewWorld(t)
	for _, d := range SpacectlDocs {
		t.Run(d.Name, func(t *testing.T) { Check(t, w, d) })
	}
}

// TestProviderDocuments runs the catalogue of documents shaped like the
// Terraform provider's.
func TestProviderDocuments(t *testing.T) {
	w := NewWorld(t)
	for _, d := range ProviderDocs {
		t.Run(d.Name, func(t *testing.T) { Check(t, w, d) })
	}
}

// TestSpaceliftOperatorDocuments runs documents shaped like those of
// Spacelift's own Kubernetes operator, which the real API accepts.
func TestSpaceliftOperatorDocuments(t *testing.T) {
	w := NewWorld(t)
	for _, d := range SpaceliftOperatorDocs {
		t.Run(d.Name, func(t *testing.T) { Check(t, w, d) })
	}
}

// TestRunCatchesWhatItIsMeantToCatch guards the guard.
func TestRunCatchesWhatItIsMeantToCatch(t *testing.T) {
	w := NewWorld(t)
	for name, d := range map[string]Doc{
		"unknown field":     {Query: `query ($id: ID!) { stack(id: $id) { id noSuchField } }`, Vars: map[string]any{"id": "s"}},
		"wrong variable":    {Query: `query ($id: String!) { stack(id: $id) { id } }`, Vars: map[string]any{"id": "s"}},
		"bad enum variable": {Query: `mutation ($s: ID!, $t: RunType) { runTrigger(stack: $s, runType: $t) { id } }`, Vars: map[string]any{"s": "s", "t": "NIGHTLY"}},
		"refused mutation":  {Query: `mutation ($s: ID!, $r: ID!) { runCancel(stack: $s, run: $r) { id } }`, Vars: map[string]any{"s": "s", "r": "@unconfirmedRun"}},
		"null result":       {Query: `query { stack(id: "nope") { id } }`},
		"unknown id name":   {Query: `query ($id: ID!) { stack(id: $id) { id } }`, Vars: map[string]any{"id": "@nothing"}},
	} {
		if err := Run(w, d); err == nil {
			t.Errorf("%s: Run accepted %s", name, d.Query)
		}
	}
	if err := Run(w, Doc{Query: `query { stack(id: "nope") { id } }`, Nullable: []string{"stack"}}); err != nil {
		t.Errorf("a nullable field: %v", err)
	}
}

func TestCheckShapeWantsEverySelectedField(t *testing.T) {
	op, err := Validate(Doc{Query: `{ stacks { id vendorConfig { __typename ... on StackConfigVendorPulumi { stackName } } } }`})
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]any{"stacks": []any{map[string]any{"id": "a", "vendorConfig": map[string]any{"__typename": "StackConfigVendorTerraform"}}}}
	if err := checkShape(op.SelectionSet, ok, ""); err != nil {
		t.Errorf("a fragment on another member was required: %v", err)
	}
	missing := map[string]any{"stacks": []any{map[string]any{"vendorConfig": map[string]any{"__typename": "StackConfigVendorPulumi"}}}}
	if err := checkShape(op.SelectionSet, missing, ""); err == nil {
		t.Error("a missing id and stackName went unnoticed")
	}
}

func TestDropEmptyArguments(t *testing.T) {
	for in, want := range map[string]string{
		`{ spaces() { id } }`:                      `{ spaces { id } }`,
		`{ stack(id: "()") { id } }`:               `{ stack(id: "()") { id } }`,
		`{ workerPools( ) { id } }`:                `{ workerPools { id } }`,
		`query ($id: ID!) { stack(id: $id) {id} }`: `query ($id: ID!) { stack(id: $id) {id} }`,
	} {
		if got := dropEmptyArguments(in); got != want {
			t.Errorf("dropEmptyArguments(%q) = %q, want %q", in, got, want)
		}
	}
}
