package spacelift

import (
	"context"

	graphql "github.com/hasura/go-graphql-client"
)

// ConfigElement is an environment variable or mounted file of a stack.
type ConfigElement struct {
	// ID is the variable name or the file path.
	ID   string
	Type ConfigType
	// Value is nil for write-only elements, whose value cannot be read.
	Value *string
	// Checksum is the SHA-256 of the value, readable even when the value
	// is write-only, so that drift of a write-only value can be detected.
	Checksum    string
	WriteOnly   bool
	Description string
}

type configFields struct {
	ID          string  `graphql:"id" json:"id"`
	Type        string  `graphql:"type" json:"type"`
	Value       *string `graphql:"value" json:"value"`
	Checksum    string  `graphql:"checksum" json:"checksum"`
	WriteOnly   bool    `graphql:"writeOnly" json:"writeOnly"`
	Description *string `graphql:"description" json:"description"`
}

func (f *configFields) element() ConfigElement {
	return ConfigElement{
		ID: f.ID, Type: ConfigType(f.Type), Value: f.Value, Checksum: f.Checksum,
		WriteOnly: f.WriteOnly, Description: deref(f.Description),
	}
}

// ListStackConfig returns the stack's own environment variables and mounted
// files, without those inherited from attached contexts.
func (c *Client) ListStackConfig(ctx context.Context, stackID string) ([]ConfigElement, error) {
	var q struct {
		Stack *struct {
			Config []configFields `graphql:"config" json:"config"`
		} `graphql:"stack(id: $stack)" json:"stack"`
	}
	cl := query("StackConfig")
	if err := c.do(ctx, cl, &q, map[string]any{"stack": graphql.ID(stackID)}); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	return configElements(q.Stack.Config), nil
}

// ContextAttachment is a context attached to a stack.
type ContextAttachment struct {
	// ID identifies the attachment; DetachContextMutation takes it.
	ID        string
	ContextID string
	StackID   string
	// Priority orders contexts: lower numbers win on conflicting keys.
	Priority int
	// IsAutoattached is set for attachments made by an autoattach:<label>
	// label; they cannot be detached.
	IsAutoattached bool
}

// ListStackContexts returns the contexts attached to a stack, explicitly or
// by label.
func (c *Client) ListStackContexts(ctx context.Context, stackID string) ([]ContextAttachment, error) {
	var q struct {
		Stack *struct {
			AttachedContexts []contextAttachmentFields `graphql:"attachedContexts" json:"attachedContexts"`
		} `graphql:"stack(id: $stack)" json:"stack"`
	}
	cl := query("StackContexts")
	if err := c.do(ctx, cl, &q, map[string]any{"stack": graphql.ID(stackID)}); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	return contextAttachments(stackID, q.Stack.AttachedContexts), nil
}

// contextAttachmentFields is the selection set of a stack's context attachment.
type contextAttachmentFields struct {
	ID             string `graphql:"id" json:"id"`
	ContextID      string `graphql:"contextId" json:"contextId"`
	Priority       int    `graphql:"priority" json:"priority"`
	IsAutoattached bool   `graphql:"isAutoattached" json:"isAutoattached"`
}

func contextAttachments(stackID string, in []contextAttachmentFields) []ContextAttachment {
	out := make([]ContextAttachment, 0, len(in))
	for _, a := range in {
		out = append(out, ContextAttachment{
			ID: a.ID, ContextID: a.ContextID, StackID: stackID, Priority: a.Priority, IsAutoattached: a.IsAutoattached,
		})
	}
	return out
}

func configElements(in []configFields) []ConfigElement {
	out := make([]ConfigElement, 0, len(in))
	for i := range in {
		out = append(out, in[i].element())
	}
	return out
}
