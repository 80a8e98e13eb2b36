package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"

	rendering "github.com/stackwright/spacelift-operator/internal/render"
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
	admins, err := rendering.ReadAdminStacks(*file, *namespace, os.Stdin)
	if err != nil {
		fmt.Fprintf(stderr, "render: %v\n", err)
		return 1
	}
	names, err := rendering.NewNames(*offline)
	if err != nil {
		fmt.Fprintf(stderr, "render: %v\n", err)
		return 1
	}
	var docs []renderedObject
	failed := false
	for _, a := range admins {
		sets, problems, err := rendering.Tree(a, *dir, names)
		switch {
		case err != nil:
			fmt.Fprintf(stderr, "render: AdminStack %s: %v\n", a.Name, err)
			failed = true
		case len(problems) > 0:
			for _, name := range slices.Sorted(maps.Keys(problems)) {
				fmt.Fprintf(stderr, "render: AdminStack %s would be Stalled:\n", name)
				for _, p := range rendering.SortedProblems(problems[name]) {
					fmt.Fprintf(stderr, "  - %s\n", p)
				}
			}
			failed = true
		default:
			for _, set := range sets {
				for _, obj := range set.Objects {
					data, err := rendering.YAML(obj)
					if err != nil {
						fmt.Fprintf(stderr, "render: encoding %s %s: %v\n", rendering.Kind(obj), obj.GetName(), err)
						return 1
					}
					docs = append(docs, renderedObject{kind: rendering.Kind(obj), name: obj.GetName(), yaml: data})
				}
			}
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
	if unresolved := names.Unresolved(); len(unresolved) > 0 {
		fmt.Fprintf(stderr, "render: ran offline (set SPACELIFT_API_KEY_ENDPOINT, SPACELIFT_API_KEY_ID and SPACELIFT_API_KEY_SECRET to look names up): %d worker pool, space and context values are printed as written, not as Spacelift ids:\n", len(unresolved))
		for _, u := range unresolved {
			fmt.Fprintf(stderr, "  - %s\n", u)
		}
	}
	return 0
}

// renderedObject is one object of the output.
type renderedObject struct {
	kind, name string
	yaml       []byte
}
