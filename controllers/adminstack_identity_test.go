package controllers

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/adminstack"
)

func TestStackChildIdentity(t *testing.T) {
	desired := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: "plat-ue2-dev-vpc"}}
	desired.Spec.Name = "Plat UE2 Dev VPC"
	live := func(finalizer bool, annotations map[string]string) client.Object {
		s := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: "plat-ue2-dev-vpc", Annotations: annotations}}
		if finalizer {
			s.Finalizers = []string{spaceliftv1alpha1.Finalizer}
		}
		return s
	}
	const endpoint = "https://acme.app.spacelift.io/graphql"
	id, link := spaceliftv1alpha1.AnnotationSpaceliftID, AnnotationExternalLink
	for _, tc := range []struct {
		name     string
		live     client.Object
		endpoint string
		want     string
	}{
		{"new child", nil, endpoint, "true map[" + link + ":https://acme.app.spacelift.io/stack/plat-ue2-dev-vpc " + id + ":plat-ue2-dev-vpc]"},
		{"new child, endpoint unknown", nil, "", "true map[" + id + ":plat-ue2-dev-vpc]"},
		{"existing child keeps its id after a rename", live(true, map[string]string{id: "old-name", link: "https://acme.app.spacelift.io/stack/old-name"}), endpoint,
			"true map[" + link + ":https://acme.app.spacelift.io/stack/old-name " + id + ":old-name]"},
		{"refused id and finalizer removed stay removed", live(false, map[string]string{"other": "x"}), endpoint, "false map[]"},
	} {
		got := stackChildIdentity(desired, tc.live, tc.endpoint)
		if s := fmt.Sprint(got.finalizer, " ", got.annotations); s != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, s, tc.want)
		}
	}

	body := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"annotations": map[string]any{adminstack.AnnotationAppliedHash: "h"}}}}
	stackChildIdentity(desired, nil, "").addTo(body)
	if fmt.Sprint(body.GetFinalizers(), body.GetAnnotations()) != "[spacelift.stackwright.io/finalizer] map["+adminstack.AnnotationAppliedHash+":h "+id+":plat-ue2-dev-vpc]" {
		t.Errorf("body metadata: %v %v", body.GetFinalizers(), body.GetAnnotations())
	}
}

func TestChangedChildrenLeavesChildrenBeingDeleted(t *testing.T) {
	child := func(name, hash string, deleting bool) *spaceliftv1alpha1.Stack {
		s := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{adminstack.AnnotationAppliedHash: hash}}}
		if deleting {
			now := metav1.Now()
			s.DeletionTimestamp = &now
		}
		return s
	}
	p := &plannedSet{objects: []client.Object{child("new", "", false), child("same", "", false), child("changed", "", false), child("deleting", "", false)},
		hashes: map[string]string{"Stack/new": "1", "Stack/same": "2", "Stack/changed": "3", "Stack/deleting": "4"}}
	existing := map[string]client.Object{
		"Stack/same": child("same", "2", false), "Stack/changed": child("changed", "old", false), "Stack/deleting": child("deleting", "old", true),
	}
	var got []string
	for _, obj := range changedChildren(p, existing) {
		got = append(got, obj.GetName())
	}
	if fmt.Sprint(got) != "[new changed]" {
		t.Errorf("changed children %v, want [new changed]", got)
	}
}
