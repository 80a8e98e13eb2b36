package controllers

import (
	"context"
	"maps"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// childIdentity is what the Stack controller writes onto a Stack before it
// creates the stack (finalizer, Spacelift id, Argo CD link). The AdminStack
// puts it into the apply that creates a child, so that a new child costs
// no metadata write of its own.
type childIdentity struct {
	finalizer   bool
	annotations map[string]string
}

// stackChildIdentity is the identity a Stack child's apply carries. A new
// child (live nil) gets the finalizer, the id its create will use (the slug
// of its Spacelift name, as the Stack controller would choose) and, when
// the endpoint is known, the link. A child that exists keeps what it has:
// an id is never changed once written (the stack may exist under it), and
// a value the Stack controller removed (the finalizer at deletion, the id
// of a refused create) stays removed. Every apply of a child must carry
// these fields: server-side apply removes a field its manager stops
// applying.
func stackChildIdentity(desired *spaceliftv1alpha1.Stack, live client.Object, endpoint string) childIdentity {
	if live == nil {
		id := slug(stackName(desired))
		out := childIdentity{finalizer: true, annotations: map[string]string{spaceliftv1alpha1.AnnotationSpaceliftID: id}}
		if endpoint != "" {
			out.annotations[AnnotationExternalLink] = webURL(endpoint, "stack", id)
		}
		return out
	}
	out := childIdentity{finalizer: controllerutil.ContainsFinalizer(live, spaceliftv1alpha1.Finalizer), annotations: map[string]string{}}
	for _, k := range []string{spaceliftv1alpha1.AnnotationSpaceliftID, AnnotationExternalLink} {
		if v := live.GetAnnotations()[k]; v != "" {
			out.annotations[k] = v
		}
	}
	return out
}

// addTo writes the identity into an apply body.
func (id childIdentity) addTo(body *unstructured.Unstructured) {
	if id.finalizer {
		body.SetFinalizers(append(body.GetFinalizers(), spaceliftv1alpha1.Finalizer))
	}
	if len(id.annotations) > 0 {
		a := body.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		maps.Copy(a, id.annotations)
		body.SetAnnotations(a)
	}
}

// childEndpoint is the Spacelift endpoint of the AdminStack's credentials,
// for the links of the Stack children it creates; "" when there are none to
// create or the credentials cannot be read (the Stack controller writes the
// link then).
func (r *AdminStackReconciler) childEndpoint(ctx context.Context, s *adminStackScope) string {
	creates := false
	for _, obj := range s.planned {
		if _, ok := obj.(*spaceliftv1alpha1.Stack); ok && s.existing[childKey(obj)] == nil {
			creates = true
			break
		}
	}
	if !creates || r.Credentials == nil {
		return ""
	}
	cl, err := r.Credentials.For(ctx, s.obj.Namespace, s.obj.Spec.CredentialsRef)
	if err != nil {
		log.FromContext(ctx).V(1).Info("new children get their links from the Stack controller: the credentials are not readable", "reason", err.Error())
		return ""
	}
	return cl.Endpoint()
}
