package controllers

import (
	"time"
)

// Options are the settings shared by every reconciler.
type Options struct {
	// SyncInterval is how often objects are re-checked against Spacelift when
	// their spec sets no interval.
	SyncInterval time.Duration
	// MaxConcurrentReconciles bounds the parallel reconciles per kind.
	MaxConcurrentReconciles int
}
