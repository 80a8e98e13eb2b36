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

// AddStackConfig sets an environment variable or mounted file of a stack,
// replacing an element with the same ID.
func (c *Client) AddStackConfig(ctx context.Context, stackID string, input ConfigInput) (*ConfigElement, error) {
	var m struct {
		Element configFields `graphql:"stackConfigAdd(stack: $stack, config: $config)" json:"stackConfigAdd"`
	}
	vars := map[string]any{"stack": graphql.ID(stackID), "config": input}
	if err := c.do(ctx, mutation("StackConfigAdd", true), &m, vars); err != nil {
		return nil, err
	}
	e := m.Element.element()
	return &e, nil
}

// AddStackConfigs sets several environment variables or mounted files of a
// stack with one request per MaxBatch elements (see Apply). When a request
// fails part-way, some elements may have landed; the caller's next read of
// the stack's config tells which. Each element replaces one with the same
// ID, so repeating the request is safe.
func (c *Client) AddStackConfigs(ctx context.Context, stackID string, inputs []ConfigInput) error {
	muts := make([]Mutation, len(inputs))
	for i, in := range inputs {
		muts[i] = AddConfigMutation(stackID, in)
	}
	_, err := c.Apply(ctx, "StackConfigAddBatch", muts)
	return err
}

// DeleteStackConfig removes an environment variable or mounted file of a
// stack, given its ID.
func (c *Client) DeleteStackConfig(ctx context.Context, stackID, id string) error {
	var m struct {
		Element *struct {
			ID string `graphql:"id" json:"id"`
		} `graphql:"stackConfigDelete(stack: $stack, id: $id)" json:"stackConfigDelete"`
	}
	vars := map[string]any{"stack": graphql.ID(stackID), "id": graphql.ID(id)}
	return c.do(ctx, mutation("StackConfigDelete", true), &m, vars)
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
	// ID identifies the attachment; DetachContext takes it.
	ID        string
	ContextID string
	StackID   string
	// Priority orders contexts: lower numbers win on conflicting keys.
	Priority int
	// IsAutoattached is set for attachments made by an autoattach:<label>
	// label; they cannot be detached.
	IsAutoattached bool
}

// AttachContext attaches a context to a stack with a priority. The mutation
// is not repeated after a failure that may have reached the API.
func (c *Client) AttachContext(ctx context.Context, contextID, stackID string, priority int) (*ContextAttachment, error) {
	var m struct {
		Attachment struct {
			ID             string `graphql:"id" json:"id"`
			StackID        string `graphql:"stackId" json:"stackId"`
			Priority       int    `graphql:"priority" json:"priority"`
			IsAutoattached bool   `graphql:"isAutoattached" json:"isAutoattached"`
		} `graphql:"contextAttach(id: $id, stack: $stack, priority: $priority)" json:"contextAttach"`
	}
	vars := map[string]any{"id": graphql.ID(contextID), "stack": graphql.ID(stackID), "priority": int32(priority)} //nolint:gosec // priorities are small
	if err := c.do(ctx, mutation("ContextAttach", false), &m, vars); err != nil {
		return nil, err
	}
	a := m.Attachment
	return &ContextAttachment{
		ID: a.ID, ContextID: contextID, StackID: a.StackID, Priority: a.Priority, IsAutoattached: a.IsAutoattached,
	}, nil
}

// DetachContext removes a context attachment, given its ID.
func (c *Client) DetachContext(ctx context.Context, attachmentID string) error {
	var m struct {
		Attachment *struct {
			ID string `graphql:"id" json:"id"`
		} `graphql:"contextDetach(id: $id)" json:"contextDetach"`
	}
	return c.do(ctx, mutation("ContextDetach", true), &m, map[string]any{"id": graphql.ID(attachmentID)})
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
