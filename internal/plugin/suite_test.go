package plugin

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/stackwright/spacelift-operator/internal/testenv"
)

// The suite runs every command through Main against one envtest control
// plane, with a kubeconfig file as kubectl would use, and writes objects and
// their status directly: no manager runs, tests play the controllers' part.
var (
	k8s        client.Client
	kubeconfig string
	// testNow is the plugin's clock: 50½ hours after the suite started, so
	// that every object's AGE prints as 2d2h.
	testNow time.Time
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	env, cfg, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
	}()
	testNow = time.Now().Add(50*time.Hour + 30*time.Minute)
	user, err := env.AddUser(envtest.User{Name: "plugin-test", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "adding the test user:", err)
		return 1
	}
	data, err := user.KubeConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "writing the kubeconfig:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "kubectl-spacelift")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, data, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if k8s, err = client.New(cfg, client.Options{Scheme: newScheme()}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := corev1.AddToScheme(k8s.Scheme()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// run runs kubectl-spacelift with the suite's kubeconfig and clock.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCtx(t.Context(), args...)
}

func runCtx(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	return runAt(ctx, testNow, args...)
}

// runAt runs kubectl-spacelift with its clock at now.
func runAt(ctx context.Context, now time.Time, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Main(ctx, append(args, "--kubeconfig", kubeconfig), Options{
		Stdin: bytes.NewReader(nil), Stdout: &out, Stderr: &errOut,
		Now: func() time.Time { return now }, PollInterval: 20 * time.Millisecond,
	})
	return code, out.String(), errOut.String()
}

// namespace creates a namespace for one test.
func namespace(t *testing.T, name string) string {
	t.Helper()
	if err := k8s.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return name
}

// create creates obj, then writes status (a function of the created
// object, so that it may use its UID) as a controller would.
func create(t *testing.T, obj client.Object, status func()) {
	t.Helper()
	if err := k8s.Create(t.Context(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
	if status == nil {
		return
	}
	status()
	if err := k8s.Status().Update(t.Context(), obj); err != nil {
		t.Fatalf("writing the status of %T %s: %v", obj, obj.GetName(), err)
	}
}

// cond is a condition as the controllers write them.
func cond(typ string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message,
		LastTransitionTime: metav1.NewTime(time.Now().Truncate(time.Second))}
}

// wantOutput fails the test when got is not want, showing both.
func wantOutput(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n--- got ---\n%s--- want ---\n%s", what, got, want)
	}
}
