package crdschema

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/config/crd"
)

// validStack is a Stack that the API server accepts.
func validStack() *v1alpha1.Stack {
	s := &v1alpha1.Stack{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Stack"},
		ObjectMeta: metav1.ObjectMeta{Name: "plat-ue2-dev-vpc", Namespace: "ns", Labels: map[string]string{"app": "x"}},
	}
	s.Spec.Repository, s.Spec.Branch = "acme/infra", "main"
	s.Spec.Terraform = &v1alpha1.TerraformVendor{}
	s.Spec.Labels = []v1alpha1.SpaceliftLabel{"folder:plat", "dev"}
	return s
}

func TestValidate(t *testing.T) {
	v, err := FromFS(mustSub(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		obj    runtime.Object
		change func(s *v1alpha1.Stack)
		// want are substrings of the errors, one per error, in order; none
		// for a valid object.
		want []string
	}{
		{"valid", nil, func(*v1alpha1.Stack) {}, nil},
		{"a required field missing (schema)", nil, func(s *v1alpha1.Stack) { s.Spec.Branch = "" },
			[]string{"spec.branch: Invalid value: \"\""}},
		{"an enum value unknown (schema), rules then not run", nil, func(s *v1alpha1.Stack) { s.Spec.DeletionPolicy = "Forget" },
			[]string{`spec.deletionPolicy: Unsupported value: "Forget"`, "some validation rules were not checked"}},
		{"a list item breaking a rule (CEL)", nil, func(s *v1alpha1.Stack) { s.Spec.Labels = append(s.Spec.Labels, "a,b") },
			[]string{"spec.labels[2]: Invalid value: \"a,b\": a label may not contain commas"}},
		{"a rule of the spec as a whole (CEL)", nil, func(s *v1alpha1.Stack) { s.Spec.Terraform = nil },
			[]string{"exactly one vendor block must be set"}},
		{"a duplicate in a set list", nil, func(s *v1alpha1.Stack) { s.Spec.Labels = append(s.Spec.Labels, "dev") },
			[]string{`spec.labels[2]: Duplicate value: "dev"`}},
		{"a label value too long (metadata)", nil, func(s *v1alpha1.Stack) { s.Labels["app"] = strings.Repeat("x", 64) },
			[]string{"metadata.labels: Invalid value"}},
		{"a name that is not a DNS subdomain (metadata)", nil, func(s *v1alpha1.Stack) { s.Name = "Plat_VPC" },
			[]string{"metadata.name: Invalid value: \"Plat_VPC\""}},
		{"a kind it has no schema for", &v1alpha1.StackList{TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "StackList"}}, nil,
			[]string{"error: no schema for"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := tc.obj
			if obj == nil {
				s := validStack()
				tc.change(s)
				obj = s
			}
			errs, err := v.Validate(context.Background(), obj)
			var got []string
			if err != nil {
				got = append(got, "error: "+err.Error())
			}
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestFromFSLoadsEveryKind(t *testing.T) {
	v, err := FromFS(mustSub(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"Stack", "AdminStack", "Policy"} {
		if _, ok := v.kinds[v1alpha1.GroupVersion.WithKind(kind)]; !ok {
			t.Errorf("no schema for %s", kind)
		}
	}
}

func mustSub(t *testing.T) fs.FS {
	t.Helper()
	sub, err := fs.Sub(crd.Bases, "bases")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// BenchmarkValidate measures one Stack's validation: the cost an AdminStack
// pays per changed child instead of a dry-run request.
func BenchmarkValidate(b *testing.B) {
	sub, err := fs.Sub(crd.Bases, "bases")
	if err != nil {
		b.Fatal(err)
	}
	v, err := FromFS(sub)
	if err != nil {
		b.Fatal(err)
	}
	s := validStack()
	ctx := context.Background()
	for b.Loop() {
		if errs, err := v.Validate(ctx, s); err != nil || len(errs) > 0 {
			b.Fatal(err, errs)
		}
	}
}
