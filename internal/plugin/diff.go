package plugin

import (
	"fmt"
	"strings"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// The prune guard's defaults, as the AdminStack CRD documents them: a change
// may delete up to 5 children, or up to 20% of them.
const (
	defaultPruneMaxCount   = 5
	defaultPruneMaxPercent = 20
)

// pruneGuardBlocks tells whether the AdminStack controller would refuse to
// delete victims of total children without a confirmation, and why. It
// states the rule of pruneBlocked in controllers/adminstack_prune.go, which
// is unexported there: deleting every child always needs a confirmation;
// otherwise it is needed when more than maxCount children and more than
// maxPercent of them would go. total counts the children the AdminStack
// controls, its own admin Stack left out.
func pruneGuardBlocks(guard spaceliftv1alpha1.PruneGuard, victims, total int) (bool, string) {
	if victims == 0 {
		return false, ""
	}
	maxCount, maxPercent := int32(defaultPruneMaxCount), int32(defaultPruneMaxPercent)
	if guard.MaxCount != nil {
		maxCount = *guard.MaxCount
	}
	if guard.MaxPercent != nil {
		maxPercent = *guard.MaxPercent
	}
	if victims >= total {
		return true, "every child"
	}
	if victims > int(maxCount) && victims*100 > int(maxPercent)*total {
		return true, fmt.Sprintf("more than %d children and more than %d%% of them", maxCount, maxPercent)
	}
	return false, fmt.Sprintf("the guard stops more than %d children and more than %d%% of them, or all", maxCount, maxPercent)
}

// diffContext is how many unchanged lines a hunk shows around a change.
const diffContext = 3

// unifiedDiff is a unified diff of the lines of a and b, with file names
// from and to; empty when they are equal.
func unifiedDiff(from, to, a, b string) string {
	if a == b {
		return ""
	}
	x, y := splitLines(a), splitLines(b)
	ops := diffLines(x, y)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", from, to)
	// Group the operations into hunks: changes closer than twice the
	// context share a hunk.
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-diffContext, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*diffContext {
				end = min(end+diffContext, len(ops))
				break
			}
			end = run
		}
		writeHunk(&sb, ops[start:end])
		i = end
	}
	return sb.String()
}

// lineOp is one line of a diff: ' ' kept, '-' removed, '+' added, with its
// 1-based line numbers in a and b.
type lineOp struct {
	kind byte
	text string
	a, b int
}

func writeHunk(sb *strings.Builder, ops []lineOp) {
	aStart, bStart, aLen, bLen := 0, 0, 0, 0
	for _, op := range ops {
		if op.kind != '+' {
			if aLen == 0 {
				aStart = op.a
			}
			aLen++
		}
		if op.kind != '-' {
			if bLen == 0 {
				bStart = op.b
			}
			bLen++
		}
	}
	// An empty side is numbered by the line before it, as diff(1) does.
	if aLen == 0 {
		aStart = ops[0].a - 1
	}
	if bLen == 0 {
		bStart = ops[0].b - 1
	}
	fmt.Fprintf(sb, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
	for _, op := range ops {
		fmt.Fprintf(sb, "%c%s\n", op.kind, op.text)
	}
}

func hunkRange(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// diffLines aligns x and y on a longest common subsequence. Specs are a few
// hundred lines at most, so the quadratic table is fine. Each op carries
// the line number it would have in x (removals and kept lines) or y
// (additions and kept lines), and for the other side the number of the next
// line, so that hunk headers of pure insertions or deletions come out right.
func diffLines(x, y []string) []lineOp {
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []lineOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, lineOp{' ', x[i], i + 1, j + 1})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, lineOp{'-', x[i], i + 1, j + 1})
			i++
		default:
			ops = append(ops, lineOp{'+', y[j], i + 1, j + 1})
			j++
		}
	}
	return ops
}
