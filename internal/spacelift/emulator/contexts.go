package emulator

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/graph-gophers/graphql-go"
)

// Contexts as the Terraform provider manages them (contextCreateV2,
// contextUpdateV2, contextDelete, contextConfigAdd/Delete) and as spacectl
// searches them.

// hooksInput is HooksInput, and the hook fields of StackInput and
// RuntimeConfigInput.
type hooksInput struct {
	AfterApply    *[]string
	AfterDestroy  *[]string
	AfterInit     *[]string
	AfterPerform  *[]string
	AfterPlan     *[]string
	AfterRun      *[]string
	BeforeApply   *[]string
	BeforeDestroy *[]string
	BeforeInit    *[]string
	BeforePerform *[]string
	BeforePlan    *[]string
}

func (in *hooksInput) toHooks() hooksData {
	if in == nil {
		return hooksData{}.clone()
	}
	return hooksData{
		AfterApply: list(in.AfterApply), AfterDestroy: list(in.AfterDestroy), AfterInit: list(in.AfterInit),
		AfterPerform: list(in.AfterPerform), AfterPlan: list(in.AfterPlan), AfterRun: list(in.AfterRun),
		BeforeApply: list(in.BeforeApply), BeforeDestroy: list(in.BeforeDestroy), BeforeInit: list(in.BeforeInit),
		BeforePerform: list(in.BeforePerform), BeforePlan: list(in.BeforePlan),
	}
}

type contextInput struct {
	Name        string
	Description *string
	Hooks       *hooksInput
	Labels      *[]string
	Space       *graphql.ID
}

// applyContextInputLocked writes the whole input over rec.
func (s *Server) applyContextInputLocked(ctx context.Context, rec *contextRecord, in contextInput) error {
	name, space, err := s.nameAndSpaceLocked(ctx, in.Name, in.Space)
	if err != nil {
		return err
	}
	rec.Name, rec.Description, rec.Labels, rec.Space = name, in.Description, list(in.Labels), space
	rec.Hooks = in.Hooks.toHooks()
	rec.UpdatedAt = unix(s.nowLocked())
	return nil
}

type contextCreateArgs struct{ Input contextInput }

// ContextCreateV2 creates a context whose id is the slug of its name.
func (r *rootResolver) ContextCreateV2(ctx context.Context, args contextCreateArgs) (*contextView, error) {
	s := r.s
	return createObject(ctx, s, contextObjects, func() (*contextRecord, graphql.ID, error) {
		id := graphql.ID(Slug(args.Input.Name))
		if id == "" {
			return nil, "", errors.New("name can't be empty")
		}
		if err := contextObjects.slugFreeLocked(s.st, id); err != nil {
			return nil, "", err
		}
		rec := &contextRecord{described: described{spaced: spaced{ID: id, CreatedAt: unix(s.nowLocked())}}, Config: []*configRecord{}}
		return rec, id, s.applyContextInputLocked(ctx, rec, args.Input)
	}, s.contextViewLocked)
}

type contextUpdateArgs struct {
	ID    graphql.ID
	Input contextInput
}

// ContextUpdateV2 replaces a context's settings; its config stays.
func (r *rootResolver) ContextUpdateV2(ctx context.Context, args contextUpdateArgs) (*contextView, error) {
	return replaceObject(ctx, r.s, contextObjects, args.ID,
		func(c *contextRecord) error { return r.s.applyContextInputLocked(ctx, c, args.Input) }, r.s.contextViewLocked)
}

// ContextDelete removes a context and its attachments; a missing context is
// null, as Spacelift answers.
func (r *rootResolver) ContextDelete(ctx context.Context, args idArg) (*contextView, error) {
	return deleteObject(ctx, r.s, contextObjects, args.ID, nil, r.s.contextViewLocked)
}

type contextConfigAddArgs struct {
	Context graphql.ID
	Config  configInput
}

// ContextConfigAdd adds or replaces an environment variable or mounted file.
func (r *rootResolver) ContextConfigAdd(ctx context.Context, args contextConfigAddArgs) (*configView, error) {
	return onObject(ctx, r.s, contextObjects, args.Context, func(c *contextRecord) (*configView, error) {
		el, err := newConfigRecord(args.Config, unix(r.s.nowLocked()))
		if err != nil {
			return nil, err
		}
		c.Config = append(slices.DeleteFunc(slices.Clone(c.Config), func(x *configRecord) bool { return x.ID == el.ID }), el)
		c.UpdatedAt = unix(r.s.nowLocked())
		return newConfigView(el), nil
	})
}

type contextConfigDeleteArgs struct {
	Context graphql.ID
	ID      graphql.ID
}

// ContextConfigDelete removes a config element; a missing one is null.
func (r *rootResolver) ContextConfigDelete(ctx context.Context, args contextConfigDeleteArgs) (*configView, error) {
	return onObject(ctx, r.s, contextObjects, args.Context, func(c *contextRecord) (*configView, error) {
		return viewOrNull(removeFrom(&c.Config, func(x *configRecord) bool { return x.ID == args.ID }), func(el *configRecord) *configView {
			c.UpdatedAt = unix(r.s.nowLocked())
			return newConfigView(el)
		})
	})
}

// newConfigRecord validates a ConfigInput.
func newConfigRecord(in configInput, now int32) (*configRecord, error) {
	if strings.TrimSpace(string(in.ID)) == "" {
		return nil, errors.New("config element id can't be empty")
	}
	return &configRecord{ID: in.ID, Checksum: checksum(in.Value), CreatedAt: now,
		Description: in.Description, Type: in.Type, Val: in.Value, WriteOnly: in.WriteOnly}, nil
}

// Hooks resolves Context.hooks.
func (v *contextView) Hooks() *hooksData {
	h := v.hooks.clone()
	return &h
}

var contextSearch = spacedSearch(func(c *contextRecord) []string { return []string{deref(c.Description)} }).with(
	map[string]searchField[*contextRecord]{"labels": {strings: func(c *contextRecord) []string { return c.Labels }}},
	map[string]func(a, b *contextRecord) int{"updatedAt": by(func(c *contextRecord) int32 { return c.UpdatedAt })})

// SearchContexts pages through contexts like searchStacks does.
func (r *rootResolver) SearchContexts(ctx context.Context, args searchArgs) (*connection[*contextView], error) {
	return searchObjects(ctx, r.s, contextObjects, args.Input, contextSearch, r.s.contextViewLocked)
}
