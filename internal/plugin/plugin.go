// Package plugin implements kubectl-spacelift, the kubectl plugin for this
// operator's Stack, Policy and AdminStack objects: get (Flux-like tables),
// tree, drift, reconcile, confirm, discard and render (with a diff against
// the live cluster).
//
// It reads the kubeconfig the way kubectl does (KUBECONFIG, ~/.kube/config,
// --kubeconfig, --context) and writes nothing but annotations: every change
// it makes is one a person could commit to Git instead, and it prints that
// equivalent where it matters.
package plugin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// FieldManager is the field manager of the plugin's annotation patches.
const FieldManager = "kubectl-spacelift"

// Options are what Main takes from its surroundings; zero values mean the
// process's own.
type Options struct {
	// Stdin, Stdout and Stderr default to the process's.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Now is the clock (ages, request timestamps); time.Now when nil.
	Now func() time.Time
	// PollInterval is how often --wait reads the object; 1s when zero.
	PollInterval time.Duration
}

// errUsage marks a command line error; Main exits 2 on it.
var errUsage = errors.New("usage")

// usageError is a command line error that names the fix.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// command is one subcommand: its flags are added to fs, run gets the
// positional arguments.
type command struct {
	// usage is the synopsis, short a phrase for the command list, help
	// the description -h prints.
	usage, short, help string
	// flags adds the command's own flags and returns its runner.
	flags func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
	// offline commands connect to the cluster only when they need to.
	lazy bool
}

var commands = map[string]command{
	"get":       getCommand,
	"tree":      treeCommand,
	"drift":     driftCommand,
	"reconcile": reconcileCommand,
	"confirm":   confirmCommand,
	"discard":   discardCommand,
	"render":    renderCommand,
}

// env is what a command runs with.
type env struct {
	opts Options
	kube kubeFlags
	// c and namespace are set by connect.
	c         client.Client
	namespace string
}

// kubeFlags are the flags every command shares with kubectl.
type kubeFlags struct {
	kubeconfig    string
	context       string
	namespace     string
	allNamespaces bool
}

func (k *kubeFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&k.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	fs.StringVar(&k.context, "context", "", "the kubeconfig context to use")
	for _, n := range []string{"n", "namespace"} {
		fs.StringVar(&k.namespace, n, "", "the namespace (default: the context's namespace, else default)")
	}
	for _, n := range []string{"A", "all-namespaces"} {
		fs.BoolVar(&k.allNamespaces, n, false, "list the objects of every namespace")
	}
}

// Main runs kubectl-spacelift with args (without the program name) and
// returns the exit code: 0 on success, 1 on failure, 2 on a usage error.
func Main(ctx context.Context, args []string, o Options) int {
	if o.Stdin == nil {
		o.Stdin = os.Stdin
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollInterval == 0 {
		o.PollInterval = time.Second
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(o.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	name := args[0]
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(o.Stderr, "kubectl-spacelift: unknown command %q\n", name)
		printHelp(o.Stderr)
		return 2
	}
	e := &env{opts: o}
	fs := flag.NewFlagSet("kubectl spacelift "+name, flag.ContinueOnError)
	fs.SetOutput(o.Stderr)
	e.kube.add(fs)
	run := cmd.flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(o.Stderr, "Usage: kubectl spacelift %s\n%s\n\nFlags:\n", cmd.usage, cmd.help)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if !cmd.lazy {
		if err := e.connect(); err != nil {
			fmt.Fprintf(o.Stderr, "kubectl-spacelift %s: %v\n", name, err)
			return 1
		}
	}
	if err := run(ctx, e, pos); err != nil {
		fmt.Fprintf(o.Stderr, "kubectl-spacelift %s: %v\n", name, err)
		if errors.Is(err, errUsage) {
			fs.Usage()
			return 2
		}
		return 1
	}
	return 0
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "kubectl spacelift: inspect and drive the spacelift-operator's Stacks, Policies and AdminStacks.")
	fmt.Fprintln(w, "\nCommands:")
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range commands {
			if !yield(n) {
				return
			}
		}
	}) {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].short)
	}
	fmt.Fprintln(w, "\nEvery command takes --kubeconfig, --context, -n/--namespace; get and drift also -A/--all-namespaces.")
	fmt.Fprintln(w, "Run `kubectl spacelift COMMAND -h` for a command's flags.")
}

// parseInterspersed parses flags that come before, between or after the
// positional arguments, as kubectl allows; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// newScheme knows this operator's kinds.
func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(spaceliftv1alpha1.AddToScheme(s))
	return s
}

// connect builds the client from the kubeconfig, as kubectl does, and
// settles the namespace: -n, else the context's, else default.
func (e *env) connect() error {
	if e.c != nil {
		return nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = e.kube.kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: e.kube.context}
	overrides.Context.Namespace = e.kube.namespace
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return fmt.Errorf("loading the kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return fmt.Errorf("reading the namespace from the kubeconfig: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: newScheme()})
	if err != nil {
		return fmt.Errorf("connecting to the cluster at %s: %w", cfg.Host, err)
	}
	e.c, e.namespace = c, ns
	return nil
}

// listNamespace is the namespace option of a list: none with -A.
func (e *env) listOptions() []client.ListOption {
	if e.kube.allNamespaces {
		return nil
	}
	return []client.ListOption{client.InNamespace(e.namespace)}
}

// where names the scope of a list in messages.
func (e *env) where() string {
	if e.kube.allNamespaces {
		return "in any namespace"
	}
	return fmt.Sprintf("in namespace %s", e.namespace)
}
