package spacelift

import (
	"context"
)

// Named is an object Spacelift lists with an id and a display name. Names are
// not ids: the API only accepts ids, so callers look names up in these lists.
type Named struct {
	ID   string
	Name string
}

// Role is a Spacelift role (a system one such as Space Admin, or a custom
// one). Roles are bound to stacks by id; Slug is the stable name of the
// system roles ("space-admin").
type Role struct {
	ID       string
	Slug     string
	Name     string
	IsSystem bool
}

type namedFields struct {
	ID   string `graphql:"id"`
	Name string `graphql:"name"`
}

func named(in []namedFields) []Named {
	out := make([]Named, len(in))
	for i, f := range in {
		out[i] = Named(f)
	}
	return out
}

// ListWorkerPools lists the account's private worker pools.
func (c *Client) ListWorkerPools(ctx context.Context) ([]Named, error) {
	var q struct {
		WorkerPools []namedFields `graphql:"workerPools"`
	}
	if err := c.do(ctx, query("WorkerPoolList"), &q, nil); err != nil {
		return nil, err
	}
	return named(q.WorkerPools), nil
}

// ListSpaces lists the spaces the API key can see.
func (c *Client) ListSpaces(ctx context.Context) ([]Named, error) {
	var q struct {
		Spaces []namedFields `graphql:"spaces"`
	}
	if err := c.do(ctx, query("SpaceList"), &q, nil); err != nil {
		return nil, err
	}
	return named(q.Spaces), nil
}

// ListContexts lists the contexts the API key can see.
func (c *Client) ListContexts(ctx context.Context) ([]Named, error) {
	var q struct {
		Contexts []namedFields `graphql:"contexts"`
	}
	if err := c.do(ctx, query("ContextList"), &q, nil); err != nil {
		return nil, err
	}
	return named(q.Contexts), nil
}

// ListRoles lists the account's roles, system and custom.
func (c *Client) ListRoles(ctx context.Context) ([]Role, error) {
	var q struct {
		Roles []struct {
			ID       string `graphql:"id"`
			Slug     string `graphql:"slug"`
			Name     string `graphql:"name"`
			IsSystem bool   `graphql:"isSystem"`
		} `graphql:"roles"`
	}
	if err := c.do(ctx, query("RoleList"), &q, nil); err != nil {
		return nil, err
	}
	out := make([]Role, len(q.Roles))
	for i, r := range q.Roles {
		out[i] = Role(r)
	}
	return out, nil
}
