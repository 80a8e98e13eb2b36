package controllers

import (
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
)

// SetupAll registers the Stack, Policy and AdminStack reconcilers.
func SetupAll(mgr ctrl.Manager, o Options, creds *Credentials) error {
	drift := &DriftCache{MaxAge: o.SyncInterval / 2}
	reconcilers := map[string]interface{ SetupWithManager(ctrl.Manager) error }{
		"Stack": &StackReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Options: o, Credentials: creds,
			Recorder: mgr.GetEventRecorderFor("stack-controller"), Drift: drift}, //nolint:staticcheck // core/v1 events are what kubectl describe shows
		"Policy": &PolicyReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Options: o, Credentials: creds,
			Recorder: mgr.GetEventRecorderFor("policy-controller")}, //nolint:staticcheck // as above
		"AdminStack": &AdminStackReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Options: o},
	}
	for kind, r := range reconcilers {
		if err := r.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", kind, err)
		}
	}
	return nil
}
