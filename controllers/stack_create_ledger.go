package controllers

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// createLedger knows, for the process that leads, which Stacks may have a
// create that landed without being confirmed. Only the leader creates
// stacks. When this process began to lead, it noted every Stack whose id was
// written but not confirmed (an earlier leader may have sent its create);
// since then, it notes each Stack it sends a create for. Any other Stack has
// no create that may have landed, whatever its id annotation says: an
// AdminStack writes the id into the children it creates, so that they cost
// no metadata write before their create. A noted Stack with an unconfirmed
// id is read, and looked for by its ownership label, before a new create.
type createLedger struct {
	mu      sync.Mutex
	leading bool
	// noted holds the UIDs of the Stacks that may have a create that
	// landed unconfirmed.
	noted map[types.UID]struct{}
}

// runnable notes the Stacks with unconfirmed ids once the cache has synced;
// the manager starts it with the controllers, once elected. Until it has,
// every unconfirmed id is read before a create.
func (l *createLedger) runnable(c cache.Cache) manager.Runnable {
	return manager.RunnableFunc(func(ctx context.Context) error {
		if !c.WaitForCacheSync(ctx) {
			return nil // stopped before the cache synced
		}
		if err := l.lead(ctx, c); err != nil {
			// Safe without: unconfirmed ids are read before a create.
			log.FromContext(ctx).Error(err, "noting the Stacks whose create may have landed; every unconfirmed id is read before a create")
		}
		<-ctx.Done()
		return nil
	})
}

// lead notes the Stacks of r whose id was written but not confirmed, or
// that carry an older operator's create-pending mark, and starts the ledger.
func (l *createLedger) lead(ctx context.Context, r client.Reader) error {
	var list spaceliftv1alpha1.StackList
	if err := r.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing Stacks: %w", err)
	}
	noted := map[types.UID]struct{}{}
	for i := range list.Items {
		s := &list.Items[i]
		if id := s.Annotations[spaceliftv1alpha1.AnnotationSpaceliftID]; id != "" && id != s.Status.SpaceliftID ||
			s.Annotations[spaceliftv1alpha1.AnnotationCreatePending] != "" {
			noted[s.UID] = struct{}{}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leading {
		return errors.New("the ledger was started twice")
	}
	for uid := range l.noted { // creates sent before the list
		noted[uid] = struct{}{}
	}
	l.noted, l.leading = noted, true
	return nil
}

// sending notes that a create for the object uid is about to be sent.
func (l *createLedger) sending(uid types.UID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.noted == nil {
		l.noted = map[types.UID]struct{}{}
	}
	l.noted[uid] = struct{}{}
}

// forget drops the note of an object whose stack is confirmed or gone.
func (l *createLedger) forget(uid types.UID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.noted, uid)
}

// noneSent reports whether no create can have been sent for the object uid
// (see createLedger).
func (l *createLedger) noneSent(uid types.UID) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, noted := l.noted[uid]
	return l.leading && !noted
}
