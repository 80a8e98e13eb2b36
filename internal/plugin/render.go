package plugin

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/controllers"
	"github.com/stackwright/spacelift-operator/internal/adminstack"
	"github.com/stackwright/spacelift-operator/internal/render"
)

var renderCommand = command{
	short: "the children AdminStacks would write; --diff against the cluster",
	usage: "render -f adminstack.yaml --source DIR [--diff]",
	help: "Prints the Stack and AdminStack objects the AdminStacks of a manifest would write, from the atmos\n" +
		"tree in DIR (as `spacelift-operator render` does). With --diff it compares them with the live\n" +
		"cluster instead: children to be created, changed (a unified diff of spec, after a server-side\n" +
		"dry-run apply) and pruned, and whether the prune guard would stop the prune. AdminStacks whose\n" +
		"manifest names no namespace get -n, else (with --diff) the context's namespace, else default.",
	lazy: true,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		var o renderOptions
		fs.StringVar(&o.file, "f", "", "manifest with one or more AdminStacks (- reads standard input)")
		fs.StringVar(&o.dir, "source", "", "the atmos tree: the directory the ConfigMaps are made from, or a checkout of the Git repository (spec.source.git.path is applied)")
		fs.BoolVar(&o.diff, "diff", false, "compare with the live cluster instead of printing the objects")
		fs.BoolVar(&o.offline, "offline", false, "do not look up worker pool, space and context names even when SPACELIFT_API_KEY_* are set")
		return func(ctx context.Context, e *env, args []string) error {
			return runRender(ctx, e, args, o)
		}
	},
}

type renderOptions struct {
	file, dir     string
	diff, offline bool
}

const renderPrefix = "kubectl-spacelift render: "

func runRender(ctx context.Context, e *env, args []string, o renderOptions) error {
	if o.file == "" || o.dir == "" || len(args) > 0 {
		return usageError("render needs -f MANIFEST and --source DIR and takes no arguments")
	}
	namespace := e.kube.namespace
	if o.diff {
		if err := e.connect(); err != nil {
			return err
		}
		namespace = e.namespace
	}
	if namespace == "" {
		namespace = "default"
	}
	admins, err := render.ReadAdminStacks(o.file, namespace, e.opts.Stdin)
	if err != nil {
		return err
	}
	names, err := render.NewNames(o.offline)
	if err != nil {
		return err
	}
	sets, ok := render.All(admins, o.dir, names, e.opts.Stderr, renderPrefix)
	if !ok {
		return fmt.Errorf("the AdminStacks above would be Stalled; nothing to show")
	}
	defer names.WriteUnresolved(e.opts.Stderr, renderPrefix)
	if !o.diff {
		return render.WriteYAML(e.opts.Stdout, sets)
	}
	for _, set := range sets {
		d, err := e.diffSet(ctx, set)
		if err != nil {
			return err
		}
		d.write(e.opts.Stdout)
	}
	return nil
}

// setDiff compares what one AdminStack would write with what it controls.
type setDiff struct {
	admin *spaceliftv1alpha1.AdminStack
	// live is false when the AdminStack does not exist yet.
	live bool
	// create, conflict and unchanged are child keys (Kind/Name), sorted.
	create, conflict, unchanged []string
	// change holds the spec diff of each changed child, by key.
	change map[string]string
	// prune lists the children it controls that the new set lacks.
	prune []string
	// total counts the children it controls, its admin Stack left out, as
	// the prune guard does.
	total int
}

// diffSet reads the live AdminStack and the children it controls and
// classifies the rendered children.
func (e *env) diffSet(ctx context.Context, set render.Set) (*setDiff, error) {
	a := set.AdminStack
	d := &setDiff{admin: a, change: map[string]string{}}
	live := &spaceliftv1alpha1.AdminStack{}
	err := e.c.Get(ctx, client.ObjectKeyFromObject(a), live)
	switch {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil:
		return nil, fmt.Errorf("reading AdminStack %s/%s: %w", a.Namespace, a.Name, err)
	default:
		d.live = true
	}
	existing, err := e.existing(ctx, a.Namespace)
	if err != nil {
		return nil, err
	}
	var uid types.UID
	if live != nil {
		uid = live.UID
	}
	wanted := map[string]bool{}
	for _, obj := range set.Objects {
		key := render.Kind(obj) + "/" + obj.GetName()
		wanted[key] = true
		cur := existing[key]
		switch {
		case cur == nil:
			d.create = append(d.create, key)
		case uid == "" || controllerOf(cur) != uid:
			d.conflict = append(d.conflict, key)
		default:
			diff, err := e.specDiff(ctx, key, obj, cur)
			if err != nil {
				return nil, err
			}
			if diff == "" {
				d.unchanged = append(d.unchanged, key)
			} else {
				d.change[key] = diff
			}
		}
	}
	if uid != "" {
		adminKey := "Stack/" + adminstack.AdminObjectName(a.Name)
		for key, obj := range existing {
			if controllerOf(obj) != uid || key == adminKey || !obj.GetDeletionTimestamp().IsZero() {
				continue
			}
			d.total++
			if !wanted[key] {
				d.prune = append(d.prune, key)
			}
		}
	}
	for _, s := range [][]string{d.create, d.conflict, d.unchanged, d.prune} {
		sort.Strings(s)
	}
	return d, nil
}

// existing lists the Stacks and AdminStacks of a namespace by Kind/Name.
func (e *env) existing(ctx context.Context, namespace string) (map[string]client.Object, error) {
	var stacks spaceliftv1alpha1.StackList
	if err := e.c.List(ctx, &stacks, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing Stacks in namespace %s: %w", namespace, err)
	}
	var admins spaceliftv1alpha1.AdminStackList
	if err := e.c.List(ctx, &admins, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing AdminStacks in namespace %s: %w", namespace, err)
	}
	out := map[string]client.Object{}
	for i := range stacks.Items {
		out["Stack/"+stacks.Items[i].Name] = &stacks.Items[i]
	}
	for i := range admins.Items {
		out["AdminStack/"+admins.Items[i].Name] = &admins.Items[i]
	}
	return out, nil
}

// specDiff is the unified diff between the live spec of cur and the spec it
// would have once the AdminStack controller applied obj: the server computes
// that with a dry-run server-side apply under the controller's field
// manager, so that defaults and fields the controller no longer sets come out
// as the real apply makes them. Empty when equal.
func (e *env) specDiff(ctx context.Context, key string, obj, cur client.Object) (string, error) {
	obj = obj.DeepCopyObject().(client.Object)
	if st, ok := obj.(*spaceliftv1alpha1.Stack); ok {
		// The controller keeps manageState as created: it is immutable.
		if prev := cur.(*spaceliftv1alpha1.Stack).Spec.ManageState; prev != nil {
			st.Spec.ManageState = prev
		}
	}
	body, err := render.Map(obj)
	if err != nil {
		return "", fmt.Errorf("encoding %s: %w", key, err)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("encoding %s: %w", key, err)
	}
	after := &unstructured.Unstructured{}
	after.SetGroupVersionKind(spaceliftv1alpha1.GroupVersion.WithKind(render.Kind(obj)))
	after.SetNamespace(obj.GetNamespace())
	after.SetName(obj.GetName())
	if err := e.c.Patch(ctx, after, client.RawPatch(types.ApplyPatchType, data), client.DryRunAll,
		client.FieldOwner(controllers.AdminStackFieldOwner), client.ForceOwnership); err != nil {
		return "", fmt.Errorf("dry-run applying %s: %w", key, err)
	}
	liveMap, err := runtime.DefaultUnstructuredConverter.ToUnstructured(cur)
	if err != nil {
		return "", fmt.Errorf("converting %s: %w", key, err)
	}
	was, err := yaml.Marshal(liveMap["spec"])
	if err != nil {
		return "", fmt.Errorf("encoding the live spec of %s: %w", key, err)
	}
	will, err := yaml.Marshal(after.Object["spec"])
	if err != nil {
		return "", fmt.Errorf("encoding the rendered spec of %s: %w", key, err)
	}
	return unifiedDiff("live "+key+" spec", "rendered "+key+" spec", string(was), string(will)), nil
}

// write prints the diff of one AdminStack.
func (d *setDiff) write(w io.Writer) {
	a := d.admin
	if !d.live {
		fmt.Fprintf(w, "AdminStack %s/%s does not exist yet: %d to create\n", a.Namespace, a.Name, len(d.create)+len(d.conflict))
	} else {
		fmt.Fprintf(w, "AdminStack %s/%s: %d to create, %d to change, %d to prune, %d unchanged\n",
			a.Namespace, a.Name, len(d.create), len(d.change), len(d.prune), len(d.unchanged))
	}
	for _, k := range d.create {
		fmt.Fprintf(w, "  + %s\n", k)
	}
	for _, k := range d.conflict {
		fmt.Fprintf(w, "  ! %s exists and is not controlled by this AdminStack: it would be Stalled (%s or %s) until that object is removed or renamed\n",
			k, spaceliftv1alpha1.ReasonAlreadyExists, spaceliftv1alpha1.ReasonOwnedByAnother)
	}
	changed := make([]string, 0, len(d.change))
	for k := range d.change {
		changed = append(changed, k)
	}
	sort.Strings(changed)
	for _, k := range changed {
		fmt.Fprintf(w, "  ~ %s\n", k)
		for _, line := range strings.SplitAfter(strings.TrimSuffix(d.change[k], "\n"), "\n") {
			fmt.Fprintf(w, "      %s", strings.TrimSuffix(line, "\n")+"\n")
		}
	}
	if len(d.prune) == 0 {
		return
	}
	if !a.Spec.Prune {
		for _, k := range d.prune {
			fmt.Fprintf(w, "  = %s is no longer selected and is kept (spec.prune is false)\n", k)
		}
		return
	}
	for _, k := range d.prune {
		fmt.Fprintf(w, "  - %s\n", k)
	}
	blocked, why := pruneGuardBlocks(a.Spec.PruneGuard, len(d.prune), d.total)
	if blocked {
		fmt.Fprintf(w, "  prune guard: this change would delete %d of %d children (%s): the AdminStack would be Stalled (%s) and delete nothing until annotated %s=<the token its message names>\n",
			len(d.prune), d.total, why, spaceliftv1alpha1.ReasonPruneBlocked, spaceliftv1alpha1.AnnotationConfirmPrune)
		return
	}
	fmt.Fprintf(w, "  prune guard: deleting %d of %d children goes ahead (%s)\n", len(d.prune), d.total, why)
}
