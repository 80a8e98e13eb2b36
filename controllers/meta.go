package controllers

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// updateMeta writes obj's metadata (annotations, finalizers) with an
// optimistic lock. The in-memory status is kept for the final status patch.
func updateMeta(ctx context.Context, c client.Client, obj client.Object) error {
	cp := obj.DeepCopyObject().(client.Object)
	if err := c.Update(ctx, cp); err != nil {
		return fmt.Errorf("updating metadata of %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
	}
	obj.SetResourceVersion(cp.GetResourceVersion())
	return nil
}

// setAnnotation sets one annotation and writes the metadata.
func setAnnotation(ctx context.Context, c client.Client, obj client.Object, key, value string) error {
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[key] = value
	obj.SetAnnotations(a)
	return updateMeta(ctx, c, obj)
}

// recordID writes the Spacelift id onto the object as an annotation, which a
// status loss cannot erase, clears the create-pending mark and, in the same
// write, points the external link at link (when not empty).
func recordID(ctx context.Context, c client.Client, obj client.Object, id, link string) error {
	a := obj.GetAnnotations()
	if a[spaceliftv1alpha1.AnnotationSpaceliftID] == id && a[spaceliftv1alpha1.AnnotationCreatePending] == "" &&
		(link == "" || a[AnnotationExternalLink] == link) {
		return nil
	}
	if a == nil {
		a = map[string]string{}
	}
	a[spaceliftv1alpha1.AnnotationSpaceliftID] = id
	delete(a, spaceliftv1alpha1.AnnotationCreatePending)
	if link != "" {
		a[AnnotationExternalLink] = link
	}
	obj.SetAnnotations(a)
	return updateMeta(ctx, c, obj)
}

// removeFinalizer drops the operator's finalizer and writes the metadata.
func removeFinalizer(ctx context.Context, c client.Client, obj client.Object) error {
	if controllerutil.RemoveFinalizer(obj, spaceliftv1alpha1.Finalizer) {
		return updateMeta(ctx, c, obj)
	}
	return nil
}

// AnnotationExternalLink is the annotation Argo CD shows as a link on the
// object: the operator points it at the object's Spacelift page.
const AnnotationExternalLink = "link.argocd.argoproj.io/external-link"

// ensureLink points the external-link annotation at url.
func ensureLink(ctx context.Context, c client.Client, obj client.Object, url string) error {
	if url == "" || obj.GetAnnotations()[AnnotationExternalLink] == url {
		return nil
	}
	return setAnnotation(ctx, c, obj, AnnotationExternalLink, url)
}
