package controllers

import (
	"context"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// updateMeta writes obj's annotations and finalizers, and nothing else,
// with an optimistic lock: a JSON patch that replaces the two and tests the
// resourceVersion. Unlike an update it cannot rewrite the spec (a list the
// server stored as [] and Go encodes as absent would bump the generation).
// The in-memory status is kept for the final status patch.
func updateMeta(ctx context.Context, c client.Client, obj client.Object) error {
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	finalizers := obj.GetFinalizers()
	if finalizers == nil {
		finalizers = []string{}
	}
	patch, err := json.Marshal([]map[string]any{
		{"op": "test", "path": "/metadata/resourceVersion", "value": obj.GetResourceVersion()},
		{"op": "add", "path": "/metadata/annotations", "value": annotations},
		{"op": "add", "path": "/metadata/finalizers", "value": finalizers},
	})
	if err != nil {
		return fmt.Errorf("encoding the metadata of %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
	}
	if err := patchLean(ctx, c, obj, client.RawPatch(types.JSONPatchType, patch)); err != nil {
		return fmt.Errorf("updating metadata of %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// patchLean sends patch for obj and reads back only the object's metadata:
// nothing uses the rest of the answer, and decoding a whole Stack (an
// AdminStack child carries its full configuration) was a large share of a
// reconcile's CPU. obj gets the new resourceVersion.
func patchLean(ctx context.Context, c client.Client, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	return writeLean(c, obj, func(meta *metav1.PartialObjectMetadata) error { return c.Patch(ctx, meta, patch, opts...) })
}

// writeLean makes a write of obj through write, which gets obj's kind,
// namespace and name as PartialObjectMetadata (the client answers it with
// the metadata alone), and gives obj the new resourceVersion.
func writeLean(c client.Client, obj client.Object, write func(*metav1.PartialObjectMetadata) error) error {
	gvk, err := c.GroupVersionKindFor(obj)
	if err != nil {
		return err
	}
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(gvk)
	meta.Name, meta.Namespace = obj.GetName(), obj.GetNamespace()
	if err := write(meta); err != nil {
		return err
	}
	obj.SetResourceVersion(meta.ResourceVersion)
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
