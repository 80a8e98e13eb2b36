// Package render computes, without a cluster, the objects AdminStacks would
// write: adminstack.Build over atmos.Expand, with worker pool, space and
// context names looked up in Spacelift when the SPACELIFT_API_KEY_* variables
// spacectl uses are set. The operator's render subcommand and the
// kubectl-spacelift plugin share it; cmd/render_test.go and
// cmd/render_names_test.go test it through the render subcommand.
package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/controllers"
	"github.com/stackwright/spacelift-operator/internal/adminstack"
	"github.com/stackwright/spacelift-operator/internal/atmos"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// lookupTimeout bounds the name lookups of one AdminStack.
const lookupTimeout = time.Minute

// Set is what one AdminStack would write.
type Set struct {
	// AdminStack is the AdminStack that writes Objects: one read from a
	// manifest, or a child AdminStack a root admin would write.
	AdminStack *spaceliftv1alpha1.AdminStack
	// Objects are its children in adminstack.Build's order: the admin
	// stack's Stack, the Stacks, then the child AdminStacks.
	Objects []client.Object
}

// Names looks up the worker pool, space and context names of rendered stacks
// in Spacelift, or records them as unresolved when offline.
type Names struct {
	// api is nil offline.
	api controllers.DirectoryAPI
	dir map[string]*adminstack.Directory
	// unresolved lists, offline, each value left as written.
	unresolved []string
}

// NewNames connects to Spacelift with the SPACELIFT_API_KEY_ENDPOINT,
// SPACELIFT_API_KEY_ID and SPACELIFT_API_KEY_SECRET variables, unless offline
// is set or they are not all set; then names are left as written.
func NewNames(offline bool) (*Names, error) {
	creds := CredentialsFromEnv()
	if offline || creds.Endpoint == "" || creds.KeyID == "" || creds.KeySecret == "" {
		return &Names{}, nil
	}
	c, err := spacelift.New(creds, spacelift.Options{})
	if err != nil {
		return nil, fmt.Errorf("connecting to Spacelift at %s: %w", creds.Endpoint, err)
	}
	return &Names{api: c, dir: map[string]*adminstack.Directory{}}, nil
}

// CredentialsFromEnv reads the API key from the variables spacectl uses.
func CredentialsFromEnv() spacelift.Credentials {
	return spacelift.Credentials{Endpoint: os.Getenv("SPACELIFT_API_KEY_ENDPOINT"),
		KeyID: os.Getenv("SPACELIFT_API_KEY_ID"), KeySecret: os.Getenv("SPACELIFT_API_KEY_SECRET")}
}

// Unresolved lists, sorted and without duplicates, the names left as written
// because no Spacelift credentials were set.
func (n *Names) Unresolved() []string {
	return slices.Compact(slices.Sorted(slices.Values(n.unresolved)))
}

// resolve turns the names of d into ids; problems are unknown names.
func (n *Names) resolve(d *adminstack.Desired) ([]adminstack.Problem, error) {
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
		ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
		defer cancel()
		var err error
		if dir, err = controllers.LookUpDirectory(ctx, n.api, kinds); err != nil {
			return nil, err
		}
		n.dir[key] = dir
	}
	return adminstack.ResolveNames(d, dir), nil
}

// Tree expands the atmos tree in dir (with spec.source.git.path applied) for
// one AdminStack and returns what it would write and, for a root admin, what
// each of its child AdminStacks would write (they read the same tree and
// atmos settings), parents first. Problems, by AdminStack name, are what the
// AdminStack controller would refuse; there are no sets then.
func Tree(a *spaceliftv1alpha1.AdminStack, dir string, names *Names) ([]Set, map[string][]adminstack.Problem, error) {
	at := a.Spec.Atmos
	opts := atmos.Options{Overrides: atmos.Settings{
		BasePath: at.BasePath, IncludedPaths: at.IncludedPaths, ExcludedPaths: at.ExcludedPaths, NamePattern: at.NamePattern,
	}}
	if g := a.Spec.Source.Git; g != nil && g.Path != "" {
		dir = filepath.Join(dir, filepath.FromSlash(string(g.Path)))
		opts.RepoPath = string(g.Path) // read only that directory, as the controller does
	}
	records, err := atmos.Expand(os.DirFS(dir), opts)
	if err != nil {
		return nil, nil, fmt.Errorf("expanding the atmos configuration in %s: %w", dir, err)
	}
	problems := map[string][]adminstack.Problem{}
	sets, err := renderAdminStack(a, records, names, problems)
	if len(problems) > 0 {
		return nil, problems, err
	}
	return sets, nil, err
}

// renderAdminStack computes the set of one AdminStack and, for a root
// admin, those of its child AdminStacks.
func renderAdminStack(a *spaceliftv1alpha1.AdminStack, records []atmos.Record, names *Names, problems map[string][]adminstack.Problem) ([]Set, error) {
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
	set := Set{AdminStack: a, Objects: []client.Object{d.Admin}}
	for _, s := range d.Stacks {
		set.Objects = append(set.Objects, s)
	}
	for _, c := range d.AdminStacks {
		set.Objects = append(set.Objects, c)
	}
	out := []Set{set}
	for _, c := range d.AdminStacks {
		sets, err := renderAdminStack(c, records, names, problems)
		if err != nil {
			return nil, err
		}
		out = append(out, sets...)
	}
	return out, nil
}

// Kind is the kind of a rendered object: Stack or AdminStack.
func Kind(obj client.Object) string {
	if _, ok := obj.(*spaceliftv1alpha1.AdminStack); ok {
		return "AdminStack"
	}
	return "Stack"
}

// SortedProblems formats problems, sorted.
func SortedProblems(problems []adminstack.Problem) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = p.String()
	}
	sort.Strings(out)
	return out
}

// Map encodes obj as a JSON map without status, creation timestamp and
// empty mappings: the fields an apply of it sets.
func Map(obj runtime.Object) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	dropEmpty(m)
	return m, nil
}

// YAML encodes obj as Map does, as YAML.
func YAML(obj runtime.Object) ([]byte, error) {
	m, err := Map(obj)
	if err != nil {
		return nil, err
	}
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

// ReadAdminStacks decodes the AdminStacks of a multi-document manifest (file
// "-" reads stdin), with the CRD defaults that matter for rendering applied
// (the API server would apply them); those without a namespace get
// namespace.
func ReadAdminStacks(file, namespace string, stdin io.Reader) ([]*spaceliftv1alpha1.AdminStack, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(stdin)
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

// All renders every AdminStack of admins with Tree. Errors and the problems
// that would stall an AdminStack are written to stderr, each line starting
// with prefix; ok is false when there were any, and sets are then those of
// the AdminStacks that rendered.
func All(admins []*spaceliftv1alpha1.AdminStack, dir string, names *Names, stderr io.Writer, prefix string) (sets []Set, ok bool) {
	ok = true
	for _, a := range admins {
		got, problems, err := Tree(a, dir, names)
		switch {
		case err != nil:
			fmt.Fprintf(stderr, "%sAdminStack %s: %v\n", prefix, a.Name, err)
			ok = false
		case len(problems) > 0:
			for _, name := range slices.Sorted(maps.Keys(problems)) {
				fmt.Fprintf(stderr, "%sAdminStack %s would be Stalled:\n", prefix, name)
				for _, p := range SortedProblems(problems[name]) {
					fmt.Fprintf(stderr, "  - %s\n", p)
				}
			}
			ok = false
		default:
			sets = append(sets, got...)
		}
	}
	return sets, ok
}

// WriteYAML writes the objects of sets as YAML documents, Stacks then
// AdminStacks, each sorted by name.
func WriteYAML(w io.Writer, sets []Set) error {
	type doc struct {
		kind, name string
		yaml       []byte
	}
	var docs []doc
	for _, set := range sets {
		for _, obj := range set.Objects {
			data, err := YAML(obj)
			if err != nil {
				return fmt.Errorf("encoding %s %s: %w", Kind(obj), obj.GetName(), err)
			}
			docs = append(docs, doc{Kind(obj), obj.GetName(), data})
		}
	}
	sort.Slice(docs, func(i, j int) bool {
		if docs[i].kind != docs[j].kind {
			return docs[i].kind > docs[j].kind // Stack before AdminStack
		}
		return docs[i].name < docs[j].name
	})
	for _, d := range docs {
		if _, err := fmt.Fprintf(w, "---\n%s", d.yaml); err != nil {
			return err
		}
	}
	return nil
}

// WriteUnresolved tells, when names were left as written for want of
// credentials, which ones, each line starting with prefix.
func (n *Names) WriteUnresolved(w io.Writer, prefix string) {
	unresolved := n.Unresolved()
	if len(unresolved) == 0 {
		return
	}
	fmt.Fprintf(w, "%sran offline (set SPACELIFT_API_KEY_ENDPOINT, SPACELIFT_API_KEY_ID and SPACELIFT_API_KEY_SECRET to look names up): %d worker pool, space and context values are printed as written, not as Spacelift ids:\n", prefix, len(unresolved))
	for _, u := range unresolved {
		fmt.Fprintf(w, "  - %s\n", u)
	}
}
