package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/controllers"
	"github.com/stackwright/spacelift-operator/internal/adminstack"
	"github.com/stackwright/spacelift-operator/internal/atmos"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

func init() {
	subcommands["render"] = runRender
}

// runRender prints the objects the AdminStacks of a manifest would write, for
// review in pull requests.
func runRender(args []string) int {
	return render(args, os.Stdout, os.Stderr)
}

// render implements the render subcommand: it reads the AdminStacks of -f,
// expands the atmos tree in --source and writes every object they would
// apply (for a root admin also what its child AdminStacks would apply) as
// YAML documents, Stacks then AdminStacks, each sorted by name. It exits 1 when the
// AdminStack controller would refuse the set (the problems go to stderr),
// and 2 on a usage error.
//
// It works offline: Policy objects are not checked, and a native dependency
// on a stack outside the selection gets the object name that stack's own
// AdminStack would give it.
func render(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "manifest with one or more AdminStacks (- reads standard input)")
	dir := fs.String("source", "", "the atmos tree: the directory the ConfigMaps are made from, or a checkout of the Git repository (spec.source.git.path is applied)")
	namespace := fs.String("namespace", "default", "namespace of AdminStacks whose manifest names none")
	offline := fs.Bool("offline", false, "do not look up worker pool, space and context names even when SPACELIFT_API_KEY_* are set")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: spacelift-operator render -f adminstack.yaml --source DIR")
		fmt.Fprintln(stderr, "Prints the Stack and AdminStack objects the AdminStacks would write.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *file == "" || *dir == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	admins, err := readAdminStacks(*file, *namespace)
	if err != nil {
		fmt.Fprintf(stderr, "render: %v\n", err)
		return 1
	}
	names, err := nameResolver(*offline)
	if err != nil {
		fmt.Fprintf(stderr, "render: %v\n", err)
		return 1
	}
	var docs []renderedObject
	failed := false
	for _, a := range admins {
		objs, problems, err := renderTree(a, *dir, names)
		switch {
		case err != nil:
			fmt.Fprintf(stderr, "render: AdminStack %s: %v\n", a.Name, err)
			failed = true
		case len(problems) > 0:
			for _, name := range slices.Sorted(maps.Keys(problems)) {
				fmt.Fprintf(stderr, "render: AdminStack %s would be Stalled:\n", name)
				for _, p := range sortedProblems(problems[name]) {
					fmt.Fprintf(stderr, "  - %s\n", p)
				}
			}
			failed = true
		default:
			docs = append(docs, objs...)
		}
	}
	if failed {
		return 1
	}
	sort.Slice(docs, func(i, j int) bool {
		if docs[i].kind != docs[j].kind {
			return docs[i].kind > docs[j].kind // Stack before AdminStack
		}
		return docs[i].name < docs[j].name
	})
	for _, d := range docs {
		fmt.Fprintf(stdout, "---\n%s", d.yaml)
	}
	if n := len(names.unresolved); n > 0 {
		fmt.Fprintf(stderr, "render: ran offline (set SPACELIFT_API_KEY_ENDPOINT, SPACELIFT_API_KEY_ID and SPACELIFT_API_KEY_SECRET to look names up): %d worker pool, space and context values are printed as written, not as Spacelift ids:\n", n)
		for _, u := range slices.Compact(slices.Sorted(slices.Values(names.unresolved))) {
			fmt.Fprintf(stderr, "  - %s\n", u)
		}
	}
	return 0
}

// names looks up the worker pool, space and context names of rendered
// stacks in Spacelift, or records them as unresolved when offline.
type names struct {
	// api is nil offline.
	api controllers.DirectoryAPI
	dir map[string]*adminstack.Directory
	// unresolved lists, offline, each value left as written.
	unresolved []string
}

// nameResolver connects to Spacelift with the SPACELIFT_API_KEY_* variables
// spacectl uses, unless offline is set or they are not all set.
func nameResolver(offline bool) (*names, error) {
	creds := spacelift.Credentials{Endpoint: os.Getenv("SPACELIFT_API_KEY_ENDPOINT"),
		KeyID: os.Getenv("SPACELIFT_API_KEY_ID"), KeySecret: os.Getenv("SPACELIFT_API_KEY_SECRET")}
	if offline || creds.Endpoint == "" || creds.KeyID == "" || creds.KeySecret == "" {
		return &names{}, nil
	}
	c, err := spacelift.New(creds, spacelift.Options{Metrics: &spacelift.Metrics{}})
	if err != nil {
		return nil, fmt.Errorf("connecting to Spacelift at %s: %w", creds.Endpoint, err)
	}
	return &names{api: c, dir: map[string]*adminstack.Directory{}}, nil
}

// resolve turns the names of d into ids; problems are unknown names.
func (n *names) resolve(d *adminstack.Desired) ([]adminstack.Problem, error) {
	if len(d.Names) == 0 {
		return nil, nil
	}
	if n.api == nil {
		for _, r := range d.Names {
			n.unresolved = append(n.unresolved, fmt.Sprintf("%s %q (%s)", r.Kind, r.Value, r.Source))
		}
		return nil, nil
	}
	kinds := d.NeededKinds()
	key := fmt.Sprint(kinds)
	dir, ok := n.dir[key]
	if !ok {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var err error
		if dir, err = controllers.LookUpDirectory(ctx, n.api, kinds); err != nil {
			return nil, err
		}
		n.dir[key] = dir
	}
	return adminstack.ResolveNames(d, dir), nil
}

// renderedObject is one object of the output.
type renderedObject struct {
	kind, name string
	yaml       []byte
}

// renderTree expands the tree in dir (with spec.source.git.path applied) for
// one AdminStack and renders its objects; problems are by AdminStack name.
func renderTree(a *spaceliftv1alpha1.AdminStack, dir string, names *names) ([]renderedObject, map[string][]adminstack.Problem, error) {
	if g := a.Spec.Source.Git; g != nil && g.Path != "" {
		dir = filepath.Join(dir, filepath.FromSlash(g.Path))
	}
	at := a.Spec.Atmos
	records, err := atmos.Expand(os.DirFS(dir), atmos.Options{Overrides: atmos.Settings{
		BasePath: at.BasePath, IncludedPaths: at.IncludedPaths, ExcludedPaths: at.ExcludedPaths, NamePattern: at.NamePattern,
	}})
	if err != nil {
		return nil, nil, fmt.Errorf("expanding the atmos configuration in %s: %w", dir, err)
	}
	problems := map[string][]adminstack.Problem{}
	objs, err := renderAdminStack(a, records, names, problems)
	if len(problems) > 0 {
		return nil, problems, err
	}
	return objs, nil, err
}

// renderAdminStack renders the objects of one AdminStack and, for a root
// admin, those of its child AdminStacks (which read the same tree and
// atmos settings).
func renderAdminStack(a *spaceliftv1alpha1.AdminStack, records []atmos.Record, names *names, problems map[string][]adminstack.Problem) ([]renderedObject, error) {
	d, found := adminstack.Build(a, records, nil)
	if len(found) > 0 {
		problems[a.Name] = found
		return nil, nil
	}
	found, err := names.resolve(&d)
	if err != nil {
		return nil, fmt.Errorf("looking up names in Spacelift: %w", err)
	}
	if len(found) > 0 {
		problems[a.Name] = found
		return nil, nil
	}
	var out []renderedObject
	add := func(kind string, obj runtime.Object, name string) error {
		data, err := cleanYAML(obj)
		if err != nil {
			return fmt.Errorf("encoding %s %s: %w", kind, name, err)
		}
		out = append(out, renderedObject{kind: kind, name: name, yaml: data})
		return nil
	}
	for _, s := range append([]*spaceliftv1alpha1.Stack{d.Admin}, d.Stacks...) {
		if err := add("Stack", s, s.Name); err != nil {
			return nil, err
		}
	}
	for _, c := range d.AdminStacks {
		if err := add("AdminStack", c, c.Name); err != nil {
			return nil, err
		}
		objs, err := renderAdminStack(c, records, names, problems)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

func sortedProblems(problems []adminstack.Problem) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = p.String()
	}
	sort.Strings(out)
	return out
}

// cleanYAML encodes obj without status, creation timestamp and empty mappings.
func cleanYAML(obj runtime.Object) ([]byte, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	dropEmpty(m)
	return yaml.Marshal(m)
}

func dropEmpty(m map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			dropEmpty(sub)
			if len(sub) == 0 {
				delete(m, k)
			}
		}
	}
}

// readAdminStacks decodes the AdminStacks of a multi-document manifest, with
// the CRD defaults that matter for rendering applied (the API server would
// apply them).
func readAdminStacks(file, namespace string) ([]*spaceliftv1alpha1.AdminStack, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*spaceliftv1alpha1.AdminStack
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if doc["kind"] != "AdminStack" || doc["apiVersion"] != spaceliftv1alpha1.GroupVersion.String() {
			continue
		}
		applyRenderDefaults(doc)
		raw, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		a := &spaceliftv1alpha1.AdminStack{}
		if err := yaml.UnmarshalStrict(raw, a); err != nil {
			return nil, fmt.Errorf("%s: decoding AdminStack: %w", file, err)
		}
		if a.Namespace == "" {
			a.Namespace = namespace
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no %s AdminStack", file, spaceliftv1alpha1.GroupVersion)
	}
	return out, nil
}

// applyRenderDefaults sets the CRD defaults of boolean fields that are true
// by default, which decoding cannot tell from false. The other defaults are
// either applied by the adminstack package or are defaults of the Stack CRD
// as well.
func applyRenderDefaults(doc map[string]any) {
	spec, _ := doc["spec"].(map[string]any)
	if spec == nil {
		return
	}
	if _, ok := spec["prune"]; !ok {
		spec["prune"] = true
	}
	d, _ := spec["childDefaults"].(map[string]any)
	if d == nil {
		return
	}
	defaultTrue := func(m map[string]any, keys ...string) {
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				m[k] = true
			}
		}
	}
	if dd, ok := d["driftDetection"].(map[string]any); ok {
		defaultTrue(dd, "enabled")
	}
	if aws, ok := d["awsIntegration"].(map[string]any); ok {
		defaultTrue(aws, "read", "write")
	}
	if w, ok := d["webhook"].(map[string]any); ok {
		defaultTrue(w, "enabled")
	}
}
