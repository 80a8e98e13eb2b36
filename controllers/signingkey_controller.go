package controllers

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
)

// publicKeysKept is how many public keys the ConfigMap keeps: the current one
// and the ones before it, so that runs signed just before a rotation still
// verify.
const publicKeysKept = 3

// annotationKeyOrder lists the key ids in the ConfigMap, newest first.
const annotationKeyOrder = "spacelift.stackwright.io/key-order"

// SigningKeyPublisher keeps a ConfigMap with the public half of the run
// signing key (one PEM file per key id, plus current.pem), so that private
// workers can mount it and verify runs with `spacelift-operator verify-run
// --public-key-dir`.
type SigningKeyPublisher struct {
	client.Client
	// Signer names the signing key Secret.
	Signer *RunSigner
	// ConfigMap is where the public keys are published.
	ConfigMap types.NamespacedName
}

// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;update;patch

// Reconcile publishes the public key of the current signing key.
func (p *SigningKeyPublisher) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	var secret corev1.Secret
	if err := p.Get(ctx, p.Signer.Secret, &secret); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	priv, err := runmeta.PrivateKeyFromSecretData(secret.Data, p.Signer.Key)
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "run signing key is unusable; public key not published", "secret", p.Signer.Secret.String())
		return ctrl.Result{}, nil
	}
	pub := priv.Public().(ed25519.PublicKey)
	pemBytes, err := runmeta.MarshalPublicKeyPEM(pub)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("encoding public key: %w", err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: p.ConfigMap.Name, Namespace: p.ConfigMap.Namespace}}
	_, err = controllerutil.CreateOrUpdate(ctx, p.Client, cm, func() error {
		publishKey(cm, runmeta.KeyID(pub), string(pemBytes))
		return nil
	})
	if apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("publishing public key to ConfigMap %s: %w", p.ConfigMap, err)
	}
	return ctrl.Result{}, nil
}

// publishKey puts the key into cm as current.pem and <kid>.pem, keeping the
// newest publicKeysKept key ids.
func publishKey(cm *corev1.ConfigMap, kid, pemText string) {
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	var order []string
	if v := cm.Annotations[annotationKeyOrder]; v != "" {
		order = strings.Split(v, ",")
	}
	order = slices.DeleteFunc(order, func(k string) bool { return k == kid })
	order = append([]string{kid}, order...)
	for _, old := range order[min(len(order), publicKeysKept):] {
		delete(cm.Data, old+".pem")
	}
	order = order[:min(len(order), publicKeysKept)]
	cm.Data[kid+".pem"] = pemText
	cm.Data["current.pem"] = pemText
	cm.Annotations[annotationKeyOrder] = strings.Join(order, ",")
}

// SetupWithManager watches the signing key Secret.
func (p *SigningKeyPublisher) SetupWithManager(mgr ctrl.Manager) error {
	isKey := predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetNamespace() == p.Signer.Secret.Namespace && o.GetName() == p.Signer.Secret.Name
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("signingkey").
		For(&corev1.Secret{}, builder.WithPredicates(isKey)).
		Complete(p)
}
