package main

import (
	"flag"
	"fmt"
	"io"
	"os"

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
	sets, ok := rendering.All(admins, *dir, names, stderr, "render: ")
	if !ok {
		return 1
	}
	if err := rendering.WriteYAML(stdout, sets); err != nil {
		fmt.Fprintf(stderr, "render: %v\n", err)
		return 1
	}
	names.WriteUnresolved(stderr, "render: ")
	return 0
}
