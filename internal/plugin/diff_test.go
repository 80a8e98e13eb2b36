package plugin

import (
	"flag"
	"testing"

	"k8s.io/utils/ptr"

	v1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// The cases follow TestPruneBlocked in controllers/adminstack_prune_test.go:
// the plugin restates the controller's rule and must agree with it.
func TestPruneGuardBlocks(t *testing.T) {
	for _, tc := range []struct {
		name           string
		guard          v1.PruneGuard
		victims, total int
		blocked        bool
		why            string
	}{
		{"nothing to prune", v1.PruneGuard{}, 0, 10, false, ""},
		{"five of six is within the count", v1.PruneGuard{}, 5, 6, false, "the guard stops more than 5 children and more than 20% of them, or all"},
		{"six of six is every child", v1.PruneGuard{}, 6, 6, true, "every child"},
		{"five of ten is within the count", v1.PruneGuard{}, 5, 10, false, "the guard stops more than 5 children and more than 20% of them, or all"},
		{"six of ten is over both", v1.PruneGuard{}, 6, 10, true, "more than 5 children and more than 20% of them"},
		{"six of a hundred is within the percentage", v1.PruneGuard{}, 6, 100, false, "the guard stops more than 5 children and more than 20% of them, or all"},
		{"21 of a hundred is over both", v1.PruneGuard{}, 21, 100, true, "more than 5 children and more than 20% of them"},
		{"the only child", v1.PruneGuard{}, 1, 1, true, "every child"},
		{"all of three", v1.PruneGuard{}, 3, 3, true, "every child"},
		{"maxCount 0 and maxPercent 0 block any prune", v1.PruneGuard{MaxCount: ptr.To[int32](0), MaxPercent: ptr.To[int32](0)}, 1, 50, true,
			"more than 0 children and more than 0% of them"},
		{"maxPercent 100 lets all but one go", v1.PruneGuard{MaxPercent: ptr.To[int32](100)}, 9, 10, false,
			"the guard stops more than 5 children and more than 100% of them, or all"},
		{"maxCount 10 raises the count", v1.PruneGuard{MaxCount: ptr.To[int32](10)}, 8, 10, false,
			"the guard stops more than 10 children and more than 20% of them, or all"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blocked, why := pruneGuardBlocks(tc.guard, tc.victims, tc.total)
			if blocked != tc.blocked || why != tc.why {
				t.Errorf("pruneGuardBlocks(%d of %d) = %v, %q; want %v, %q", tc.victims, tc.total, blocked, why, tc.blocked, tc.why)
			}
		})
	}
}

func TestUnifiedDiff(t *testing.T) {
	for _, tc := range []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"one line changed", "a\nb\nc\n", "a\nB\nc\n", "--- x\n+++ y\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"added at the end", "a\n", "a\nb\n", "--- x\n+++ y\n@@ -1 +1,2 @@\n a\n+b\n"},
		{"from nothing", "", "a\n", "--- x\n+++ y\n@@ -0,0 +1 @@\n+a\n"},
		{"removed at the start", "a\nb\nc\nd\ne\n", "b\nc\nd\ne\n", "--- x\n+++ y\n@@ -1,4 +1,3 @@\n-a\n b\n c\n d\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\nTWELVE\n",
			"--- x\n+++ y\n@@ -1,5 +1,5 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+TWELVE\n"},
		{"close changes share a hunk", "1\n2\n3\n4\n5\n6\n", "1\nX\n3\n4\n5\nY\n",
			"--- x\n+++ y\n@@ -1,6 +1,6 @@\n 1\n-2\n+X\n 3\n 4\n 5\n-6\n+Y\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := unifiedDiff("x", "y", tc.a, tc.b); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestParseInterspersed(t *testing.T) {
	var k kubeFlags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	k.add(fs)
	wait := fs.Bool("wait", false, "")
	pos, err := parseInterspersed(fs, []string{"stack/net", "-n", "prod", "--wait", "extra", "--", "-A"})
	if err != nil {
		t.Fatal(err)
	}
	if k.namespace != "prod" || !*wait || k.allNamespaces || len(pos) != 3 || pos[0] != "stack/net" || pos[1] != "extra" || pos[2] != "-A" {
		t.Errorf("namespace %q, wait %v, -A %v, positional %q", k.namespace, *wait, k.allNamespaces, pos)
	}
}
