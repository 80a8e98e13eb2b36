package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/adminstack"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// Writing outputs needs create and update on Secrets and ConfigMaps; Kubernetes
// RBAC cannot narrow create to names chosen at run time. Old objects are not
// deleted by the operator: they are owned by the Stack and garbage-collected
// with it.
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;create;update;patch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;update;patch

// managedByLabel marks objects the operator writes.
const managedByLabel = "app.kubernetes.io/managed-by"

// outputsWrite is what goes into the outputs Secret and ConfigMap.
type outputsWrite struct {
	secret    map[string][]byte
	configMap map[string]string
	// withoutValue names the selected outputs not written, sorted.
	withoutValue []string
}

// outputsData sorts the stack's outputs into the Secret and ConfigMap as the
// spec selects and renames them. Sensitive outputs only ever go to the
// Secret; non-sensitive ones go to the ConfigMap when the spec names one.
// Outputs without a value, missing ones and invalid keys are listed in
// withoutValue.
func outputsData(spec *spaceliftv1alpha1.OutputsSecret, outs []spacelift.StackOutput) outputsWrite {
	w := outputsWrite{secret: map[string][]byte{}}
	if spec.ConfigMap != nil {
		w.configMap = map[string]string{}
	}
	byID := make(map[string]spacelift.StackOutput, len(outs))
	for _, o := range outs {
		byID[o.ID] = o
	}
	sel := spec.Outputs
	if len(sel) == 0 {
		for _, o := range outs {
			sel = append(sel, spaceliftv1alpha1.OutputSelector{Name: o.ID})
		}
	}
	for _, s := range sel {
		key := s.Key
		if key == "" {
			key = s.Name
		}
		o, ok := byID[s.Name]
		if !ok || o.Value == nil || len(validation.IsConfigMapKey(key)) > 0 {
			w.withoutValue = append(w.withoutValue, s.Name)
			continue
		}
		v := outputValue(*o.Value)
		if w.configMap != nil && !o.Sensitive {
			w.configMap[key] = v
		} else {
			w.secret[key] = []byte(v)
		}
	}
	w.withoutValue = firstSorted(w.withoutValue, 100)
	return w
}

// outputValue is what an app reads from the Secret: Spacelift returns each
// output JSON-encoded, so a string output is unquoted (vpc-0abc, not
// "vpc-0abc"), as tofu-controller and Crossplane write them; numbers, lists
// and maps stay JSON.
func outputValue(raw string) string {
	var str string
	if err := json.Unmarshal([]byte(raw), &str); err == nil {
		return str
	}
	return raw
}

// outputsSpecDigest identifies a writeOutputsToSecret spec.
func outputsSpecDigest(spec *spaceliftv1alpha1.OutputsSecret) string {
	b, _ := json.Marshal(spec) //nolint:errchkjson // a struct of strings always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// outputsRun is the run the outputs should have been read after: the newest
// tracked run when it finished. known is false while that run has not
// finished (or none is known): the outputs of the previous finished run are
// still current then.
func outputsRun(st *spaceliftv1alpha1.StackStatus) (id string, known bool) {
	if lr := st.LastTrackedRun; lr != nil && spacelift.RunState(lr.State) == spacelift.RunStateFinished {
		return lr.ID, true
	}
	return "", false
}

// outputsStale reports why the outputs must be read and written again, or ""
// when the objects are up to date. objs holds the annotations of the Secret
// and, when configured, the ConfigMap; nil for one that does not exist.
func outputsStale(objs []map[string]string, digest, run string, runKnown bool, spec *spaceliftv1alpha1.OutputsSecret, prev *spaceliftv1alpha1.OutputsStatus) string {
	for _, ann := range objs {
		switch {
		case ann == nil:
			return "missing"
		case ann[spaceliftv1alpha1.AnnotationOutputsSpec] != digest:
			return "selection changed"
		case runKnown && ann[spaceliftv1alpha1.AnnotationOutputsRun] != run:
			return "new run"
		}
	}
	cm := ""
	if spec.ConfigMap != nil {
		cm = spec.ConfigMap.Name
	}
	if prev == nil || prev.SecretName != spec.Name || prev.ConfigMapName != cm {
		return "status not recorded"
	}
	return ""
}

// syncOutputs writes the stack's outputs to the Secret (and ConfigMap) of
// spec.writeOutputsToSecret when they are missing, were written for another
// selection, or predate the newest finished tracked run. It stalls the
// reconcile when an object of that name exists and is not this Stack's. It
// never logs values or puts them in events or status.
func (r *StackReconciler) syncOutputs(ctx context.Context, s *stackScope) (bool, error) {
	spec := s.obj.Spec.WriteOutputsToSecret
	st := &s.obj.Status
	if spec == nil {
		st.Outputs = nil
		return false, nil
	}
	secret := &corev1.Secret{}
	secretFound, err := getIfExists(ctx, r.Client, types.NamespacedName{Namespace: s.obj.Namespace, Name: spec.Name}, secret)
	if err != nil {
		return true, err
	}
	objs, kinds := []client.Object{secret}, []string{"Secret"}
	anns := []map[string]string{annotationsIf(secretFound, secret)}
	var cm *corev1.ConfigMap
	cmFound := false
	if spec.ConfigMap != nil {
		cm = &corev1.ConfigMap{}
		if cmFound, err = getIfExists(ctx, r.Client, types.NamespacedName{Namespace: s.obj.Namespace, Name: spec.ConfigMap.Name}, cm); err != nil {
			return true, err
		}
		objs, kinds = append(objs, cm), append(kinds, "ConfigMap")
		anns = append(anns, annotationsIf(cmFound, cm))
	}
	for i, o := range objs {
		if anns[i] != nil && !metav1.IsControlledBy(o, s.obj) {
			s.stalled = &condition{spaceliftv1alpha1.ReasonOwnedByAnother, fmt.Sprintf(
				"%s %s exists and is not owned by this Stack, so the stack's outputs are not written to it: delete it or choose another name in spec.writeOutputsToSecret", kinds[i], o.GetName())}
			return true, nil
		}
	}
	digest := outputsSpecDigest(spec)
	run, known := outputsRun(st)
	if outputsStale(anns, digest, run, known, spec, st.Outputs) == "" {
		return false, nil
	}
	outs, err := s.api.GetStackOutputs(ctx, s.id)
	if err != nil {
		return true, fmt.Errorf("reading the outputs of stack %q: %w", s.id, err)
	}
	w := outputsData(spec, outs)
	meta := func(o client.Object) error {
		o.SetLabels(mergeMaps(o.GetLabels(), map[string]string{
			managedByLabel: "spacelift-operator", spaceliftv1alpha1.LabelOutputsOf: adminstack.LabelValue(s.obj.Name)}))
		o.SetAnnotations(mergeMaps(o.GetAnnotations(), map[string]string{
			spaceliftv1alpha1.AnnotationOutputsRun: run, spaceliftv1alpha1.AnnotationOutputsSpec: digest}))
		return controllerutil.SetControllerReference(s.obj, o, r.Scheme)
	}
	changed := !secretFound || !maps.EqualFunc(secret.Data, w.secret, slices.Equal)
	secret.Name, secret.Namespace, secret.Data = spec.Name, s.obj.Namespace, w.secret
	if !secretFound {
		secret.Type = corev1.SecretTypeOpaque
	}
	if err := r.writeObject(ctx, "Secret", secretFound, secret, meta); err != nil {
		return true, err
	}
	st.Outputs = &spaceliftv1alpha1.OutputsStatus{SecretName: spec.Name, RunID: run,
		Keys: int32(len(w.secret) + len(w.configMap)), WithoutValue: w.withoutValue} //nolint:gosec // at most a few hundred keys
	if cm != nil {
		changed = changed || !cmFound || !maps.Equal(cm.Data, w.configMap)
		cm.Name, cm.Namespace, cm.Data = spec.ConfigMap.Name, s.obj.Namespace, w.configMap
		if err := r.writeObject(ctx, "ConfigMap", cmFound, cm, meta); err != nil {
			return true, err
		}
		st.Outputs.ConfigMapName = cm.Name
	}
	if changed {
		where := "Secret " + spec.Name
		if cm != nil {
			where += " and ConfigMap " + cm.Name
		}
		r.Recorder.Eventf(s.obj, corev1.EventTypeNormal, "OutputsWritten", "Wrote %d outputs of stack %s to %s", st.Outputs.Keys, s.id, where)
	}
	return false, nil
}

// writeObject creates o, or updates it when it exists, after meta set its
// labels, annotations and owner.
func (r *StackReconciler) writeObject(ctx context.Context, kind string, exists bool, o client.Object, meta func(client.Object) error) error {
	if err := meta(o); err != nil {
		return fmt.Errorf("setting the owner of outputs %s %s: %w", kind, o.GetName(), err)
	}
	if exists {
		if err := r.Update(ctx, o); err != nil {
			return fmt.Errorf("updating outputs %s %s: %w", kind, o.GetName(), err)
		}
		return nil
	}
	if err := r.Create(ctx, o); err != nil {
		return fmt.Errorf("creating outputs %s %s: %w", kind, o.GetName(), err)
	}
	return nil
}

// getIfExists reads an object; found is false when it does not exist.
func getIfExists(ctx context.Context, c client.Reader, key types.NamespacedName, o client.Object) (bool, error) {
	err := c.Get(ctx, key, o)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading %T %s: %w", o, key, err)
	}
	return true, nil
}

// annotationsIf returns the object's annotations (never nil) when found, else
// nil.
func annotationsIf(found bool, o client.Object) map[string]string {
	if !found {
		return nil
	}
	if a := o.GetAnnotations(); a != nil {
		return a
	}
	return map[string]string{}
}

// mergeMaps returns a copy of base with over's entries set.
func mergeMaps(base, over map[string]string) map[string]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, over)
	return out
}
