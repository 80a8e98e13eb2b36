package helmchart

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

const (
	monitoringDir = repoRoot + "/config/monitoring"
	// chartFiles holds the chart's copies of the files in monitoringDir:
	// Helm reads only files inside the chart.
	chartFiles = chartDir + "/files"
)

// TestMonitoringFilesAreCopies keeps the chart's copies of the dashboard and
// the alerts byte for byte equal to config/monitoring, where they are edited.
func TestMonitoringFilesAreCopies(t *testing.T) {
	for _, name := range []string{"grafana-dashboard.json", "prometheusrule.yaml"} {
		want, err := os.ReadFile(monitoringDir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(chartFiles + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("config/helm/spacelift-operator/files/%s differs from config/monitoring/%s: copy it over", name, name)
		}
	}
}

func TestMonitoringOffByDefault(t *testing.T) {
	r := mustRender(t, "")
	for _, n := range r.names() {
		if n == "PrometheusRule/"+fullname || n == "ConfigMap/"+fullname+"-dashboard" {
			t.Errorf("%s rendered by default", n)
		}
	}
	r = mustRender(t, "metrics: {enabled: false, prometheusRule: {enabled: true}, grafanaDashboard: {enabled: true}}")
	if r.get("PrometheusRule", fullname) != nil || r.get("ConfigMap", fullname+"-dashboard") != nil {
		t.Error("alerts or dashboard rendered with metrics.enabled=false")
	}
}

func TestPrometheusRule(t *testing.T) {
	r := mustRender(t, "metrics: {prometheusRule: {enabled: true, labels: {release: prom}}}")
	pr := r.mustGet(t, "PrometheusRule", fullname)
	if pr.GetAPIVersion() != "monitoring.coreos.com/v1" || pr.GetNamespace() != namespace {
		t.Errorf("PrometheusRule is %s in %q, want monitoring.coreos.com/v1 in %s", pr.GetAPIVersion(), pr.GetNamespace(), namespace)
	}
	if l := pr.GetLabels(); l["release"] != "prom" || l["app.kubernetes.io/instance"] != release {
		t.Errorf("PrometheusRule labels = %v, want the chart's plus release=prom", l)
	}
	want := readYAML(t, "config/monitoring/prometheusrule.yaml")["spec"]
	if got := field(t, pr.Object, "spec"); !reflect.DeepEqual(got, want) {
		t.Errorf("the chart's PrometheusRule spec differs from config/monitoring/prometheusrule.yaml:\n got %v\nwant %v", got, want)
	}
}

func TestGrafanaDashboard(t *testing.T) {
	r := mustRender(t, "")
	if r.get("ConfigMap", fullname+"-dashboard") != nil {
		t.Fatal("dashboard rendered by default")
	}
	r = mustRender(t, `metrics: {grafanaDashboard: {enabled: true, namespace: monitoring, annotations: {grafana_folder: Spacelift}}}`)
	cm := r.mustGet(t, "ConfigMap", fullname+"-dashboard")
	if cm.GetNamespace() != "monitoring" {
		t.Errorf("dashboard ConfigMap in %q, want monitoring", cm.GetNamespace())
	}
	if cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap labels = %v, want grafana_dashboard: \"1\" for Grafana's sidecar", cm.GetLabels())
	}
	if cm.GetAnnotations()["grafana_folder"] != "Spacelift" {
		t.Errorf("dashboard ConfigMap annotations = %v", cm.GetAnnotations())
	}
	got, _ := field(t, cm.Object, "data", "spacelift-operator.json").(string)
	want, err := os.ReadFile(monitoringDir + "/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var gotJSON, wantJSON any
	if err := json.Unmarshal([]byte(got), &gotJSON); err != nil {
		t.Fatalf("the ConfigMap's dashboard is not JSON: %v", err)
	}
	if err := json.Unmarshal(want, &wantJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotJSON, wantJSON) {
		t.Error("the ConfigMap's dashboard differs from config/monitoring/grafana-dashboard.json")
	}
	// The release namespace when none is given; Helm merges labels into the
	// default, and null removes the default label.
	r = mustRender(t, `metrics: {grafanaDashboard: {enabled: true, labels: {dashboards: spacelift, grafana_dashboard: null}}}`)
	cm = r.mustGet(t, "ConfigMap", fullname+"-dashboard")
	if l := cm.GetLabels(); cm.GetNamespace() != namespace || l["dashboards"] != "spacelift" || l["grafana_dashboard"] != "" {
		t.Errorf("dashboard ConfigMap in %q with labels %v, want %s with dashboards=spacelift instead of grafana_dashboard", cm.GetNamespace(), l, namespace)
	}
}

// TestServiceMonitorHonorsLabels: the per-object metrics carry the object's
// namespace, which the dashboard and the alerts read.
func TestServiceMonitorHonorsLabels(t *testing.T) {
	r := mustRender(t, "metrics: {serviceMonitor: {enabled: true}}")
	ep := field(t, r.mustGet(t, "ServiceMonitor", fullname).Object, "spec", "endpoints").([]any)[0].(map[string]any)
	if ep["honorLabels"] != true {
		t.Errorf("ServiceMonitor endpoint = %v, want honorLabels: true", ep)
	}
}

func TestMonitoringValuesSchema(t *testing.T) {
	for _, values := range []string{
		"metrics: {prometheusRule: {enable: true}}",
		"metrics: {grafanaDashboard: {enabled: yes-please}}",
		"metrics: {grafanaDashboard: {labels: {grafana_dashboard: 1}}}",
	} {
		if _, err := render(values); err == nil {
			t.Errorf("values %q render without error", values)
		}
	}
}

func TestMonitoringLint(t *testing.T) {
	values := map[string]any{"metrics": map[string]any{
		"serviceMonitor":   map[string]any{"enabled": true},
		"prometheusRule":   map[string]any{"enabled": true},
		"grafanaDashboard": map[string]any{"enabled": true},
	}}
	linter := lint.AllWithKubeVersion(chartDir, values, namespace, nil)
	for _, m := range linter.Messages {
		if m.Severity >= support.WarningSev {
			t.Errorf("helm lint: %s", m)
		}
	}
}

// TestKustomizeMonitoring builds config/monitoring, the same objects for an
// operator installed from config/default.
func TestKustomizeMonitoring(t *testing.T) {
	r := kustomize(t, "config/monitoring")
	const ns = "spacelift-operator-system"
	sm := r.mustGet(t, "ServiceMonitor", "spacelift-operator")
	pr := r.mustGet(t, "PrometheusRule", "spacelift-operator")
	cm := r.mustGet(t, "ConfigMap", "spacelift-operator-dashboard")
	for _, o := range []string{sm.GetNamespace(), pr.GetNamespace(), cm.GetNamespace()} {
		if o != ns {
			t.Errorf("an object of config/monitoring is in %q, want %s (config/default's)", o, ns)
		}
	}
	// The ServiceMonitor selects the metrics Service config/default makes.
	def := kustomize(t, "config/default")
	var svc map[string]any
	for _, o := range def.objects {
		if o.GetKind() == "Service" && o.GetName() == "spacelift-operator-controller-manager-metrics-service" {
			svc = o.Object
		}
	}
	if svc == nil {
		t.Fatalf("config/default has no metrics Service among %v", def.names())
	}
	sel := field(t, sm.Object, "spec", "selector", "matchLabels").(map[string]any)
	labels := field(t, svc, "metadata", "labels").(map[string]any)
	for k, v := range sel {
		if labels[k] != v {
			t.Errorf("ServiceMonitor selects %s=%v; the metrics Service has labels %v", k, v, labels)
		}
	}
	port := field(t, sm.Object, "spec", "endpoints").([]any)[0].(map[string]any)
	if port["port"] != field(t, svc, "spec", "ports").([]any)[0].(map[string]any)["name"] || port["honorLabels"] != true {
		t.Errorf("ServiceMonitor endpoint = %v, want the Service's port and honorLabels", port)
	}
	if cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap labels = %v, want grafana_dashboard: \"1\"", cm.GetLabels())
	}
	var dash any
	if err := json.Unmarshal([]byte(field(t, cm.Object, "data", "spacelift-operator.json").(string)), &dash); err != nil {
		t.Errorf("the ConfigMap's dashboard is not JSON: %v", err)
	}
	want := readYAML(t, "config/monitoring/prometheusrule.yaml")["spec"]
	if !reflect.DeepEqual(field(t, pr.Object, "spec"), want) {
		t.Error("config/monitoring's PrometheusRule spec changed in the build")
	}
}
