package controllers

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

func TestCreateLedger(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := spaceliftv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	stack := func(uid string, annotations map[string]string, confirmed string) *spaceliftv1alpha1.Stack {
		s := &spaceliftv1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: uid, Namespace: "team", UID: types.UID(uid), Annotations: annotations}}
		s.Status.SpaceliftID = confirmed
		return s
	}
	id := func(v string) map[string]string { return map[string]string{spaceliftv1alpha1.AnnotationSpaceliftID: v} }
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(
		stack("unconfirmed", id("a"), ""),
		stack("confirmed", id("b"), "b"),
		stack("changed", id("c"), "old"),
		stack("legacy", map[string]string{spaceliftv1alpha1.AnnotationCreatePending: "d"}, ""),
		stack("plain", nil, ""),
	).Build()

	var l createLedger
	if l.noneSent("later") {
		t.Error("before leading, any create may have been sent by an earlier leader")
	}
	l.sending("sent-early")
	if err := l.lead(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	for uid, want := range map[types.UID]bool{
		"unconfirmed": false, "changed": false, "legacy": false, "sent-early": false,
		"confirmed": true, "plain": true, "later": true,
	} {
		if got := l.noneSent(uid); got != want {
			t.Errorf("%s: noneSent = %v, want %v", uid, got, want)
		}
	}
	l.sending("later")
	if l.noneSent("later") {
		t.Error("a create this process sent may have landed")
	}
	l.forget("later")
	if !l.noneSent("later") {
		t.Error("a confirmed stack's note is dropped")
	}
	if err := l.lead(context.Background(), c); err == nil {
		t.Error("a second start is an error")
	}
}
