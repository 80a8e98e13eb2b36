package controllers

import (
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/stackwright/spacelift-operator/internal/tenancy"
)

const (
	// reconcileTimeout bounds one reconcile of a Stack or Policy; every
	// Spacelift call in it has its own, shorter deadline
	// (spacelift.DefaultCallTimeout).
	reconcileTimeout = 3 * time.Minute
	// adminStackReconcileTimeout bounds one reconcile of an AdminStack: a
	// Git fetch (adminStackGitTimeout), name lookups and the writes of the
	// children.
	adminStackReconcileTimeout = 5 * time.Minute
)

// Options are the settings shared by every reconciler.
type Options struct {
	// SyncInterval is how often objects are re-checked against Spacelift when
	// their spec sets no interval.
	SyncInterval time.Duration
	// MaxConcurrentReconciles bounds the parallel reconciles per kind.
	MaxConcurrentReconciles int
	// Tenancy is what every namespace may do before its own annotations
	// widen it; see package tenancy.
	Tenancy tenancy.Policy
	// ProtectedSecrets are the Secrets the operator itself uses (its
	// credentials, run-signing key, webhook secret); no object may read
	// them into a run.
	ProtectedSecrets []types.NamespacedName
}
