package controllers

import (
	"context"
	"fmt"
	"time"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/adminstack"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// DirectoryAPI is the part of the Spacelift API that turns the names of
// worker pools, spaces and contexts into ids. *spacelift.Client implements it.
type DirectoryAPI interface {
	ListWorkerPools(ctx context.Context) ([]spacelift.Named, error)
	ListSpaces(ctx context.Context) ([]spacelift.Named, error)
	ListContexts(ctx context.Context) ([]spacelift.Named, error)
}

// adminStackMaxUnknownNames is how many unknown names a Stalled message lists:
// enough to fix a tree in one go.
const adminStackMaxUnknownNames = 20

// directoryTimeout bounds the lookups of one reconcile.
const directoryTimeout = 30 * time.Second

// resolveNames replaces the worker pools, spaces and contexts that the
// desired set names with their Spacelift ids and returns those ids (see
// adminstack.ResolvedIDs). It stops the reconcile when a name is unknown or
// ambiguous (stalled, every such name listed with where it was set) or when
// lookUpNames does.
func (r *AdminStackReconciler) resolveNames(ctx context.Context, s *adminStackScope, d *adminstack.Desired) ([]string, bool, error) {
	dir, done, err := r.lookUpNames(ctx, s, d.NeededKinds())
	if done || err != nil {
		return nil, true, err
	}
	if problems := adminstack.ResolveNames(d, dir); len(problems) > 0 {
		s.stalled = &condition{spaceliftv1alpha1.ReasonUnknownName, adminstack.Summarize(problems, adminStackMaxUnknownNames)}
		return nil, true, nil
	}
	ids, _ := adminstack.ResolvedIDs(d, dir)
	return ids, false, nil
}

// lookUpNames lists the Spacelift objects of the given kinds, each kind once;
// no kinds give an empty directory and no request. It stops the reconcile
// when the credentials need a person (stalled); a failed list is returned
// for backoff.
func (r *AdminStackReconciler) lookUpNames(ctx context.Context, s *adminStackScope, kinds []adminstack.NameKind) (*adminstack.Directory, bool, error) {
	if len(kinds) == 0 {
		return adminstack.NewDirectory(nil), false, nil
	}
	api, _, stalled, err := connect(ctx, r.Credentials, s.obj.Namespace, s.obj.Spec.CredentialsRef,
		r.NewDirectoryAPI, func(c *spacelift.Client) DirectoryAPI { return c })
	if err != nil {
		return nil, true, err
	}
	if stalled != nil {
		s.stalled = stalled
		return nil, true, nil
	}
	lctx, cancel := context.WithTimeout(ctx, directoryTimeout)
	defer cancel()
	dir, err := LookUpDirectory(lctx, api, kinds)
	if err != nil {
		if v := judge(err, "lookup"); v.stalled != nil {
			s.stalled = v.stalled
			return nil, true, nil
		}
		return nil, true, err
	}
	return dir, false, nil
}

// LookUpDirectory lists the Spacelift objects of the given kinds, for
// adminstack.ResolveNames.
func LookUpDirectory(ctx context.Context, api DirectoryAPI, kinds []adminstack.NameKind) (*adminstack.Directory, error) {
	objects := map[adminstack.NameKind][]adminstack.SpaceliftObject{}
	for _, k := range kinds {
		var list func(context.Context) ([]spacelift.Named, error)
		switch k {
		case adminstack.KindWorkerPool:
			list = api.ListWorkerPools
		case adminstack.KindSpace:
			list = api.ListSpaces
		case adminstack.KindContext:
			list = api.ListContexts
		default:
			return nil, fmt.Errorf("no Spacelift list for %s names", k)
		}
		got, err := list(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing %ss: %w", k, err)
		}
		for _, o := range got {
			objects[k] = append(objects[k], adminstack.SpaceliftObject{ID: o.ID, Name: o.Name})
		}
	}
	return adminstack.NewDirectory(objects), nil
}
