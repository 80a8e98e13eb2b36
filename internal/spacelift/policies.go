package spacelift

import (
	"context"
	"time"

	graphql "github.com/hasura/go-graphql-client"
)

// Policy is a policy as read from the API.
type Policy struct {
	ID          string
	Name        string
	Body        string
	Type        PolicyType
	Labels      []string
	Space       string
	Description string
	EngineType  PolicyEngineType
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

type policyFields struct {
	ID          string   `graphql:"id" json:"id"`
	Name        string   `graphql:"name" json:"name"`
	Body        string   `graphql:"body" json:"body"`
	Type        string   `graphql:"type" json:"type"`
	Labels      []string `graphql:"labels" json:"labels"`
	Space       string   `graphql:"space" json:"space"`
	Description string   `graphql:"description" json:"description"`
	EngineType  string   `graphql:"engineType" json:"engineType"`
	CreatedAt   int64    `graphql:"createdAt" json:"createdAt"`
	UpdatedAt   int64    `graphql:"updatedAt" json:"updatedAt"`
}

func (f *policyFields) policy() *Policy {
	return &Policy{
		ID: f.ID, Name: f.Name, Body: f.Body, Type: PolicyType(f.Type), Labels: f.Labels,
		Space: f.Space, Description: f.Description, EngineType: PolicyEngineType(f.EngineType),
		CreatedAt: unixTime(f.CreatedAt), UpdatedAt: unixTime(f.UpdatedAt),
	}
}

// GetPolicy reads a policy. A missing policy is an error for which
// IsNotFound is true.
func (c *Client) GetPolicy(ctx context.Context, id string) (*Policy, error) {
	var q struct {
		Policy *policyFields `graphql:"policy(id: $id)" json:"policy"`
	}
	cl := query("PolicyRead")
	if err := c.do(ctx, cl, &q, map[string]any{"id": graphql.ID(id)}); err != nil {
		return nil, err
	}
	if q.Policy == nil {
		return nil, notFound(cl.name, "policy "+id)
	}
	return q.Policy.policy(), nil
}

// CreatePolicy creates a policy with policyCreatev2. A missing space named
// by the input is reported as invalid input. The mutation is not repeated
// after a failure that may have reached the API.
func (c *Client) CreatePolicy(ctx context.Context, input PolicyCreateInput) (*Policy, error) {
	var m struct {
		Policy policyFields `graphql:"policyCreatev2(input: $input)" json:"policyCreatev2"`
	}
	if err := c.do(ctx, mutation("PolicyCreateV2", false), &m, map[string]any{"input": input}); err != nil {
		return nil, referencedObjectMissing(err)
	}
	return m.Policy.policy(), nil
}

// UpdatePolicy replaces the settings of a policy with policyUpdatev2.
func (c *Client) UpdatePolicy(ctx context.Context, id string, input PolicyUpdateInput) (*Policy, error) {
	var m struct {
		Policy policyFields `graphql:"policyUpdatev2(id: $id, input: $input)" json:"policyUpdatev2"`
	}
	vars := map[string]any{"id": graphql.ID(id), "input": input}
	if err := c.do(ctx, mutation("PolicyUpdateV2", true), &m, vars); err != nil {
		return nil, err
	}
	return m.Policy.policy(), nil
}

// DeletePolicy deletes a policy and its attachments.
func (c *Client) DeletePolicy(ctx context.Context, id string) error {
	var m struct {
		Policy *struct {
			ID string `graphql:"id" json:"id"`
		} `graphql:"policyDelete(id: $id)" json:"policyDelete"`
	}
	return c.do(ctx, mutation("PolicyDelete", true), &m, map[string]any{"id": graphql.ID(id)})
}

// StackPolicyAttachment is a policy attachment seen from the stack.
type StackPolicyAttachment struct {
	// ID identifies the attachment; DetachPolicyMutation takes it.
	ID           string
	PolicyID     string
	PolicyName   string
	PolicyType   PolicyType
	PolicyLabels []string
	// IsAutoattached is set for attachments made by an autoattach:<label>
	// label; they cannot be detached.
	IsAutoattached bool
}

// ListStackPolicies returns the policies attached to a stack, explicitly or
// by label.
func (c *Client) ListStackPolicies(ctx context.Context, stackID string) ([]StackPolicyAttachment, error) {
	var q struct {
		Stack *struct {
			AttachedPolicies []policyAttachmentFields `graphql:"attachedPolicies" json:"attachedPolicies"`
		} `graphql:"stack(id: $stack)" json:"stack"`
	}
	cl := query("StackPolicies")
	if err := c.do(ctx, cl, &q, map[string]any{"stack": graphql.ID(stackID)}); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	return policyAttachments(q.Stack.AttachedPolicies), nil
}

// policyAttachmentFields is the selection set of a stack's policy attachment.
type policyAttachmentFields struct {
	ID             string   `graphql:"id" json:"id"`
	PolicyID       string   `graphql:"policyId" json:"policyId"`
	PolicyName     string   `graphql:"policyName" json:"policyName"`
	PolicyType     string   `graphql:"policyType" json:"policyType"`
	PolicyLabels   []string `graphql:"policyLabels" json:"policyLabels"`
	IsAutoattached bool     `graphql:"isAutoattached" json:"isAutoattached"`
}

func policyAttachments(in []policyAttachmentFields) []StackPolicyAttachment {
	out := make([]StackPolicyAttachment, 0, len(in))
	for _, a := range in {
		out = append(out, StackPolicyAttachment{
			ID: a.ID, PolicyID: a.PolicyID, PolicyName: a.PolicyName, PolicyType: PolicyType(a.PolicyType),
			PolicyLabels: a.PolicyLabels, IsAutoattached: a.IsAutoattached,
		})
	}
	return out
}
