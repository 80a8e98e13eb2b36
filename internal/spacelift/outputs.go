package spacelift

import (
	"context"

	graphql "github.com/hasura/go-graphql-client"
)

// StackOutput is an output of a stack as its last finished tracked run left
// it.
type StackOutput struct {
	ID        string
	Sensitive bool
	// Value is nil when the API returns no value: for sensitive outputs the
	// API returns none (Spacelift keeps sensitive values only when the stack
	// has enableSensitiveOutputUpload, and then only to pass them to
	// dependent stacks' runs, not to API readers).
	Value *string
}

// GetStackOutputs reads the outputs of a stack. A missing stack is an error
// for which IsNotFound is true.
func (c *Client) GetStackOutputs(ctx context.Context, stackID string) ([]StackOutput, error) {
	var q struct {
		Stack *struct {
			Outputs []struct {
				ID        string  `graphql:"id"`
				Sensitive bool    `graphql:"sensitive"`
				Value     *string `graphql:"value"`
			} `graphql:"outputs"`
		} `graphql:"stack(id: $stack)"`
	}
	cl := query("StackOutputs")
	if err := c.do(ctx, cl, &q, map[string]any{"stack": graphql.ID(stackID)}); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	out := make([]StackOutput, 0, len(q.Stack.Outputs))
	for _, o := range q.Stack.Outputs {
		out = append(out, StackOutput{ID: o.ID, Sensitive: o.Sensitive, Value: o.Value})
	}
	return out, nil
}

// ResourceChangeType is what a plan does to a resource.
type ResourceChangeType string

// Resource change types.
const (
	ResourceChangeAdd    ResourceChangeType = "ADD"
	ResourceChangeChange ResourceChangeType = "CHANGE"
	ResourceChangeDelete ResourceChangeType = "DELETE"
)

// ResourceChange is one resource a run's plan changes.
type ResourceChange struct {
	Address string
	Type    ResourceChangeType
}

// GetRunChanges reads the resources a run's plan changes (Run.changesV3;
// empty before planning ends). A missing stack or run is an error for which
// IsNotFound is true.
func (c *Client) GetRunChanges(ctx context.Context, stackID, runID string) ([]ResourceChange, error) {
	var q struct {
		Stack *struct {
			Run *struct {
				Changes []struct {
					Resources []struct {
						Address  string `graphql:"address"`
						Metadata struct {
							Type string `graphql:"type"`
						} `graphql:"metadata"`
					} `graphql:"resources"`
				} `graphql:"changesV3"`
			} `graphql:"run(id: $run)"`
		} `graphql:"stack(id: $stack)"`
	}
	cl := query("RunChanges")
	vars := map[string]any{"stack": graphql.ID(stackID), "run": graphql.ID(runID)}
	if err := c.do(ctx, cl, &q, vars); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	if q.Stack.Run == nil {
		return nil, notFound(cl.name, "run "+runID+" of stack "+stackID)
	}
	var out []ResourceChange
	for _, g := range q.Stack.Run.Changes {
		for _, r := range g.Resources {
			out = append(out, ResourceChange{Address: r.Address, Type: ResourceChangeType(r.Metadata.Type)})
		}
	}
	return out, nil
}
