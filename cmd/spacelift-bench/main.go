// Command spacelift-bench measures the operator at scale: an AdminStack over
// a generated atmos tree of N component instances, the Spacelift API
// emulator answering after a fixed latency, the operator (every reconciler)
// in this process and a local control plane (the envtest kube-apiserver and
// etcd, in their own processes).
//
//	go run ./cmd/spacelift-bench -n 100,1000 -o bench-results.json
//
// For each N it reports the time from the AdminStack create to every child
// Ready, the Spacelift requests per child at creation (k), the request floor
// N·k·L/C and the ratio to it, the requests and writes of one sync interval
// in steady state, the peak heap and RSS of this process, and the atmos
// expansion time alone; then it checks the targets and writes the figures as
// JSON. The emulator runs in a child process (this binary, subcommand
// "emulator"), so the memory figures are the operator's and the harness's.
//
// The control plane needs KUBEBUILDER_ASSETS or hack/setup-envtest.sh's
// default directory (run `make envtest` once).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/go-logr/logr"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
	"github.com/stackwright/spacelift-operator/internal/testenv"
)

// Targets.
const (
	maxReadyOverFloor = 2.0
	maxHeapBytes      = 256 << 20
	maxExpand         = time.Second
	// The sizes the named targets are stated for.
	readyTargetN  = 1000
	heapTargetN   = 5000
	expandTargetN = 5000
)

// benchConfig are the command-line settings.
type benchConfig struct {
	sizes        []int
	expandSizes  []int
	latency      time.Duration
	concurrency  int
	syncInterval time.Duration
	// steadyIntervals is how many sync intervals of steady state are
	// counted; the targets use the first.
	steadyIntervals int
	qps             float64
	burst           int
	source          string
	out             string
	timeout         time.Duration
	verbose         bool
	// profileDir receives CPU and heap profiles of the operator per size.
	profileDir string
}

// report is the JSON written to -o.
type report struct {
	Started  time.Time      `json:"started"`
	Settings map[string]any `json:"settings"`
	Sizes    []sizeRow      `json:"sizes"`
	// Expansions are expansion times of the sizes only expanded (-expand-n).
	Expansions []expansionRun `json:"expansions,omitempty"`
	Targets    []targetResult `json:"targets"`
}

type sizeRow struct {
	sizeResult
	// WallSeconds is the whole run of this size, setup and teardown included.
	WallSeconds float64 `json:"wallSeconds"`
	// Checks are the targets evaluated on this row.
	Checks []check `json:"checks"`
}

type expansionRun struct {
	N       int     `json:"n"`
	Seconds float64 `json:"seconds"`
	Pass    bool    `json:"pass"`
}

type check struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

type targetResult struct {
	Target string `json:"target"`
	// Status is PASS, FAIL or NOT RUN.
	Status string `json:"status"`
	Detail string `json:"detail"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "emulator" {
		os.Exit(serveEmulator(os.Args[2:]))
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	c, err := parseFlags(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "spacelift-bench:", err)
		return 2
	}
	if c.verbose {
		ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	} else {
		ctrl.SetLogger(logr.Discard())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep := report{Started: time.Now().UTC(), Settings: map[string]any{
		"n": c.sizes, "latency": c.latency.String(), "concurrency": c.concurrency, "syncInterval": c.syncInterval.String(), "steadyIntervals": c.steadyIntervals,
		"spaceliftQPS": c.qps, "spaceliftBurst": c.burst, "source": c.source, "gomaxprocs": runtimeProcs(),
	}}
	for _, n := range c.expandSizes {
		d, err := expansionTime(atmos.GenerateTree(n), n)
		if err != nil {
			fmt.Fprintln(os.Stderr, "spacelift-bench:", err)
			return 1
		}
		rep.Expansions = append(rep.Expansions, expansionRun{N: n, Seconds: d.Seconds(), Pass: d < maxExpand})
		logf("N=%d: atmos expansion %s", n, d.Round(time.Microsecond))
	}

	logf("starting a local control plane")
	tenv, cfg, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "spacelift-bench:", err)
		return 1
	}
	defer func() { _ = tenv.Stop() }()
	scheme := k8sruntime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = spaceliftv1alpha1.AddToScheme(scheme)
	k8s, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, "spacelift-bench:", err)
		return 1
	}
	e := &env{cfg: cfg, scheme: scheme, k8s: k8s}

	failed := false
	for _, n := range c.sizes {
		logf("N=%d: start", n)
		start := time.Now()
		var r sizeResult
		if err := e.runSize(ctx, c, n, &r); err != nil {
			r.Error = err.Error()
			failed = true
			logf("N=%d: %v", n, err)
		}
		row := sizeRow{sizeResult: r, WallSeconds: time.Since(start).Seconds()}
		row.Checks = rowChecks(&row.sizeResult)
		rep.Sizes = append(rep.Sizes, row)
		logf("N=%d: done in %s", n, time.Since(start).Round(time.Second))
		if ctx.Err() != nil {
			break
		}
	}
	rep.Targets = targets(rep)
	printReport(c, rep)
	if err := writeJSON(c.out, rep); err != nil {
		fmt.Fprintln(os.Stderr, "spacelift-bench:", err)
		return 1
	}
	fmt.Printf("\nwrote %s\n", c.out)
	if failed {
		return 1
	}
	return 0
}

func parseFlags(args []string) (*benchConfig, error) {
	c := &benchConfig{}
	fs := flag.NewFlagSet("spacelift-bench", flag.ContinueOnError)
	sizes := fs.String("n", "100,1000", "comma-separated numbers of component instances (children) to run end to end, e.g. 100,1000,5000")
	expand := fs.String("expand-n", "5000", "comma-separated sizes whose atmos expansion alone is timed as well")
	fs.DurationVar(&c.latency, "latency", 20*time.Millisecond, "latency the emulator adds to every request (L)")
	fs.IntVar(&c.concurrency, "concurrency", 8, "parallel reconciles per kind (C)")
	fs.DurationVar(&c.syncInterval, "sync-interval", 20*time.Second, "the operator's sync interval, also the steady-state window")
	fs.IntVar(&c.steadyIntervals, "steady-intervals", 2, "sync intervals of steady state to count; the target is checked on the first, the others are reported")
	fs.Float64Var(&c.qps, "qps", 1000, "Spacelift client request rate; high so that it is not the bottleneck")
	fs.IntVar(&c.burst, "burst", 200, "Spacelift client burst")
	fs.StringVar(&c.source, "source", "auto", "how the AdminStack reads the tree: configmaps, git (file://) or auto (ConfigMaps when the tree fits in 50 of them)")
	fs.StringVar(&c.out, "o", "./bench-results.json", "file the figures are written to as JSON")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Minute, "how long one size may take to become Ready")
	fs.BoolVar(&c.verbose, "v", false, "show the operator's logs")
	fs.StringVar(&c.profileDir, "profile-dir", "", "directory (existing) for cpu-<N>.pprof, the creation of each size, and heap-<N>.pprof, after its steady state")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var err error
	if c.sizes, err = parseSizes(*sizes); err != nil {
		return nil, fmt.Errorf("-n: %w", err)
	}
	if c.expandSizes, err = parseSizes(*expand); err != nil {
		return nil, fmt.Errorf("-expand-n: %w", err)
	}
	c.expandSizes = slices.DeleteFunc(c.expandSizes, func(n int) bool { return slices.Contains(c.sizes, n) })
	switch {
	case c.latency <= 0:
		return nil, errors.New("-latency must be positive")
	case c.concurrency < 1:
		return nil, errors.New("-concurrency must be at least 1")
	case c.syncInterval < time.Second:
		return nil, errors.New("-sync-interval must be at least 1s")
	case c.steadyIntervals < 1:
		return nil, errors.New("-steady-intervals must be at least 1")
	}
	return c, nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// rowChecks evaluates every target on one row. The named targets are stated
// for one size each; smaller sizes must meet them too.
func rowChecks(r *sizeResult) []check {
	if r.Error != "" && r.ReadySeconds == 0 {
		return []check{{Name: "completed", Pass: false, Detail: r.Error}}
	}
	var cs []check
	if r.FloorSeconds > 0 {
		cs = append(cs, check{Name: "ready within 2x floor", Pass: r.ReadyOverFloor <= maxReadyOverFloor,
			Detail: fmt.Sprintf("%.1fs / %.1fs = %.2fx", r.ReadySeconds, r.FloorSeconds, r.ReadyOverFloor)})
	}
	if r.SteadyWindowSeconds > 0 {
		cs = append(cs, check{Name: "steady requests <= N/50+10", Pass: r.Steady.Total <= r.SteadyBudget,
			Detail: fmt.Sprintf("%d requests in %.0fs, budget %d", r.Steady.Total, r.SteadyWindowSeconds, r.SteadyBudget)})
		cs = append(cs, check{Name: "steady writes = 0", Pass: r.Steady.Writes == 0,
			Detail: fmt.Sprintf("%d writes %v", r.Steady.Writes, r.Steady.WritesByOperation)})
	}
	cs = append(cs, check{Name: "heap < 256 MiB", Pass: r.PeakHeapInuseBytes < maxHeapBytes,
		Detail: fmt.Sprintf("peak HeapInuse %s", mib(r.PeakHeapInuseBytes))})
	cs = append(cs, check{Name: "expansion < 1s", Pass: r.ExpandSeconds < maxExpand.Seconds(),
		Detail: fmt.Sprintf("%.3fs", r.ExpandSeconds)})
	if r.Error != "" {
		cs = append(cs, check{Name: "completed", Pass: false, Detail: r.Error})
	}
	return cs
}

// targets evaluates the four named targets on the rows of their size.
func targets(rep report) []targetResult {
	row := func(n int) *sizeRow {
		for i := range rep.Sizes {
			if rep.Sizes[i].N == n {
				return &rep.Sizes[i]
			}
		}
		return nil
	}
	status := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "FAIL"
	}
	notRun := func(target string, n int) targetResult {
		return targetResult{Target: target, Status: "NOT RUN", Detail: fmt.Sprintf("add %d to -n", n)}
	}
	var out []targetResult

	const t1 = "1000 children Ready within 2x the request floor"
	if r := row(readyTargetN); r == nil {
		out = append(out, notRun(t1, readyTargetN))
	} else if r.FloorSeconds == 0 {
		out = append(out, targetResult{t1, "FAIL", "did not complete: " + r.Error})
	} else {
		out = append(out, targetResult{t1, status(r.ReadyOverFloor <= maxReadyOverFloor),
			fmt.Sprintf("%.1fs vs floor %.1fs (%.2fx)", r.ReadySeconds, r.FloorSeconds, r.ReadyOverFloor)})
	}

	const t2 = "steady state <= N/50+10 requests per interval and 0 writes"
	if len(rep.Sizes) == 0 {
		out = append(out, notRun(t2, readyTargetN))
	} else {
		ok, details := true, []string{}
		for _, r := range rep.Sizes {
			if r.SteadyWindowSeconds == 0 {
				ok = false
				details = append(details, fmt.Sprintf("N=%d: not measured", r.N))
				continue
			}
			ok = ok && r.Steady.Total <= r.SteadyBudget && r.Steady.Writes == 0
			d := fmt.Sprintf("N=%d: %d/%d requests, %d writes", r.N, r.Steady.Total, r.SteadyBudget, r.Steady.Writes)
			for i, iv := range r.Later {
				d += fmt.Sprintf(" (interval %d: %d requests, %d writes)", i+2, iv.Requests, iv.Writes)
			}
			details = append(details, d)
		}
		out = append(out, targetResult{t2, status(ok), strings.Join(details, "; ")})
	}

	const t3 = "heap < 256 MiB at N = 5000"
	if r := row(heapTargetN); r == nil {
		out = append(out, notRun(t3, heapTargetN))
	} else {
		ok := r.PeakHeapInuseBytes > 0 && r.PeakHeapInuseBytes < maxHeapBytes && r.Error == ""
		out = append(out, targetResult{t3, status(ok), fmt.Sprintf("peak HeapInuse %s, HeapAlloc %s, live after GC %s, RSS %s%s",
			mib(r.PeakHeapInuseBytes), mib(r.PeakHeapAllocBytes), mib(r.LiveHeapBytes), mib(r.PeakRSSBytes), errSuffix(r.Error))})
	}

	const t4 = "expansion of 5000 instances < 1s"
	var exp *float64
	for _, e := range rep.Expansions {
		if e.N == expandTargetN {
			exp = &e.Seconds
		}
	}
	if r := row(expandTargetN); r != nil && r.ExpandSeconds > 0 {
		exp = &r.ExpandSeconds
	}
	if exp == nil {
		out = append(out, notRun(t4, expandTargetN))
	} else {
		out = append(out, targetResult{t4, status(*exp < maxExpand.Seconds()), fmt.Sprintf("%.3fs (median of 3)", *exp)})
	}
	return out
}

func printReport(c *benchConfig, rep report) {
	fmt.Printf("\nspacelift-bench: latency L=%s, concurrency C=%d, sync interval %s, Spacelift client %g QPS / burst %d, GOMAXPROCS %d\n\n",
		c.latency, c.concurrency, c.syncInterval, c.qps, c.burst, runtimeProcs())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tsource\tall exist\tready\tadmin ready\tCPU op/emu\tk (req/child)\tfloor N·k·L/C\tready/floor\tsteady req (budget)\tsteady writes\tlater intervals req/writes\tsteady kube writes (+empty patches)\tpeak HeapInuse\tpeak HeapAlloc\tlive heap\tpeak RSS\texpand\twall\t")
	for _, r := range rep.Sizes {
		var later []string
		for _, iv := range r.Later {
			later = append(later, fmt.Sprintf("%d/%d", iv.Requests, iv.Writes))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%.0fs/%.0fs\t%.1f\t%s\t%.2fx\t%d (%d)\t%d\t%s\t%d (+%d)\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.N, r.Source, secs(r.StacksExistSeconds), secs(r.ReadySeconds), secs(r.AdminReadySeconds), r.CreationCPUSeconds, r.CreationEmulatorCPUSeconds,
			r.RequestsPerChild, secs(r.FloorSeconds), r.ReadyOverFloor,
			r.Steady.Total, r.SteadyBudget, r.Steady.Writes, strings.Join(later, " "), r.SteadyKubeWrites, r.SteadyKubeEmptyPatches,
			mib(r.PeakHeapInuseBytes), mib(r.PeakHeapAllocBytes), mib(r.LiveHeapBytes), mib(r.PeakRSSBytes), secs(r.ExpandSeconds), secs(r.WallSeconds))
	}
	for _, e := range rep.Expansions {
		fmt.Fprintf(tw, "%d\t(expansion only)\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t%s\t\t\n", e.N, secs(e.Seconds))
	}
	_ = tw.Flush()

	fmt.Println()
	for _, r := range rep.Sizes {
		for _, ch := range r.Checks {
			fmt.Printf("N=%-5d %-4s %-28s %s\n", r.N, passFail(ch.Pass), ch.Name, ch.Detail)
		}
	}
	fmt.Println("\nTargets:")
	for _, t := range rep.Targets {
		fmt.Printf("  %-8s %s: %s\n", t.Status, t.Target, t.Detail)
	}
}

func writeJSON(path string, rep report) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil { //nolint:gosec // results are not secret
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func errSuffix(err string) string {
	if err == "" {
		return ""
	}
	return " (run failed: " + err + ")"
}

func secs(s float64) string {
	switch {
	case s == 0:
		return "-"
	case s < 1:
		return fmt.Sprintf("%.0fms", s*1000)
	default:
		return fmt.Sprintf("%.1fs", s)
	}
}

func mib(b uint64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
