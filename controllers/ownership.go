package controllers

import (
	"fmt"
	"strings"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// claim is whose a Spacelift object is, as its ownership label says.
type claim int

const (
	// claimOwned: the object carries this Kubernetes object's label.
	claimOwned claim = iota
	// claimUnowned: no Kubernetes object manages it.
	claimUnowned
	// claimForeign: another Kubernetes object, maybe in another namespace,
	// manages it.
	claimForeign
)

// ownerOf returns the "<namespace>/<name>" of the first ownership label.
func ownerOf(labels []string) string {
	for _, l := range labels {
		if owner, ok := strings.CutPrefix(l, spaceliftv1alpha1.LabelOwnership); ok {
			return owner
		}
	}
	return ""
}

// claimOf says whose a Spacelift object with labels is, seen from the
// Kubernetes object namespace/name, and names the other owner if any. A
// Spacelift object labelled for two owners is foreign: the operator never
// shares one.
func claimOf(labels []string, namespace, name string) (claim, string) {
	mine := namespace + "/" + name
	var other string
	owned := false
	for _, l := range labels {
		owner, ok := strings.CutPrefix(l, spaceliftv1alpha1.LabelOwnership)
		switch {
		case !ok:
		case owner == mine:
			owned = true
		case other == "":
			other = owner
		}
	}
	switch {
	case other != "":
		return claimForeign, other
	case owned:
		return claimOwned, ""
	}
	return claimUnowned, ""
}

// manager names, for an event, who manages a Spacelift object whose claim
// is not claimOwned.
func (c claim) manager(owner string) string {
	if c == claimForeign {
		return "the object " + owner
	}
	return "no Kubernetes object"
}

// foreignOwner is the Stalled condition of an object whose Spacelift id
// names an object another Kubernetes object manages. Nothing is written.
func foreignOwner(kind, what, id, owner string) *condition {
	ns, name, _ := strings.Cut(owner, "/")
	return &condition{spaceliftv1alpha1.ReasonOwnedByAnother, fmt.Sprintf(
		"Spacelift %s %q is managed by the %s %s in namespace %s; this object may not write, adopt or delete it: give it another spec.name",
		what, id, kind, name, ns)}
}
