package adminstack

import (
	"reflect"
	"testing"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
)

func testDirectory() *Directory {
	return NewDirectory(map[NameKind][]SpaceliftObject{
		KindWorkerPool: {{ID: "01HWP", Name: "acme-workers"}},
		KindSpace:      {{ID: "root", Name: "root"}, {ID: "plat-01HX", Name: "plat"}, {ID: "a-1", Name: "twin"}, {ID: "b-2", Name: "twin"}},
		KindContext:    {{ID: "aws-creds", Name: "AWS credentials"}},
	})
}

func TestDirectoryLookup(t *testing.T) {
	dir := testDirectory()
	tests := []struct {
		name    string
		ref     NameRef
		wantID  string
		wantMsg string
	}{
		{"name resolves", NameRef{Kind: KindSpace, Value: "plat", Match: MatchName}, "plat-01HX", ""},
		{"id or name takes an id", NameRef{Kind: KindSpace, Value: "plat-01HX"}, "plat-01HX", ""},
		{"id or name takes a name", NameRef{Kind: KindWorkerPool, Value: "acme-workers"}, "01HWP", ""},
		{"context by display name", NameRef{Kind: KindContext, Value: "AWS credentials"}, "aws-creds", ""},
		{"id setting holding a name", NameRef{Kind: KindSpace, Value: "plat", Match: MatchID}, "",
			"is the name of space plat-01HX, not an id: use the id, or the *_name setting"},
		{"unknown name", NameRef{Kind: KindWorkerPool, Value: "acme-wrokers", Match: MatchName}, "", "no worker pool has this name"},
		{"unknown id or name", NameRef{Kind: KindContext, Value: "nope"}, "", "no context has this id or name"},
		{"name setting holding an id", NameRef{Kind: KindSpace, Value: "plat-01HX", Match: MatchName}, "", "no space has this name"},
		{"ambiguous name", NameRef{Kind: KindSpace, Value: "twin", Match: MatchName}, "", "names 2 spaces (ids a-1, b-2): give the id instead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, msg := dir.lookup(tt.ref)
			if id != tt.wantID || msg != tt.wantMsg {
				t.Errorf("lookup = %q, %q; want %q, %q", id, msg, tt.wantID, tt.wantMsg)
			}
		})
	}
}

func TestResolveNames(t *testing.T) {
	a := &v1alpha1.AdminStack{}
	a.Name = "plat"
	a.Spec.ChildDefaults.WorkerPool = "acme-workers"
	a.Spec.ChildDefaults.Space = "plat"
	records := []atmos.Record{
		{Name: "ue1-dev-vpc", Stack: "ue1-dev", Component: "vpc", File: "stacks/ue1-dev.yaml", Settings: map[string]any{"spacelift": map[string]any{
			"workspace_enabled": true, "space_name": "plat", "context_attachments": []any{"AWS credentials"}}}},
		{Name: "ue1-prod-vpc", Stack: "ue1-prod", Component: "vpc", File: "stacks/ue1-prod.yaml", Settings: map[string]any{"spacelift": map[string]any{
			"workspace_enabled": true, "worker_pool_name": "acme-wrokers", "space_id": "plat"}}},
		{Name: "ue2-prod-vpc", Stack: "ue2-prod", Component: "vpc", File: "stacks/ue2-prod.yaml", Settings: map[string]any{"spacelift": map[string]any{
			"workspace_enabled": true, "worker_pool_name": "acme-wrokers"}}},
	}
	d, problems := Build(a, records, nil)
	if len(problems) > 0 {
		t.Fatalf("Build: %v", problems)
	}
	if got := d.NeededKinds(); !reflect.DeepEqual(got, []NameKind{KindWorkerPool, KindSpace, KindContext}) {
		t.Errorf("NeededKinds = %v", got)
	}
	got := ResolveNames(&d, testDirectory())
	want := []Problem{
		{Object: `space "plat"`, Message: "is the name of space plat-01HX, not an id: use the id, or the *_name setting; set in stacks/ue1-prod.yaml: settings.spacelift.space_id"},
		{Object: `worker pool "acme-wrokers"`, Message: "no worker pool has this name; set in stacks/ue1-prod.yaml: settings.spacelift.worker_pool_name, stacks/ue2-prod.yaml: settings.spacelift.worker_pool_name"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n got %v\nwant %v", got, want)
	}
	byName := map[string]*v1alpha1.Stack{}
	for _, s := range d.Stacks {
		byName[s.Spec.Name] = s
	}
	dev := byName["ue1-dev-vpc"]
	if dev == nil {
		t.Fatalf("no ue1-dev-vpc child in %v", d.Stacks)
	}
	if dev.Spec.Space != "plat-01HX" || dev.Spec.WorkerPool != "01HWP" || len(dev.Spec.Contexts) != 1 || dev.Spec.Contexts[0].ID != "aws-creds" {
		t.Errorf("ue1-dev-vpc not resolved: space %q, pool %q, contexts %v", dev.Spec.Space, dev.Spec.WorkerPool, dev.Spec.Contexts)
	}
	if d.Admin.Spec.Space != "plat-01HX" || d.Admin.Spec.WorkerPool != "01HWP" {
		t.Errorf("admin stack not resolved: space %q, pool %q", d.Admin.Spec.Space, d.Admin.Spec.WorkerPool)
	}
}

func TestResolvedIDs(t *testing.T) {
	refs := []NameRef{
		{Kind: KindWorkerPool, Value: "acme-workers"},
		{Kind: KindSpace, Value: "plat", Match: MatchName},
		{Kind: KindContext, Value: "aws-creds", Match: MatchID},
	}
	renamed := NewDirectory(map[NameKind][]SpaceliftObject{
		KindWorkerPool: {{ID: "01HWP-NEW", Name: "acme-workers"}},
		KindSpace:      {{ID: "plat-01HX", Name: "plat"}},
		KindContext:    {{ID: "aws-creds", Name: "AWS credentials"}},
	})
	tests := []struct {
		name string
		refs []NameRef
		dir  *Directory
		want []string
		ok   bool
	}{
		{"no references", nil, testDirectory(), []string{}, true},
		{"every reference resolves, in order", refs, testDirectory(), []string{"01HWP", "plat-01HX", "aws-creds"}, true},
		{"a worker pool recreated under the same name", refs, renamed, []string{"01HWP-NEW", "plat-01HX", "aws-creds"}, true},
		{"an ambiguous name", []NameRef{{Kind: KindSpace, Value: "twin"}}, testDirectory(), nil, false},
		{"an unknown name", append(refs, NameRef{Kind: KindContext, Value: "gone"}), testDirectory(), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Desired{Names: tt.refs}
			got, ok := ResolvedIDs(d, tt.dir)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ResolvedIDs = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
