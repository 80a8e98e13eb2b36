package validate

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// The corpus (corpus_test.go) covers what users write; these cases cover
// what only a client that skips admission can send, and the fallbacks.

func TestPolicy(t *testing.T) {
	cases := []struct {
		name string
		p    v1alpha1.Policy
		want string
	}{
		{"metadata name is used when spec.name is empty",
			v1alpha1.Policy{ObjectMeta: metav1.ObjectMeta{Name: "plan-guard"}}, ""},
		{"spec name without an id",
			v1alpha1.Policy{ObjectMeta: metav1.ObjectMeta{Name: "plan-guard"}, Spec: v1alpha1.PolicySpec{Name: "🛡️"}},
			`spec.name: Invalid value: "🛡️": has no ASCII letter or digit, so Spacelift cannot derive an id from it: add some, e.g. "payments-db" (emoji, punctuation and non-Latin letters are dropped)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := joined(Policy(&tc.p).ToAggregate()); got != tc.want {
				t.Errorf("Policy()\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

func TestStack(t *testing.T) {
	cases := []struct {
		name string
		s    v1alpha1.Stack
		want string
	}{
		{"minimal stack",
			v1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: "networking"}}, ""},
		{"dependency on the id derived from metadata.name",
			v1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: "networking"},
				Spec: v1alpha1.StackSpec{Dependencies: []v1alpha1.StackDependency{{StackID: "networking"}}}},
			`spec.dependencies[0].stackID: Invalid value: "networking": is this stack's own Spacelift id, and a stack cannot depend on itself: remove this dependency`},
		{"dependency on the id in status",
			v1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: "networking"},
				Spec:   v1alpha1.StackSpec{Dependencies: []v1alpha1.StackDependency{{StackID: "net-01"}}},
				Status: v1alpha1.StackStatus{CommonStatus: v1alpha1.CommonStatus{SpaceliftID: "net-01"}}},
			`spec.dependencies[0].stackID: Invalid value: "net-01": is this stack's own Spacelift id, and a stack cannot depend on itself: remove this dependency`},
		{"drift detection with the default time zone left empty",
			v1alpha1.Stack{ObjectMeta: metav1.ObjectMeta{Name: "networking"},
				Spec: v1alpha1.StackSpec{DriftDetection: &v1alpha1.DriftDetection{Enabled: true, Schedule: []v1alpha1.CronSchedule{"0 4 * * *"}}}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := joined(Stack(&tc.s).ToAggregate()); got != tc.want {
				t.Errorf("Stack()\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

func TestAdminStack(t *testing.T) {
	minimal := v1alpha1.AdminStack{ObjectMeta: metav1.ObjectMeta{Name: "platform-admin"},
		Spec: v1alpha1.AdminStackSpec{Repository: "acme/infrastructure",
			Source: v1alpha1.AtmosSource{ConfigMaps: []v1alpha1.ConfigMapMount{{Name: "atmos"}}}}}
	if got := joined(AdminStack(&minimal).ToAggregate()); got != "" {
		t.Errorf("a minimal AdminStack without childDefaults: got %s, want no error", got)
	}
	named := minimal.DeepCopy()
	named.Spec.AdminStack.Name = "⚙️"
	want := `spec.adminStack.name: Invalid value: "⚙️": has no ASCII letter or digit, so Spacelift cannot derive an id from it: add some, e.g. "payments-db" (emoji, punctuation and non-Latin letters are dropped)`
	if got := joined(AdminStack(named).ToAggregate()); got != want {
		t.Errorf("admin stack name without an id\n got: %s\nwant: %s", got, want)
	}
}

// joined renders an aggregate error, or "" for none.
func joined(err error) string {
	if err == nil {
		return ""
	}
	return strings.TrimSpace(err.Error())
}
