package controllers

import (
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/stackwright/spacelift-operator/internal/source"
)

// Dependencies are what the reconcilers share besides the manager.
type Dependencies struct {
	// Credentials finds the Spacelift client of an object.
	Credentials *Credentials
	// Signer signs run metadata; nil sends it unsigned.
	Signer *RunSigner
	// PublicKeys is the ConfigMap the signing key's public half is published
	// to; ignored without a Signer.
	PublicKeys types.NamespacedName
	// Webhooks, when set, carries stacks named by verified Spacelift
	// webhooks to the Stack controller.
	Webhooks *WebhookEvents
	// Git reads AdminStacks' Git sources; nil uses source.NewGit's safe
	// defaults (no local repositories, no non-public hosts).
	Git *source.Git
}

// SetupAll registers the Stack, Policy and AdminStack reconcilers, and the
// signing key publisher when a signer is configured.
func SetupAll(mgr ctrl.Manager, o Options, d Dependencies) error {
	cache := &StackCache{MaxAge: o.SyncInterval}
	reconcilers := map[string]interface{ SetupWithManager(ctrl.Manager) error }{
		"Stack": &StackReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Options: o, Credentials: d.Credentials,
			Recorder: withLogging(mgr.GetEventRecorderFor("stack-controller"), mgr.GetLogger().WithName("stack")), Cache: cache, Signer: d.Signer, Webhooks: d.Webhooks}, //nolint:staticcheck // core/v1 events are what kubectl describe shows
		"Policy": &PolicyReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Options: o, Credentials: d.Credentials,
			Recorder: withLogging(mgr.GetEventRecorderFor("policy-controller"), mgr.GetLogger().WithName("policy"))}, //nolint:staticcheck // as above
		"AdminStack": &AdminStackReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Options: o, Git: d.Git, Credentials: d.Credentials,
			Recorder: withLogging(mgr.GetEventRecorderFor("adminstack-controller"), mgr.GetLogger().WithName("adminstack"))}, //nolint:staticcheck // as above
	}
	if d.Signer != nil {
		reconcilers["SigningKey"] = &SigningKeyPublisher{Client: mgr.GetClient(), Signer: d.Signer, ConfigMap: d.PublicKeys}
	}
	if err := ctrlmetrics.Registry.Register(newObjectsCollector(mgr.GetClient())); err != nil {
		return fmt.Errorf("registering object metrics: %w", err)
	}
	for kind, r := range reconcilers {
		if err := r.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", kind, err)
		}
	}
	return nil
}
