// Command spacelift-operator runs the manager that syncs Stack, Policy and
// AdminStack objects to Spacelift.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/controllers"
	"github.com/stackwright/spacelift-operator/internal/metrics"
	"github.com/stackwright/spacelift-operator/internal/source"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
	"github.com/stackwright/spacelift-operator/internal/tenancy"
	"github.com/stackwright/spacelift-operator/internal/webhook"
)

var scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(spaceliftv1alpha1.AddToScheme(scheme))
}

// managerFlags are the command-line settings of the manager.
type managerFlags struct {
	metricsAddr      string
	secureMetrics    bool
	probeAddr        string
	leaderElect      bool
	leaderElectionID string
	watchNamespaces  string
	concurrency      int
	syncInterval     time.Duration
	enableHTTP2      bool
	// credentialsSecret is the default credentials Secret, namespace/name.
	credentialsSecret string
	spaceliftQPS      float64
	spaceliftBurst    int
	// signingKeySecret is the run signing key Secret, namespace/name.
	signingKeySecret string
	signingKeyKey    string
	publicKeyCM      string
	webhookAddr      string
	webhookSecret    string
	webhookKey       string
	// git are the limits of AdminStacks' Git sources.
	git source.GitOptions
	// tenancy, tenancySpaces and tenancyGrants are the tenancy defaults.
	tenancy       string
	tenancySpaces string
	tenancyGrants string
}

func main() {
	if len(os.Args) > 1 {
		if sub, ok := subcommands[os.Args[1]]; ok {
			os.Exit(sub(os.Args[2:]))
		}
	}
	os.Exit(runManager(os.Args[1:]))
}

// subcommands are the tools shipped in the operator binary besides the manager.
var subcommands = map[string]func(args []string) int{}

func runManager(args []string) int {
	var f managerFlags
	fs := flag.NewFlagSet("spacelift-operator", flag.ContinueOnError)
	fs.StringVar(&f.metricsAddr, "metrics-bind-address", "0", "Address the metrics endpoint binds to, e.g. :8443 (HTTPS) or :8080 (HTTP); 0 disables it.")
	fs.BoolVar(&f.secureMetrics, "metrics-secure", true, "Serve metrics over HTTPS with authentication and authorization.")
	fs.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "Address the health and readiness probes bind to.")
	fs.BoolVar(&f.leaderElect, "leader-elect", false, "Elect a leader so that only one replica reconciles.")
	fs.StringVar(&f.leaderElectionID, "leader-election-id", "spacelift-operator.stackwright.io", "Name of the leader-election Lease.")
	fs.StringVar(&f.watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch; empty watches all.")
	fs.IntVar(&f.concurrency, "concurrency", 32, "Parallel reconciles per kind. Their Spacelift requests share --spacelift-qps: concurrent changes go out together in one document.")
	fs.DurationVar(&f.syncInterval, "sync-interval", 10*time.Minute, "Default interval at which objects are re-checked against Spacelift.")
	fs.StringVar(&f.credentialsSecret, "credentials-secret", "", "Default Spacelift credentials Secret as namespace/name, for objects without spec.credentialsRef.")
	fs.Float64Var(&f.spaceliftQPS, "spacelift-qps", spacelift.DefaultQPS, "Sustained Spacelift API request rate shared by all reconciles.")
	fs.IntVar(&f.spaceliftBurst, "spacelift-burst", spacelift.DefaultBurst, "Spacelift API request burst.")
	fs.StringVar(&f.signingKeySecret, "signing-key-secret", "", "Secret (namespace/name) with the ed25519 key that signs run metadata; empty sends unsigned metadata.")
	fs.StringVar(&f.signingKeyKey, "signing-key-key", controllers.DefaultSigningKeyKey, "Data key of the signing key in --signing-key-secret.")
	fs.StringVar(&f.publicKeyCM, "public-key-configmap", "", "ConfigMap (namespace/name) the signing key's public half is published to; defaults to <secret namespace>/spacelift-run-signing-public-keys.")
	fs.StringVar(&f.webhookAddr, "webhook-bind-address", "", "Address of the Spacelift webhook receiver (POST /spacelift/webhook), e.g. :9443; empty disables it.")
	fs.StringVar(&f.webhookSecret, "webhook-secret", "", "Secret (namespace/name) holding the HMAC secret Spacelift signs webhooks with.")
	fs.StringVar(&f.webhookKey, "webhook-secret-key", "webhook-secret", "Data key of the HMAC secret in --webhook-secret.")
	fs.BoolVar(&f.git.AllowLocal, source.FlagAllowLocal, false, "Let AdminStacks read file:// URLs and local paths (spec.source.git.url), i.e. any repository on the operator's disk; for tests and demos only.")
	fs.BoolVar(&f.git.AllowPrivateHosts, source.FlagAllowPrivateHosts, false, "Let AdminStacks read Git repositories on loopback, private, link-local and other non-public addresses, e.g. a Git server inside the cluster.")
	fs.Int64Var(&f.git.MaxFileBytes, source.FlagMaxFileBytes, source.DefaultMaxFileBytes, "Largest file an AdminStack's Git source may hold under spec.source.git.path, in bytes.")
	fs.Int64Var(&f.git.MaxCheckoutBytes, source.FlagMaxCheckoutBytes, source.DefaultMaxCheckoutBytes, "Largest total of the files under an AdminStack's spec.source.git.path, in bytes.")
	fs.Int64Var(&f.git.MaxFetchBytes, source.FlagMaxFetchBytes, source.DefaultMaxFetchBytes, "Most bytes one Git fetch may receive over HTTP(S), in bytes.")
	fs.StringVar(&f.tenancy, "tenancy", "off", "enforce: each namespace may only use the Spacelift spaces and privileges granted to it (--tenancy-spaces, --tenancy-grants and the namespace annotations "+tenancy.AnnotationAllowedSpaces+" and "+tenancy.AnnotationGrants+"); off: every namespace may do anything the API key can.")
	fs.StringVar(&f.tenancySpaces, "tenancy-spaces", "", "With --tenancy=enforce, comma-separated Spacelift space ids (globs allowed) every namespace may use.")
	fs.StringVar(&f.tenancyGrants, "tenancy-grants", "", "With --tenancy=enforce, comma-separated grants every namespace has: "+tenancyGrantNames()+".")
	fs.BoolVar(&f.enableHTTP2, "enable-http2", false, "Serve the metrics endpoint over HTTP/2 as well (off: HTTP/2 rapid-reset mitigations).")
	// Errors are logged without stack traces: a transient Spacelift failure
	// is an expected event, not a bug (--zap-stacktrace-level overrides).
	opts := zap.Options{StacktraceLevel: zapcore.PanicLevel}
	opts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")

	if f.concurrency < 1 {
		log.Error(nil, "--concurrency must be at least 1", "concurrency", f.concurrency)
		return 2
	}
	if err := checkGitFlags(f.git); err != nil {
		log.Error(err, "invalid flags")
		return 2
	}
	copts, err := controllerOptions(f)
	if err != nil {
		log.Error(err, "invalid flags")
		return 2
	}
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), managerOptions(f))
	if err != nil {
		log.Error(err, "creating manager")
		return 1
	}
	deps, err := dependencies(mgr, f)
	if err != nil {
		log.Error(err, "invalid flags")
		return 2
	}
	if err := addWebhookReceiver(mgr, f, &deps); err != nil {
		log.Error(err, "setting up the webhook receiver")
		return 2
	}
	if err := controllers.SetupAll(mgr, copts, deps); err != nil {
		log.Error(err, "setting up controllers")
		return 1
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		log.Error(err, "adding health check")
		return 1
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		log.Error(err, "adding readiness check")
		return 1
	}
	log.Info("starting manager", "watchNamespaces", f.watchNamespaces, "concurrency", f.concurrency, "syncInterval", f.syncInterval.String())
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "running manager")
		return 1
	}
	return 0
}

// managerOptions turns the flags into controller-runtime manager options.
func managerOptions(f managerFlags) ctrl.Options {
	var tlsOpts []func(*tls.Config)
	if !f.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{
		BindAddress:   f.metricsAddr,
		SecureServing: f.secureMetrics,
		TLSOpts:       tlsOpts,
	}
	if f.secureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	o := ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsOpts,
		HealthProbeBindAddress:        f.probeAddr,
		LeaderElection:                f.leaderElect,
		LeaderElectionID:              f.leaderElectionID,
		LeaderElectionReleaseOnCancel: true,
	}
	// Secrets are read with direct GETs: a rotated key takes effect at once,
	// and the Secrets the flags name outside the watched namespaces (the
	// default credentials, the signing key, the webhook secret) can be read
	// with a Role limited to their names. The Stack and AdminStack
	// controllers still watch Secrets, which needs list and watch in the
	// watched namespaces.
	o.Client = client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}}
	if ns := splitNamespaces(f.watchNamespaces); len(ns) > 0 {
		o.Cache = cache.Options{DefaultNamespaces: map[string]cache.Config{}}
		for _, n := range ns {
			o.Cache.DefaultNamespaces[n] = cache.Config{}
		}
	}
	// managedFields are the largest part of a cached Stack (the AdminStack
	// applies its children server-side) and nothing here reads them.
	o.Cache.DefaultTransform = cache.TransformStripManagedFields()
	return o
}

// dependencies builds what the reconcilers share from the flags: the
// Spacelift client cache, whose requests are counted on the manager's
// metrics registry, the default credentials and the run signer.
func dependencies(mgr ctrl.Manager, f managerFlags) (controllers.Dependencies, error) {
	requests, err := metrics.NewSpaceliftRequests(ctrlmetrics.Registry)
	if err != nil {
		return controllers.Dependencies{}, err
	}
	git := f.git
	git.MaxEntries = gitCacheEntries
	d := controllers.Dependencies{Credentials: &controllers.Credentials{
		Reader: mgr.GetClient(),
		Cache:  spacelift.NewClientCache(spacelift.Options{QPS: f.spaceliftQPS, Burst: f.spaceliftBurst, Observer: requests}),
	}, Git: source.NewGitWithOptions(git)}
	if d.Credentials.Default, err = namespacedName("--credentials-secret", f.credentialsSecret); err != nil {
		return d, err
	}
	if f.signingKeySecret == "" {
		return d, nil
	}
	secret, err := namespacedName("--signing-key-secret", f.signingKeySecret)
	if err != nil {
		return d, err
	}
	d.Signer = &controllers.RunSigner{Reader: mgr.GetClient(), Secret: secret, Key: f.signingKeyKey}
	d.PublicKeys = types.NamespacedName{Namespace: secret.Namespace, Name: defaultPublicKeyConfigMap}
	if f.publicKeyCM != "" {
		if d.PublicKeys, err = namespacedName("--public-key-configmap", f.publicKeyCM); err != nil {
			return d, err
		}
	}
	return d, nil
}

// addWebhookReceiver serves the Spacelift webhook receiver when
// --webhook-bind-address is set. The HMAC secret is read from its Secret on
// every delivery, so a rotated secret takes effect at once.
func addWebhookReceiver(mgr ctrl.Manager, f managerFlags, d *controllers.Dependencies) error {
	if f.webhookAddr == "" {
		return nil
	}
	key, err := namespacedName("--webhook-secret", f.webhookSecret)
	if err != nil {
		return err
	}
	if key.Name == "" {
		return fmt.Errorf("--webhook-bind-address needs --webhook-secret")
	}
	d.Webhooks = controllers.NewWebhookEvents(1024)
	reader := mgr.GetClient()
	secrets := func() [][]byte {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var s corev1.Secret
		if err := reader.Get(ctx, key, &s); err != nil || len(s.Data[f.webhookKey]) == 0 {
			return nil
		}
		return [][]byte{s.Data[f.webhookKey]}
	}
	rcv, err := webhook.New(webhook.Options{Secrets: secrets, Enqueue: d.Webhooks.Enqueue,
		Metrics: ctrlmetrics.Registry, Log: ctrl.Log.WithName("webhook")})
	if err != nil {
		return err
	}
	return mgr.Add(webhook.Runnable(f.webhookAddr, rcv.Handler()))
}

// defaultPublicKeyConfigMap is the name of the ConfigMap the signing key's
// public half is published to, in the signing key Secret's namespace, when
// --public-key-configmap is not set. The Helm chart grants writes to it by
// this name.
const defaultPublicKeyConfigMap = "spacelift-run-signing-public-keys"

// gitCacheEntries is how many Git trees are kept in memory.
const gitCacheEntries = 64

// checkGitFlags refuses size limits that are not positive.
func checkGitFlags(g source.GitOptions) error {
	for _, l := range []struct {
		flag  string
		value int64
	}{{source.FlagMaxFileBytes, g.MaxFileBytes}, {source.FlagMaxCheckoutBytes, g.MaxCheckoutBytes}, {source.FlagMaxFetchBytes, g.MaxFetchBytes}} {
		if l.value <= 0 {
			return fmt.Errorf("--%s must be a positive number of bytes, not %d", l.flag, l.value)
		}
	}
	if g.MaxFileBytes > g.MaxCheckoutBytes {
		return fmt.Errorf("--%s (%d) must not exceed --%s (%d)", source.FlagMaxFileBytes, g.MaxFileBytes, source.FlagMaxCheckoutBytes, g.MaxCheckoutBytes)
	}
	return nil
}

// controllerOptions turns the flags into the reconcilers' options: the
// tenancy defaults and the Secrets no object may read into a run.
func controllerOptions(f managerFlags) (controllers.Options, error) {
	o := controllers.Options{SyncInterval: f.syncInterval, MaxConcurrentReconciles: f.concurrency}
	switch f.tenancy {
	case "off":
	case "enforce":
		o.Tenancy.Enforced = true
	default:
		return o, fmt.Errorf("--tenancy %q: want enforce or off", f.tenancy)
	}
	o.Tenancy.Spaces = tenancy.ParseList(f.tenancySpaces)
	if err := tenancy.CheckSpacePatterns(o.Tenancy.Spaces); err != nil {
		return o, fmt.Errorf("--tenancy-spaces: %w", err)
	}
	grants, err := tenancy.ParseGrants(f.tenancyGrants)
	if err != nil {
		return o, fmt.Errorf("--tenancy-grants: %w", err)
	}
	o.Tenancy.Grants = grants
	for _, flag := range []struct{ name, value string }{
		{"--credentials-secret", f.credentialsSecret}, {"--signing-key-secret", f.signingKeySecret}, {"--webhook-secret", f.webhookSecret},
	} {
		nn, err := namespacedName(flag.name, flag.value)
		if err != nil {
			return o, err
		}
		if nn.Name != "" {
			o.ProtectedSecrets = append(o.ProtectedSecrets, nn)
		}
	}
	return o, nil
}

func tenancyGrantNames() string {
	names := make([]string, len(tenancy.AllGrants))
	for i, g := range tenancy.AllGrants {
		names[i] = string(g)
	}
	return strings.Join(names, ", ")
}

// namespacedName parses a namespace/name flag value; empty is allowed.
func namespacedName(flagName, v string) (types.NamespacedName, error) {
	if v == "" {
		return types.NamespacedName{}, nil
	}
	ns, name, ok := strings.Cut(v, "/")
	if !ok || ns == "" || name == "" {
		return types.NamespacedName{}, fmt.Errorf("%s %q: want namespace/name", flagName, v)
	}
	return types.NamespacedName{Namespace: ns, Name: name}, nil
}

// splitNamespaces parses the --watch-namespaces value.
func splitNamespaces(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}
