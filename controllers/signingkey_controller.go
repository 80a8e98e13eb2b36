package controllers

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
)

// publicKeysKept is how many public keys the ConfigMap keeps at least: the
// current one and the ones before it. Older keys go only once they retired
// more than runmeta.KeyRetention ago, so runs signed just before a rotation
// still verify.
const publicKeysKept = 3

// annotationKeyOrder lists the key ids in the ConfigMap, newest first, with
// their retirement times (runmeta.FormatPublishedKeys).
const annotationKeyOrder = "spacelift.stackwright.io/key-order"

// jwksKey is the ConfigMap key of the JSON Web Key Set of the published keys.
const jwksKey = "jwks.json"

// SigningKeyPublisher keeps a ConfigMap with the public half of the run
// signing key (one PEM file per key id, current.pem, and all of them as the
// JSON Web Key Set jwks.json), so that policies can embed the key set and
// workers can mount it and verify runs with `spacelift-operator verify-run
// --public-key-dir`.
//
// It reads the Secret and the ConfigMap with direct GETs, once at start and
// then every signingKeyPoll: it watches no Secret, so the operator needs no
// list or watch permission on Secrets, and the two objects may live in a
// namespace the manager does not watch.
type SigningKeyPublisher struct {
	client.Client
	// Reader reads the Secret and the ConfigMap without a cache; nil means
	// Client.
	Reader client.Reader
	// Signer names the signing key Secret.
	Signer *RunSigner
	// ConfigMap is where the public keys are published.
	ConfigMap types.NamespacedName
}

// signingKeyPoll is how often the signing key Secret is read for a rotation.
const signingKeyPoll = time.Minute

// The public-key ConfigMap is written under the own-objects Role (config/rbac), limited to its name.

// Reconcile publishes the public key of the current signing key.
func (p *SigningKeyPublisher) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	reader := p.Reader
	if reader == nil {
		reader = p.Client
	}
	var secret corev1.Secret
	if err := reader.Get(ctx, p.Signer.Secret, &secret); err != nil {
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
	err = reader.Get(ctx, p.ConfigMap, cm)
	switch {
	case apierrors.IsNotFound(err):
		if err := publishKey(cm, runmeta.KeyID(pub), string(pemBytes), time.Now()); err != nil {
			return ctrl.Result{}, err
		}
		err = p.Create(ctx, cm)
	case err == nil:
		before := cm.DeepCopy()
		if err := publishKey(cm, runmeta.KeyID(pub), string(pemBytes), time.Now()); err != nil {
			return ctrl.Result{}, err
		}
		if !equality.Semantic.DeepEqual(before, cm) {
			err = p.Update(ctx, cm)
		}
	}
	if apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("publishing public key to ConfigMap %s: %w", p.ConfigMap, err)
	}
	return ctrl.Result{}, nil
}

// publishKey puts the key into cm as current.pem and <kid>.pem, drops the
// keys runmeta.RotatePublishedKeys retires for good, and writes jwks.json
// with every published key, newest first.
func publishKey(cm *corev1.ConfigMap, kid, pemText string, now time.Time) error {
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Data[kid+".pem"] = pemText
	cm.Data["current.pem"] = pemText
	published := runmeta.ParsePublishedKeys(cm.Annotations[annotationKeyOrder])
	published = slices.DeleteFunc(published, func(k runmeta.PublishedKey) bool { return cm.Data[k.ID+".pem"] == "" })
	kept, dropped := runmeta.RotatePublishedKeys(published, kid, now, publicKeysKept)
	for _, old := range dropped {
		delete(cm.Data, old+".pem")
	}
	pems := make([][]byte, 0, len(kept))
	for _, k := range kept {
		pems = append(pems, []byte(cm.Data[k.ID+".pem"]))
	}
	jwks, err := runmeta.JWKSFromPEM(pems...)
	if err != nil {
		return fmt.Errorf("building %s: %w", jwksKey, err)
	}
	cm.Data[jwksKey] = string(jwks)
	cm.Annotations[annotationKeyOrder] = runmeta.FormatPublishedKeys(kept)
	return nil
}

// SetupWithManager runs the publisher on the leader: at start, then every
// signingKeyPoll.
func (p *SigningKeyPublisher) SetupWithManager(mgr ctrl.Manager) error {
	if p.Reader == nil {
		p.Reader = mgr.GetAPIReader()
	}
	return mgr.Add(p)
}

// Start implements manager.Runnable.
func (p *SigningKeyPublisher) Start(ctx context.Context) error {
	log := ctrl.LoggerFrom(ctx).WithName("signingkey")
	t := time.NewTicker(signingKeyPoll)
	defer t.Stop()
	for {
		if _, err := p.Reconcile(ctx, ctrl.Request{}); err != nil {
			log.Error(err, "publishing the run signing key's public half; retrying", "configMap", p.ConfigMap.String())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// NeedLeaderElection implements manager.LeaderElectionRunnable: one replica
// publishes.
func (p *SigningKeyPublisher) NeedLeaderElection() bool { return true }
