package controllers

import (
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/stackwright/spacelift-operator/internal/tenancy"
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
