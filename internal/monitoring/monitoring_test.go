package monitoring

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	// Registers controller-runtime's reconcile and work queue metrics on
	// its registry, as the manager does.
	_ "sigs.k8s.io/controller-runtime/pkg/controller"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"
)

const (
	monitoringDir = "../../config/monitoring"
	dashboardPath = monitoringDir + "/grafana-dashboard.json"
	rulePath      = monitoringDir + "/prometheusrule.yaml"
)

// sources register the operator's own metrics.
var sources = []string{
	"../../controllers/metrics.go",
	"../../internal/metrics/spacelift.go",
	"../../internal/webhook/receiver.go",
}

// targetLabels are added by Prometheus to every series it scrapes (job,
// instance) or by prometheus-operator's ServiceMonitor (namespace, pod,
// service, container, endpoint). With honorLabels, namespace is the
// object's where a metric has its own.
var targetLabels = []string{"job", "instance", "namespace", "pod", "service", "container", "endpoint"}

// metric is an exported metric family as a query sees it.
type metric struct {
	labels []string
}

// histogram adds the series a histogram named name exports.
func addHistogram(m map[string]metric, name string, labels []string) {
	m[name+"_bucket"] = metric{append(slices.Clone(labels), "le")}
	m[name+"_sum"] = metric{labels}
	m[name+"_count"] = metric{labels}
}

// ownMetrics reads the metric names and variable labels the operator
// registers from its Go source: prometheus.NewDesc(name, help, labels, …)
// and prometheus.New{Counter,Gauge,Histogram}Vec(Opts{Name: …}, labels).
func ownMetrics(t *testing.T) map[string]metric {
	t.Helper()
	out := map[string]metric{}
	for _, src := range sources {
		f, err := goparser.ParseFile(token.NewFileSet(), src, nil, 0)
		if err != nil {
			t.Fatalf("parsing %s: %v", src, err)
		}
		found := 0
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			switch sel.Sel.Name {
			case "NewDesc":
				if len(call.Args) < 3 {
					return true
				}
				out[stringLit(t, src, call.Args[0])] = metric{stringSlice(t, src, call.Args[2])}
				found++
			case "NewCounterVec", "NewGaugeVec", "NewHistogramVec":
				if len(call.Args) != 2 {
					return true
				}
				name := optsName(t, src, call.Args[0])
				labels := stringSlice(t, src, call.Args[1])
				if sel.Sel.Name == "NewHistogramVec" {
					addHistogram(out, name, labels)
				} else {
					out[name] = metric{labels}
				}
				found++
			}
			return true
		})
		if found == 0 {
			t.Fatalf("%s registers no metric that this test can read", src)
		}
	}
	return out
}

func stringLit(t *testing.T, src string, e ast.Expr) string {
	t.Helper()
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		t.Fatalf("%s: a metric name or label is %T, not a string literal this test can read", src, e)
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stringSlice reads []string{"a", "b"}, or nil.
func stringSlice(t *testing.T, src string, e ast.Expr) []string {
	t.Helper()
	if id, ok := e.(*ast.Ident); ok && id.Name == "nil" {
		return nil
	}
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		t.Fatalf("%s: metric labels are %T, not a []string literal this test can read", src, e)
	}
	var out []string
	for _, el := range cl.Elts {
		out = append(out, stringLit(t, src, el))
	}
	return out
}

// optsName reads the full name from prometheus.CounterOpts{Namespace: …,
// Subsystem: …, Name: …}.
func optsName(t *testing.T, src string, e ast.Expr) string {
	t.Helper()
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		t.Fatalf("%s: metric options are %T, not a literal this test can read", src, e)
	}
	parts := map[string]string{}
	for _, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && (k.Name == "Namespace" || k.Name == "Subsystem" || k.Name == "Name") {
				parts[k.Name] = stringLit(t, src, kv.Value)
			}
		}
	}
	return prometheus.BuildFQName(parts["Namespace"], parts["Subsystem"], parts["Name"])
}

// runtimeMetric is a controller-runtime metric the queries use, with the
// help text and labels it is registered with.
type runtimeMetric struct {
	name, help string
	labels     []string
	histogram  bool
}

var runtimeMetrics = []runtimeMetric{
	{"controller_runtime_reconcile_total", "Total number of reconciliations per controller", []string{"controller", "result"}, false},
	{"controller_runtime_reconcile_errors_total", "Total number of reconciliation errors per controller", []string{"controller"}, false},
	{"controller_runtime_reconcile_panics_total", "Total number of reconciliation panics per controller", []string{"controller"}, false},
	{"controller_runtime_reconcile_time_seconds", "Length of time per reconciliation per controller", []string{"controller"}, true},
	{"controller_runtime_active_workers", "Number of currently used workers per controller", []string{"controller"}, false},
	{"controller_runtime_max_concurrent_reconciles", "Maximum number of concurrent reconciles per controller", []string{"controller"}, false},
	{"workqueue_depth", "Current depth of workqueue by workqueue and priority", []string{"name", "controller", "priority"}, false},
}

// descCollector describes one Desc and collects nothing.
type descCollector struct{ desc *prometheus.Desc }

func (c descCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c descCollector) Collect(chan<- prometheus.Metric)    {}

// checkRegistered checks that controller-runtime's registry holds m with
// exactly this help text and these labels: registering the same descriptor
// again is refused as already registered, whereas other labels or another
// help text are refused as inconsistent, and an unknown name is accepted.
func checkRegistered(m runtimeMetric) error {
	err := ctrlmetrics.Registry.Register(descCollector{prometheus.NewDesc(m.name, m.help, m.labels, nil)})
	var already prometheus.AlreadyRegisteredError
	switch {
	case err == nil:
		ctrlmetrics.Registry.Unregister(descCollector{prometheus.NewDesc(m.name, m.help, m.labels, nil)})
		return fmt.Errorf("controller-runtime registers no metric %s", m.name)
	case errors.As(err, &already):
		return nil
	default:
		return fmt.Errorf("controller-runtime registers %s with other labels than %v: %w", m.name, m.labels, err)
	}
}

// knownMetrics are the metrics the operator's /metrics endpoint serves that
// the queries may use.
func knownMetrics(t *testing.T) map[string]metric {
	t.Helper()
	known := ownMetrics(t)
	for _, m := range runtimeMetrics {
		if err := checkRegistered(m); err != nil {
			t.Fatal(err)
		}
		if m.histogram {
			addHistogram(known, m.name, m.labels)
		} else {
			known[m.name] = metric{m.labels}
		}
	}
	return known
}

// promql parses as a Prometheus server without feature flags does.
var promql = parser.NewParser(parser.Options{})

// grafanaVariable matches Grafana's variable syntaxes $name, ${name} and
// ${name:format}.
var grafanaVariable = regexp.MustCompile(`\$(\{[A-Za-z0-9_]+(:[a-z]+)?\}|[A-Za-z0-9_]+)`)

// substituteVariables replaces Grafana's variables with what a query sees:
// interval macros become a duration, the others a value (they are used only
// inside label matchers).
func substituteVariables(q string) string {
	return grafanaVariable.ReplaceAllStringFunc(q, func(v string) string {
		name := strings.Trim(v, "${}")
		name, _, _ = strings.Cut(name, ":")
		switch name {
		case "__rate_interval", "__interval", "__range":
			return "5m"
		}
		return "x"
	})
}

// checkQuery parses q and checks that every selector names a known metric
// and every label it matches, groups or joins on is one the metrics under
// it have. It returns the labels of the query's result.
func checkQuery(known map[string]metric, q string) (outLabels []string, err error) {
	expr, err := promql.ParseExpr(q)
	if err != nil {
		return nil, fmt.Errorf("parsing: %w", err)
	}
	var problems []string
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			m, ok := known[n.Name]
			if !ok {
				problems = append(problems, fmt.Sprintf("the operator exports no metric %q", n.Name))
				return nil
			}
			for _, lm := range n.LabelMatchers {
				if lm.Name != model.MetricNameLabel && !hasLabel(m, lm.Name) {
					problems = append(problems, fmt.Sprintf("%s has no label %q", n.Name, lm.Name))
				}
			}
		case *parser.AggregateExpr:
			for _, l := range n.Grouping {
				if !anyHasLabel(known, n.Expr, l) {
					problems = append(problems, fmt.Sprintf("%s groups by %q, which no metric under it has", n.Op, l))
				}
			}
		case *parser.BinaryExpr:
			if n.VectorMatching != nil {
				for _, l := range n.VectorMatching.MatchingLabels {
					if !anyHasLabel(known, n.LHS, l) || !anyHasLabel(known, n.RHS, l) {
						problems = append(problems, fmt.Sprintf("%s matches on %q, which one side lacks", n.Op, l))
					}
				}
			}
		}
		return nil
	})
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return resultLabels(known, expr), nil
}

func hasLabel(m metric, l string) bool {
	return slices.Contains(m.labels, l) || slices.Contains(targetLabels, l)
}

// anyHasLabel reports whether a metric selected under e has label l.
func anyHasLabel(known map[string]metric, e parser.Expr, l string) bool {
	found := false
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok && hasLabel(known[vs.Name], l) {
			found = true
		}
		return nil
	})
	return found
}

// resultLabels are the labels the series of e's result can carry: all of a
// selector's, the grouping of an aggregation, the left side of a binary
// operation between vectors.
func resultLabels(known map[string]metric, e parser.Expr) []string {
	switch n := e.(type) {
	case *parser.VectorSelector:
		return append(slices.Clone(known[n.Name].labels), targetLabels...)
	case *parser.MatrixSelector:
		return resultLabels(known, n.VectorSelector)
	case *parser.ParenExpr:
		return resultLabels(known, n.Expr)
	case *parser.AggregateExpr:
		if n.Without {
			return slices.DeleteFunc(resultLabels(known, n.Expr), func(l string) bool { return slices.Contains(n.Grouping, l) })
		}
		return n.Grouping
	case *parser.Call:
		var out []string
		for _, a := range n.Args {
			if a.Type() == parser.ValueTypeVector || a.Type() == parser.ValueTypeMatrix {
				out = append(out, resultLabels(known, a)...)
			}
		}
		if n.Func.Name == "histogram_quantile" {
			out = slices.DeleteFunc(out, func(l string) bool { return l == model.BucketLabel })
		}
		return out
	case *parser.BinaryExpr:
		if n.LHS.Type() == parser.ValueTypeVector {
			return resultLabels(known, n.LHS)
		}
		return resultLabels(known, n.RHS)
	}
	return nil
}

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos struct {
		X int `json:"x"`
		Y int `json:"y"`
		W int `json:"w"`
		H int `json:"h"`
	} `json:"gridPos"`
	Targets []struct {
		Expr       string `json:"expr"`
		RefID      string `json:"refId"`
		Datasource *struct {
			UID string `json:"uid"`
		} `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("parsing %s: %v", dashboardPath, err)
	}
	return d
}

// allPanels flattens rows.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// labelValues matches the template variable query label_values(selector, label).
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)$`)

func TestDashboard(t *testing.T) {
	d := readDashboard(t)
	known := knownMetrics(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("dashboard uid %q, title %q: both must be set, so the sidecar and links find it", d.UID, d.Title)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(map[string]any)["query"].(string)
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(selector, label)", v.Name, q)
			continue
		}
		out, err := checkQuery(known, substituteVariables(m[1]))
		if err != nil {
			t.Errorf("variable %s: %s: %v", v.Name, q, err)
		} else if !slices.Contains(out, m[2]) {
			t.Errorf("variable %s: %s has no label %q", v.Name, m[1], m[2])
		}
	}
	if !vars["datasource"] {
		t.Error("the dashboard has no datasource variable; imported into another Grafana it would find no data source")
	}
	ids := map[int]string{}
	queries := 0
	for _, p := range allPanels(d.Panels) {
		if other, dup := ids[p.ID]; dup {
			t.Errorf("panels %q and %q share id %d", other, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X < 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v does not fit the 24-column grid", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: datasource %+v, want the ${datasource} variable", p.Title, p.Datasource)
		}
		for _, tg := range p.Targets {
			queries++
			for _, name := range grafanaVariable.FindAllString(tg.Expr, -1) {
				name = strings.Trim(name, "${}")
				if !strings.HasPrefix(name, "__") && !vars[name] {
					t.Errorf("panel %q, query %s: variable $%s is not defined", p.Title, tg.RefID, name)
				}
			}
			if _, err := checkQuery(known, substituteVariables(tg.Expr)); err != nil {
				t.Errorf("panel %q, query %s: %s: %v", p.Title, tg.RefID, tg.Expr, err)
			}
		}
	}
	if queries == 0 {
		t.Fatal("the dashboard has no queries")
	}
}

// prometheusRule is the part of a PrometheusRule the tests read; decoding
// is strict, so a misspelt field is an error.
type prometheusRule struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				For         string            `json:"for"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

// alertTemplateFuncs are the template functions the annotations use, as
// Prometheus defines them (enough of them to run the templates).
var alertTemplateFuncs = template.FuncMap{
	"humanize":           func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) },
	"humanizePercentage": func(v float64) string { return strconv.FormatFloat(v*100, 'g', 4, 64) + "%" },
}

// templateLabel matches $labels.name in an annotation.
var templateLabel = regexp.MustCompile(`\$labels\.([A-Za-z_][A-Za-z0-9_]*)`)

func TestPrometheusRule(t *testing.T) {
	b, err := os.ReadFile(rulePath)
	if err != nil {
		t.Fatal(err)
	}
	var pr prometheusRule
	if err := yaml.UnmarshalStrict(b, &pr); err != nil {
		t.Fatalf("parsing %s: %v", rulePath, err)
	}
	if pr.APIVersion != "monitoring.coreos.com/v1" || pr.Kind != "PrometheusRule" || pr.Metadata.Name == "" {
		t.Errorf("%s is %s %s %q, want a named monitoring.coreos.com/v1 PrometheusRule", rulePath, pr.APIVersion, pr.Kind, pr.Metadata.Name)
	}
	known := knownMetrics(t)
	alerts := map[string]bool{}
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("group %s: a rule without an alert name", g.Name)
				continue
			}
			if alerts[r.Alert] {
				t.Errorf("alert %s is defined twice", r.Alert)
			}
			alerts[r.Alert] = true
			out, err := checkQuery(known, r.Expr)
			if err != nil {
				t.Errorf("alert %s: %v\n%s", r.Alert, err, r.Expr)
				continue
			}
			if r.For != "" {
				if _, err := model.ParseDuration(r.For); err != nil {
					t.Errorf("alert %s: for %q: %v", r.Alert, r.For, err)
				}
			}
			if s := r.Labels["severity"]; s != "warning" && s != "critical" && s != "info" {
				t.Errorf("alert %s: severity %q, want warning, critical or info", r.Alert, s)
			}
			if r.Annotations["summary"] == "" || len(r.Annotations["description"]) < 200 {
				t.Errorf("alert %s: wants a summary and a description that says what to do", r.Alert)
			}
			sample := map[string]string{}
			for _, l := range out {
				sample[l] = "sample-" + l
			}
			for name, text := range r.Annotations {
				for _, m := range templateLabel.FindAllStringSubmatch(text, -1) {
					if !slices.Contains(out, m[1]) {
						t.Errorf("alert %s, annotation %s: $labels.%s is not a label of the result (%v)", r.Alert, name, m[1], out)
					}
				}
				// Prometheus prepends these definitions to every annotation.
				tmpl, err := template.New(name).Funcs(alertTemplateFuncs).Option("missingkey=zero").
					Parse("{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$value := .Value}}" + text)
				if err != nil {
					t.Errorf("alert %s, annotation %s: %v", r.Alert, name, err)
					continue
				}
				var sb strings.Builder
				if err := tmpl.Execute(&sb, map[string]any{"Labels": sample, "ExternalLabels": map[string]string{}, "Value": 0.5}); err != nil {
					t.Errorf("alert %s, annotation %s: %v", r.Alert, name, err)
				}
			}
		}
	}
	readme, err := os.ReadFile(monitoringDir + "/README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := regexp.MustCompile("(?m)^\\| `([A-Za-z]+)` \\| .* \\| (warning|critical|info) \\|$").FindAllStringSubmatch(string(readme), -1)
	var docNames, ruleNames []string
	for _, m := range documented {
		docNames = append(docNames, m[1])
	}
	for a := range alerts {
		ruleNames = append(ruleNames, a)
	}
	sort.Strings(docNames)
	sort.Strings(ruleNames)
	if !slices.Equal(docNames, ruleNames) {
		t.Errorf("config/monitoring/README.md documents alerts %v, the rule defines %v", docNames, ruleNames)
	}
}

// TestCheckQuery checks that checkQuery rejects what it is there to catch.
func TestCheckQuery(t *testing.T) {
	known := knownMetrics(t)
	for _, q := range []string{
		`sum(rate(spacelift_requests_total[5m])`,                                      // syntax
		`spacelift_operator_object_infos`,                                             // unknown metric
		`spacelift_requests_total{operaton="StackRead"}`,                              // unknown label
		`sum by (kind) (rate(spacelift_requests_total[5m]))`,                          // grouping by a label the metric lacks
		`spacelift_operator_objects and on (stack_id) spacelift_operator_object_info`, // join label one side lacks
	} {
		if _, err := checkQuery(known, q); err == nil {
			t.Errorf("%s: accepted", q)
		}
	}
	out, err := checkQuery(known, `max by (namespace, name) (spacelift_operator_object_info{kind="Stack"}) > 0`)
	if err != nil || !slices.Equal(out, []string{"namespace", "name"}) {
		t.Errorf("result labels = %v, %v; want [namespace name]", out, err)
	}
	if err := checkRegistered(runtimeMetric{"controller_runtime_reconcile_total", "Total number of reconciliations per controller", []string{"controller"}, false}); err == nil {
		t.Error("controller_runtime_reconcile_total with a label missing: accepted")
	}
	if err := checkRegistered(runtimeMetric{"controller_runtime_no_such_metric", "x", nil, false}); err == nil {
		t.Error("an unregistered controller-runtime metric: accepted")
	}
}
