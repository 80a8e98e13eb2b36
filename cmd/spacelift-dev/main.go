// Command spacelift-dev runs the whole product on one machine: a local
// control plane (the envtest kube-apiserver and etcd), the Spacelift API
// emulator and the operator.
//
//	spacelift-dev demo   applies config/samples, waits for Ready, seeds a drift,
//	                     prints a summary and exits 0
//	spacelift-dev up     the same environment, kept running; writes .devenv/env
//	                     for kubectl, spacectl or the Spacelift Terraform provider
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/controllers"
	"github.com/stackwright/spacelift-operator/internal/metrics"
	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/source"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/spacelift/emulator"
	"github.com/stackwright/spacelift-operator/internal/testenv"
)

const namespace = "default"

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "demo" && os.Args[1] != "up") {
		fmt.Fprintln(os.Stderr, "usage: spacelift-dev demo|up [flags]")
		os.Exit(2)
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet("spacelift-dev "+mode, flag.ExitOnError)
	samples := fs.String("samples", "config/samples", "kustomization applied to the cluster")
	emulatorAddr := fs.String("emulator-addr", "127.0.0.1:0", "address of the Spacelift API emulator (port 0 picks a free one)")
	stateDir := fs.String("dir", ".devenv", "directory for the kubeconfig and the env file")
	timeout := fs.Duration("timeout", 4*time.Minute, "how long to wait for every object to be Ready")
	metricsDefault := "0"
	if mode == "up" {
		metricsDefault = "127.0.0.1:18080"
	}
	metricsAddr := fs.String("metrics-addr", metricsDefault, "address the operator's Prometheus metrics are served on (0 turns them off)")
	_ = fs.Parse(os.Args[2:])
	logFile, err := operatorLog(*stateDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "spacelift-dev:", err)
		os.Exit(1)
	}
	defer logFile.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env, err := start(ctx, *emulatorAddr, *stateDir, *metricsAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "spacelift-dev:", err)
		os.Exit(1)
	}
	defer env.close()

	code := 0
	if err := env.demo(ctx, *samples, *timeout, mode == "demo"); err != nil {
		fmt.Fprintln(os.Stderr, "spacelift-dev:", err)
		code = 1
	}
	if mode == "up" && code == 0 {
		fmt.Printf("\nThe environment is up. In another shell:\n  source %s\n  kubectl get spacelift\nStop it with Ctrl-C or `make dev-env-down`.\n", filepath.Join(*stateDir, "env"))
		<-ctx.Done()
	}
	env.close()
	os.Exit(code)
}

// devEnv is a running control plane, emulator and operator.
type devEnv struct {
	k8s     client.Client
	emu     *emulator.Server
	sl      *spacelift.Client
	kubecfg string
	closers []func()
}

func (e *devEnv) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

// start brings up the control plane, the emulator and the operator, and
// writes the kubeconfig and env file into dir.
func start(ctx context.Context, emulatorAddr, dir, metricsAddr string) (*devEnv, error) {
	e := &devEnv{}
	step("starting a local control plane (kube-apiserver and etcd)")
	tenv, cfg, err := testenv.Start()
	if err != nil {
		return nil, err
	}
	e.closers = append(e.closers, func() { _ = tenv.Stop() })

	keyID, keySecret := "demo-key", randomHex(16)
	emu, err := emulator.New(emulator.Options{APIKeyID: keyID, APIKeySecret: keySecret, RunStepDuration: 200 * time.Millisecond})
	if err != nil {
		e.close()
		return nil, err
	}
	lis, err := net.Listen("tcp", emulatorAddr)
	if err != nil {
		e.close()
		return nil, fmt.Errorf("listening for the emulator: %w", err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	runCtx, cancel := context.WithCancel(ctx)
	go emu.RunScheduler(runCtx, 100*time.Millisecond)
	e.closers = append(e.closers, func() { cancel(); _ = srv.Close(); _ = emu.Close() })
	e.emu = emu
	endpoint := "http://" + lis.Addr().String()
	step("Spacelift API emulator on " + endpoint + "/graphql")

	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = spaceliftv1alpha1.AddToScheme(scheme)
	if e.k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		e.close()
		return nil, err
	}
	creds := spacelift.Credentials{Endpoint: endpoint, KeyID: keyID, KeySecret: keySecret}
	// The demo's own client is not observed: only the operator's requests
	// are counted on the metrics endpoint.
	if e.sl, err = spacelift.New(creds, spacelift.Options{}); err != nil {
		e.close()
		return nil, err
	}
	if err := e.writeFiles(dir, tenv.KubeConfig, creds); err != nil {
		e.close()
		return nil, err
	}
	if err := e.seedSecrets(ctx, creds); err != nil {
		e.close()
		return nil, err
	}

	step("starting the operator (log: " + filepath.Join(dir, "operator.log") + ")")
	if metricsAddr != "0" {
		step("operator metrics on http://" + metricsAddr + "/metrics")
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: metricsAddr}})
	if err != nil {
		e.close()
		return nil, err
	}
	requests, err := metrics.NewSpaceliftRequests(ctrlmetrics.Registry)
	if err != nil {
		e.close()
		return nil, err
	}
	signer := &controllers.RunSigner{Reader: mgr.GetClient(), Secret: types.NamespacedName{Namespace: namespace, Name: "run-signing-key"}, Key: controllers.DefaultSigningKeyKey}
	deps := controllers.Dependencies{
		Credentials: &controllers.Credentials{Reader: mgr.GetClient(), Cache: spacelift.NewClientCache(spacelift.Options{Observer: requests}),
			Default: types.NamespacedName{Namespace: namespace, Name: "spacelift-credentials"}},
		Signer:     signer,
		PublicKeys: types.NamespacedName{Namespace: namespace, Name: "spacelift-run-signing-public-keys"},
		// The whole environment is on this machine: AdminStacks may read
		// repositories from its disk or from a Git server on localhost.
		Git: source.NewGitWithOptions(source.GitOptions{MaxEntries: 16, AllowLocal: true, AllowPrivateHosts: true}),
	}
	if err := controllers.SetupAll(mgr, controllers.Options{SyncInterval: 5 * time.Second, MaxConcurrentReconciles: 4}, deps); err != nil {
		e.close()
		return nil, err
	}
	mgrCtx, mgrCancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = mgr.Start(mgrCtx); close(done) }()
	e.closers = append(e.closers, func() { mgrCancel(); <-done })
	return e, nil
}

// operatorLog sends the operator's log (JSON lines, info and above, no
// stack traces) to <dir>/operator.log, truncated at every start.
func operatorLog(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	f, err := os.Create(filepath.Join(dir, "operator.log"))
	if err != nil {
		return nil, fmt.Errorf("creating the operator log: %w", err)
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(f), zap.StacktraceLevel(zapcore.PanicLevel)))
	return f, nil
}

// writeFiles writes the kubeconfig and a shell-sourceable env file.
func (e *devEnv) writeFiles(dir string, kubeconfig []byte, c spacelift.Credentials) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	e.kubecfg = filepath.Join(abs, "kubeconfig")
	if err := os.WriteFile(e.kubecfg, kubeconfig, 0o600); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	env := fmt.Sprintf("# Written by spacelift-dev; source it to point kubectl and spacectl at the dev environment.\n"+
		"export KUBECONFIG=%q\nexport SPACELIFT_API_KEY_ENDPOINT=%q\nexport SPACELIFT_API_KEY_ID=%q\nexport SPACELIFT_API_KEY_SECRET=%q\nexport SPACELIFT_DEV_PID=%d\n",
		e.kubecfg, c.Endpoint, c.KeyID, c.KeySecret, os.Getpid())
	if err := os.WriteFile(filepath.Join(abs, "env"), []byte(env), 0o600); err != nil {
		return fmt.Errorf("writing env file: %w", err)
	}
	return os.WriteFile(filepath.Join(abs, "pid"), []byte(fmt.Sprint(os.Getpid())), 0o600)
}

// seedSecrets creates the operator's credentials Secret and a run signing key.
func (e *devEnv) seedSecrets(ctx context.Context, c spacelift.Credentials) error {
	_, priv, err := runmeta.GenerateKey()
	if err != nil {
		return err
	}
	pemKey, err := runmeta.MarshalPrivateKeyPEM(priv)
	if err != nil {
		return err
	}
	for _, s := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "spacelift-credentials", Namespace: namespace}, StringData: map[string]string{
			spacelift.SecretKeyEndpoint: c.Endpoint, spacelift.SecretKeyID: c.KeyID, spacelift.SecretKeySecret: c.KeySecret}},
		{ObjectMeta: metav1.ObjectMeta{Name: "run-signing-key", Namespace: namespace}, Data: map[string][]byte{controllers.DefaultSigningKeyKey: pemKey}},
	} {
		if err := e.k8s.Create(ctx, s); err != nil {
			return fmt.Errorf("creating Secret %s: %w", s.Name, err)
		}
	}
	return nil
}

// demo applies the samples, waits for Ready, seeds a drift and prints what
// Kubernetes and Spacelift show.
func (e *devEnv) demo(ctx context.Context, samples string, timeout time.Duration, seedDrift bool) error {
	step("applying " + samples)
	objs, err := build(samples)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if o.GetNamespace() == "" {
			o.SetNamespace(namespace)
		}
		if err := e.k8s.Patch(ctx, o, client.Apply, client.FieldOwner("spacelift-dev"), client.ForceOwnership); err != nil { //nolint:staticcheck // unstructured apply
			return fmt.Errorf("applying %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	step(fmt.Sprintf("applied %d objects; waiting for every Stack, Policy and AdminStack to be Ready", len(objs)))
	if err := e.waitReady(ctx, timeout); err != nil {
		e.printSummary(ctx)
		return err
	}
	if seedDrift {
		if err := e.seedDrift(ctx, timeout); err != nil {
			e.printSummary(ctx)
			return err
		}
	}
	e.printSummary(ctx)
	return nil
}

// build renders a kustomization directory.
func build(dir string) ([]*unstructured.Unstructured, error) {
	resmap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", dir, err)
	}
	var out []*unstructured.Unstructured
	for _, r := range resmap.Resources() {
		m, err := r.Map()
		if err != nil {
			return nil, err
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	// ConfigMaps and Policies first, so that references resolve on the first try.
	order := map[string]int{"ConfigMap": 0, "Secret": 0, "Policy": 1, "Stack": 2, "AdminStack": 3}
	sort.SliceStable(out, func(i, j int) bool { return order[out[i].GetKind()] < order[out[j].GetKind()] })
	return out, nil
}

// objectRow is one line of the summary table.
type objectRow struct {
	kind, name, ready, drifted, id, message string
}

func (e *devEnv) rows(ctx context.Context) ([]objectRow, error) {
	var rows []objectRow
	add := func(kind, name, id string, conds []metav1.Condition) {
		r := objectRow{kind: kind, name: name, id: id, ready: "Unknown", drifted: "-"}
		if c := meta.FindStatusCondition(conds, spaceliftv1alpha1.ConditionReady); c != nil {
			r.ready, r.message = string(c.Status), c.Message
		}
		if c := meta.FindStatusCondition(conds, spaceliftv1alpha1.ConditionDrifted); c != nil {
			r.drifted = string(c.Status)
		}
		rows = append(rows, r)
	}
	var policies spaceliftv1alpha1.PolicyList
	var stacks spaceliftv1alpha1.StackList
	var admins spaceliftv1alpha1.AdminStackList
	for _, l := range []client.ObjectList{&policies, &stacks, &admins} {
		if err := e.k8s.List(ctx, l, client.InNamespace(namespace)); err != nil {
			return nil, err
		}
	}
	for _, p := range policies.Items {
		add("Policy", p.Name, p.Status.SpaceliftID, p.Status.Conditions)
	}
	for _, a := range admins.Items {
		add("AdminStack", a.Name, a.Status.SpaceliftID, a.Status.Conditions)
	}
	for _, s := range stacks.Items {
		add("Stack", s.Name, s.Status.SpaceliftID, s.Status.Conditions)
	}
	return rows, nil
}

// waitReady waits until every object of the three kinds is Ready.
func (e *devEnv) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		rows, err := e.rows(ctx)
		if err != nil {
			return err
		}
		var waiting []string
		for _, r := range rows {
			if r.ready != "True" {
				waiting = append(waiting, fmt.Sprintf("%s/%s (%s)", r.kind, r.name, r.message))
			}
		}
		if len(rows) > 0 && len(waiting) == 0 {
			step(fmt.Sprintf("all %d objects are Ready", len(rows)))
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not Ready after %s: %s", timeout, strings.Join(waiting, "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// seedDrift makes the emulator's next drift-detection run of the standalone
// sample stack find drifted resources, and waits for Drifted=True.
func (e *devEnv) seedDrift(ctx context.Context, timeout time.Duration) error {
	var s spaceliftv1alpha1.Stack
	if err := e.k8s.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "networking"}, &s); err != nil {
		return fmt.Errorf("reading the sample Stack networking: %w", err)
	}
	id := s.Status.SpaceliftID
	step("seeding drift in the emulator for stack " + id + " (2 of 3 resources changed outside Terraform)")
	if _, err := e.emu.SeedDrift(emulator.DriftSeed{Stack: id, Drifted: 2, RunDriftDetection: true,
		Entities: []emulator.SeedEntity{{Address: "aws_vpc.main", Type: "aws_vpc"}, {Address: "aws_subnet.private_a", Type: "aws_subnet"}, {Address: "aws_route_table.private", Type: "aws_route_table"}}}); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for !meta.IsStatusConditionTrue(s.Status.Conditions, spaceliftv1alpha1.ConditionDrifted) {
		if time.Now().After(deadline) {
			return errors.New("the sample stack did not report Drifted=True")
		}
		time.Sleep(time.Second)
		if err := e.k8s.Get(ctx, client.ObjectKeyFromObject(&s), &s); err != nil {
			return err
		}
	}
	c := meta.FindStatusCondition(s.Status.Conditions, spaceliftv1alpha1.ConditionDrifted)
	step("Stack networking is Drifted: " + c.Message)
	return nil
}

// printSummary prints the Kubernetes view (kubectl when it is installed) and
// the stacks as the emulator holds them.
func (e *devEnv) printSummary(ctx context.Context) {
	fmt.Println()
	fmt.Println("== Kubernetes: kubectl get spacelift")
	if path, err := exec.LookPath("kubectl"); err == nil {
		cmd := exec.CommandContext(ctx, path, "--kubeconfig", e.kubecfg, "get", "spacelift", "-n", namespace)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if cmd.Run() == nil {
			e.printEmulator(ctx)
			return
		}
	}
	rows, err := e.rows(ctx)
	if err != nil {
		fmt.Println("listing objects:", err)
		return
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tREADY\tDRIFTED\tSPACELIFT ID")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.kind, r.name, r.ready, r.drifted, r.id)
	}
	_ = tw.Flush()
	e.printEmulator(ctx)
}

func (e *devEnv) printEmulator(ctx context.Context) {
	fmt.Println()
	fmt.Println("== Spacelift (emulator): stacks")
	stacks, err := e.sl.SearchStacks(ctx)
	if err != nil {
		fmt.Println("searching stacks:", err)
		return
	}
	sort.Slice(stacks, func(i, j int) bool { return stacks[i].ID < stacks[j].ID })
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPROJECT ROOT\tSPACE\tLABELS")
	for _, s := range stacks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.ID, s.ProjectRoot, s.Space, strings.Join(s.Labels, ","))
	}
	_ = tw.Flush()
}

func step(msg string) { fmt.Printf("==> %s\n", msg) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
