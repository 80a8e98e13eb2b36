package controllers

import (
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

func TestLoggingRecorder(t *testing.T) {
	var lines []string
	log := funcr.New(func(prefix, args string) { lines = append(lines, args) }, funcr.Options{})
	fake := record.NewFakeRecorder(4)
	r := withLogging(fake, log)
	s := newStack("net", nil)
	s.Annotations = map[string]string{spaceliftv1alpha1.AnnotationSpaceliftID: "net-01"}
	r.Eventf(s, corev1.EventTypeNormal, "Created", "Created Spacelift stack %s", "net-01")
	r.Event(s, corev1.EventTypeWarning, "AlreadyExists", "a stack exists")
	if got := <-fake.Events; got != "Normal Created Created Spacelift stack net-01" {
		t.Errorf("event = %q", got)
	}
	if len(lines) != 2 {
		t.Fatalf("log lines = %v", lines)
	}
	for _, want := range []string{`"msg"="Created Spacelift stack net-01"`, `"reason"="Created"`, `"kind"="Stack"`, `"namespace"="default"`, `"name"="net"`, `"spaceliftID"="net-01"`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("log line %q lacks %s", lines[0], want)
		}
	}
	if !strings.Contains(lines[1], `"warning"=true`) {
		t.Errorf("warning not marked: %q", lines[1])
	}
}
