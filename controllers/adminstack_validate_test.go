package controllers

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

func TestValidateInto(t *testing.T) {
	child := func(name, branch string) *spaceliftv1alpha1.Stack {
		s := &spaceliftv1alpha1.Stack{
			TypeMeta:   metav1.TypeMeta{APIVersion: spaceliftv1alpha1.GroupVersion.String(), Kind: "Stack"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		}
		s.Spec.Repository, s.Spec.Branch = "acme/infra", branch
		s.Spec.Terraform = &spaceliftv1alpha1.TerraformVendor{}
		return s
	}
	verdicts := map[string]string{"Stack/earlier": "kept"}
	objs := []client.Object{child("ok", "main"), child("bad", "refs/heads/main")}
	if err := validateInto(context.Background(), verdicts, objs); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Stack/earlier": "kept",
		"Stack/ok":      "",
		"Stack/bad":     `spec.branch: Invalid value: "refs/heads/main": must be a branch or tag name such as main or v1.2.0, without the refs/heads/ or refs/tags/ prefix`,
	}
	for k, v := range want {
		if got, ok := verdicts[k]; !ok || got != v {
			t.Errorf("verdict of %s = %q (recorded: %v), want %q", k, got, ok, v)
		}
	}
	if len(verdicts) != len(want) {
		t.Errorf("verdicts = %v, want only %v", verdicts, want)
	}
}
