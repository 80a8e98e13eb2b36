package controllers

import (
	"fmt"
	"strings"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

const (
	// defaultPruneMaxCount and defaultPruneMaxPercent are pruneGuard's
	// defaults: a change may delete up to 5 children, or up to 20% of them.
	defaultPruneMaxCount   = 5
	defaultPruneMaxPercent = 20
	// pruneListed is how many names a PruneBlocked message lists.
	pruneListed = 5
)

// pruneToken names one change of an AdminStack: its source revision and
// generation. A confirmation holds for that change only.
func pruneToken(revision string, generation int64) string {
	rev := strings.TrimPrefix(revision, "sha256:")
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return fmt.Sprintf("%s-g%d", rev, generation)
}

// pruneBlocked decides whether deleting victims (sorted) out of total
// children needs a confirmation under guard, and returns the Stalled
// condition when it does and confirmed is not the change's token. Deleting
// every child always needs one: a source that suddenly selects nothing is
// never taken as "delete everything".
func pruneBlocked(guard spaceliftv1alpha1.PruneGuard, victims []string, total int, token, confirmed string) *condition {
	n := len(victims)
	if n == 0 || confirmed == token {
		return nil
	}
	maxCount, maxPercent := int32(defaultPruneMaxCount), int32(defaultPruneMaxPercent)
	if guard.MaxCount != nil {
		maxCount = *guard.MaxCount
	}
	if guard.MaxPercent != nil {
		maxPercent = *guard.MaxPercent
	}
	all := n >= total
	many := n > int(maxCount) && n*100 > int(maxPercent)*total
	if !all && !many {
		return nil
	}
	names := victims
	more := ""
	if len(names) > pruneListed {
		names, more = names[:pruneListed], fmt.Sprintf(" and %d more", len(victims)-pruneListed)
	}
	why := fmt.Sprintf("more than %d children and more than %d%% of them", maxCount, maxPercent)
	if all {
		why = "every child"
	}
	return &condition{spaceliftv1alpha1.ReasonPruneBlocked, fmt.Sprintf(
		"this change would delete %d of %d children (%s): %s%s; nothing was deleted. If that is intended, annotate the AdminStack with %s=%s; otherwise fix the filters or the source",
		n, total, why, strings.Join(names, ", "), more, spaceliftv1alpha1.AnnotationConfirmPrune, token)}
}
