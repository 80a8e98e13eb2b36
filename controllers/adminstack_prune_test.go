package controllers

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Stack/c%02d", i)
	}
	return out
}

func TestPruneBlocked(t *testing.T) {
	tests := []struct {
		name      string
		guard     spaceliftv1alpha1.PruneGuard
		victims   int
		total     int
		confirmed string
		want      string
	}{
		{"nothing to delete", spaceliftv1alpha1.PruneGuard{}, 0, 6, "", ""},
		{"one of six", spaceliftv1alpha1.PruneGuard{}, 1, 6, "", ""},
		{"five of six is within the count", spaceliftv1alpha1.PruneGuard{}, 5, 6, "", ""},
		{"six of six is everything", spaceliftv1alpha1.PruneGuard{}, 6, 6, "",
			"this change would delete 6 of 6 children (every child): Stack/c00, Stack/c01, Stack/c02, Stack/c03, Stack/c04 and 1 more; nothing was deleted. If that is intended, annotate the AdminStack with spacelift.stackwright.io/confirm-prune=abc-g3; otherwise fix the filters or the source"},
		{"the only child", spaceliftv1alpha1.PruneGuard{}, 1, 1, "", "would delete 1 of 1 children (every child)"},
		{"six of a hundred is within the share", spaceliftv1alpha1.PruneGuard{}, 6, 100, "", ""},
		{"twenty-one of a hundred", spaceliftv1alpha1.PruneGuard{}, 21, 100, "", "would delete 21 of 100 children (more than 5 children and more than 20% of them)"},
		{"confirmed for this change", spaceliftv1alpha1.PruneGuard{}, 6, 6, "abc-g3", ""},
		{"confirmed for an earlier change", spaceliftv1alpha1.PruneGuard{}, 6, 6, "abc-g2", "every child"},
		{"stricter guard", spaceliftv1alpha1.PruneGuard{MaxCount: ptr.To[int32](0), MaxPercent: ptr.To[int32](0)}, 1, 100, "", "more than 0 children and more than 0% of them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := pruneBlocked(tt.guard, names(tt.victims), tt.total, "abc-g3", tt.confirmed)
			switch {
			case tt.want == "" && c != nil:
				t.Errorf("blocked: %s", c.message)
			case tt.want != "" && c == nil:
				t.Errorf("not blocked, want %q", tt.want)
			case c != nil && (c.reason != spaceliftv1alpha1.ReasonPruneBlocked || !strings.Contains(c.message, tt.want)):
				t.Errorf("condition %s: %q, want it to contain %q", c.reason, c.message, tt.want)
			}
		})
	}
}

func TestPruneToken(t *testing.T) {
	if got := pruneToken("sha256:0123456789abcdef0123", 7); got != "0123456789ab-g7" {
		t.Errorf("pruneToken = %q", got)
	}
	if got := pruneToken("3f2a9c1", 2); got != "3f2a9c1-g2" {
		t.Errorf("pruneToken = %q", got)
	}
}
