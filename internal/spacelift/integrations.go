package spacelift

import (
	"context"
	"time"

	graphql "github.com/hasura/go-graphql-client"
)

// DriftDetectionIntegration is the drift detection schedule of a stack.
type DriftDetectionIntegration struct {
	// Reconcile triggers a tracked run when drift is detected.
	Reconcile   bool
	IgnoreState bool
	// Schedule holds cron expressions.
	Schedule []string
	Timezone string
	// NextSchedule is when the next drift detection run starts, zero if
	// unknown.
	NextSchedule time.Time
}

type driftDetectionFields struct {
	Reconcile    bool     `graphql:"reconcile" json:"reconcile"`
	IgnoreState  bool     `graphql:"ignoreState" json:"ignoreState"`
	Schedule     []string `graphql:"schedule" json:"schedule"`
	Timezone     string   `graphql:"timezone" json:"timezone"`
	NextSchedule *int64   `graphql:"nextSchedule" json:"nextSchedule"`
}

func (f *driftDetectionFields) integration() *DriftDetectionIntegration {
	if f == nil {
		return nil
	}
	d := &DriftDetectionIntegration{
		Reconcile: f.Reconcile, IgnoreState: f.IgnoreState, Schedule: f.Schedule, Timezone: f.Timezone,
	}
	if f.NextSchedule != nil {
		d.NextSchedule = unixTime(*f.NextSchedule)
	}
	return d
}

// CreateDriftDetection sets up drift detection on a stack that has none.
func (c *Client) CreateDriftDetection(ctx context.Context, stackID string, input DriftDetectionIntegrationInput) (*DriftDetectionIntegration, error) {
	var m struct {
		Integration driftDetectionFields `graphql:"stackIntegrationDriftDetectionCreate(stack: $stack, input: $input)" json:"stackIntegrationDriftDetectionCreate"`
	}
	vars := map[string]any{"stack": graphql.ID(stackID), "input": input}
	if err := c.do(ctx, mutation("StackIntegrationDriftDetectionCreate", false), &m, vars); err != nil {
		return nil, err
	}
	return m.Integration.integration(), nil
}

// UpdateDriftDetection replaces the drift detection settings of a stack.
func (c *Client) UpdateDriftDetection(ctx context.Context, stackID string, input DriftDetectionIntegrationInput) (*DriftDetectionIntegration, error) {
	var m struct {
		Integration driftDetectionFields `graphql:"stackIntegrationDriftDetectionUpdate(stack: $stack, input: $input)" json:"stackIntegrationDriftDetectionUpdate"`
	}
	vars := map[string]any{"stack": graphql.ID(stackID), "input": input}
	if err := c.do(ctx, mutation("StackIntegrationDriftDetectionUpdate", true), &m, vars); err != nil {
		return nil, err
	}
	return m.Integration.integration(), nil
}

// DeleteDriftDetection removes drift detection from a stack.
func (c *Client) DeleteDriftDetection(ctx context.Context, stackID string) error {
	var m struct {
		Integration *struct {
			Deleted bool `graphql:"deleted" json:"deleted"`
		} `graphql:"stackIntegrationDriftDetectionDelete(stack: $stack)" json:"stackIntegrationDriftDetectionDelete"`
	}
	return c.do(ctx, mutation("StackIntegrationDriftDetectionDelete", true), &m, map[string]any{"stack": graphql.ID(stackID)})
}

// GetDriftDetection reads the drift detection settings of a stack. It
// returns nil and no error when the stack exists without drift detection.
func (c *Client) GetDriftDetection(ctx context.Context, stackID string) (*DriftDetectionIntegration, error) {
	var q struct {
		Stack *struct {
			Integrations *struct {
				DriftDetection *driftDetectionFields `graphql:"driftDetection" json:"driftDetection"`
			} `graphql:"integrations" json:"integrations"`
		} `graphql:"stack(id: $stack)" json:"stack"`
	}
	cl := query("StackDriftDetection")
	if err := c.do(ctx, cl, &q, map[string]any{"stack": graphql.ID(stackID)}); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	if q.Stack.Integrations == nil {
		return nil, nil
	}
	return q.Stack.Integrations.DriftDetection.integration(), nil
}

// AWSIntegrationAttachment is an AWS integration attached to a stack.
type AWSIntegrationAttachment struct {
	// ID identifies the attachment; UpdateAWSIntegrationAttachment and
	// DetachAWSIntegration take it.
	ID            string
	IntegrationID string
	StackID       string
	Read          bool
	Write         bool
}

type awsAttachmentFields struct {
	ID      string `graphql:"id" json:"id"`
	StackID string `graphql:"stackId" json:"stackId"`
	Read    bool   `graphql:"read" json:"read"`
	Write   bool   `graphql:"write" json:"write"`
}

// AttachAWSIntegration attaches an AWS integration to a stack for reads
// (plans), writes (applies) or both. The mutation is not repeated after a
// failure that may have reached the API.
func (c *Client) AttachAWSIntegration(ctx context.Context, integrationID, stackID string, read, write bool) (*AWSIntegrationAttachment, error) {
	var m struct {
		Attachment awsAttachmentFields `graphql:"awsIntegrationAttach(id: $id, stack: $stack, read: $read, write: $write)" json:"awsIntegrationAttach"`
	}
	vars := map[string]any{"id": graphql.ID(integrationID), "stack": graphql.ID(stackID), "read": read, "write": write}
	if err := c.do(ctx, mutation("AwsIntegrationAttach", false), &m, vars); err != nil {
		return nil, err
	}
	a := m.Attachment
	return &AWSIntegrationAttachment{ID: a.ID, IntegrationID: integrationID, StackID: a.StackID, Read: a.Read, Write: a.Write}, nil
}

// UpdateAWSIntegrationAttachment changes the read and write flags of an
// attachment.
func (c *Client) UpdateAWSIntegrationAttachment(ctx context.Context, attachmentID string, read, write bool) (*AWSIntegrationAttachment, error) {
	var m struct {
		Attachment awsAttachmentFields `graphql:"awsIntegrationAttachmentUpdate(id: $id, read: $read, write: $write)" json:"awsIntegrationAttachmentUpdate"`
	}
	vars := map[string]any{"id": graphql.ID(attachmentID), "read": read, "write": write}
	if err := c.do(ctx, mutation("AwsIntegrationAttachmentUpdate", true), &m, vars); err != nil {
		return nil, err
	}
	a := m.Attachment
	return &AWSIntegrationAttachment{ID: a.ID, StackID: a.StackID, Read: a.Read, Write: a.Write}, nil
}

// DetachAWSIntegration removes an AWS integration attachment, given its ID.
func (c *Client) DetachAWSIntegration(ctx context.Context, attachmentID string) error {
	var m struct {
		Attachment *struct {
			ID string `graphql:"id" json:"id"`
		} `graphql:"awsIntegrationDetach(id: $id)" json:"awsIntegrationDetach"`
	}
	return c.do(ctx, mutation("AwsIntegrationDetach", true), &m, map[string]any{"id": graphql.ID(attachmentID)})
}

// ListStackAWSIntegrations returns the AWS integrations attached to a stack.
func (c *Client) ListStackAWSIntegrations(ctx context.Context, stackID string) ([]AWSIntegrationAttachment, error) {
	var q struct {
		Stack *struct {
			Attached []attachedAWSFields `graphql:"attachedAwsIntegrations" json:"attachedAwsIntegrations"`
		} `graphql:"stack(id: $stack)" json:"stack"`
	}
	cl := query("StackAwsIntegrations")
	if err := c.do(ctx, cl, &q, map[string]any{"stack": graphql.ID(stackID)}); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	return awsAttachments(stackID, q.Stack.Attached), nil
}

// attachedAWSFields is the selection set of an AWS integration attached to a stack.
type attachedAWSFields struct {
	ID            string `graphql:"id" json:"id"`
	IntegrationID string `graphql:"integrationId" json:"integrationId"`
	Read          bool   `graphql:"read" json:"read"`
	Write         bool   `graphql:"write" json:"write"`
}

func awsAttachments(stackID string, in []attachedAWSFields) []AWSIntegrationAttachment {
	out := make([]AWSIntegrationAttachment, 0, len(in))
	for _, a := range in {
		out = append(out, AWSIntegrationAttachment{ID: a.ID, IntegrationID: a.IntegrationID, StackID: stackID, Read: a.Read, Write: a.Write})
	}
	return out
}

// Webhook is a webhook of a stack. Its secret is never read back.
type Webhook struct {
	ID             string
	Enabled        bool
	Endpoint       string
	RetryOnFailure bool
}

type webhookFields struct {
	ID             string `graphql:"id" json:"id"`
	Enabled        bool   `graphql:"enabled" json:"enabled"`
	Endpoint       string `graphql:"endpoint" json:"endpoint"`
	RetryOnFailure *bool  `graphql:"retryOnFailure" json:"retryOnFailure"`
}

func (f *webhookFields) webhook() Webhook {
	return Webhook{ID: f.ID, Enabled: f.Enabled, Endpoint: f.Endpoint, RetryOnFailure: deref(f.RetryOnFailure)}
}

// CreateWebhook adds a webhook to a stack. The mutation is not repeated
// after a failure that may have reached the API.
func (c *Client) CreateWebhook(ctx context.Context, stackID string, input WebhooksIntegrationInput) (*Webhook, error) {
	var m struct {
		Webhook webhookFields `graphql:"webhooksIntegrationCreate(stack: $stack, input: $input)" json:"webhooksIntegrationCreate"`
	}
	vars := map[string]any{"stack": graphql.ID(stackID), "input": input}
	if err := c.do(ctx, mutation("WebhooksIntegrationCreate", false), &m, vars); err != nil {
		return nil, err
	}
	w := m.Webhook.webhook()
	return &w, nil
}

// UpdateWebhook replaces the settings of a stack's webhook.
func (c *Client) UpdateWebhook(ctx context.Context, stackID, webhookID string, input WebhooksIntegrationInput) (*Webhook, error) {
	var m struct {
		Webhook webhookFields `graphql:"webhooksIntegrationUpdate(stack: $stack, id: $id, input: $input)" json:"webhooksIntegrationUpdate"`
	}
	vars := map[string]any{"stack": graphql.ID(stackID), "id": graphql.ID(webhookID), "input": input}
	if err := c.do(ctx, mutation("WebhooksIntegrationUpdate", true), &m, vars); err != nil {
		return nil, err
	}
	w := m.Webhook.webhook()
	return &w, nil
}

// DeleteWebhook removes a webhook from a stack.
func (c *Client) DeleteWebhook(ctx context.Context, stackID, webhookID string) error {
	var m struct {
		Webhook *struct {
			ID string `graphql:"id" json:"id"`
		} `graphql:"webhooksIntegrationDelete(stack: $stack, id: $id)" json:"webhooksIntegrationDelete"`
	}
	vars := map[string]any{"stack": graphql.ID(stackID), "id": graphql.ID(webhookID)}
	return c.do(ctx, mutation("WebhooksIntegrationDelete", true), &m, vars)
}

// ListWebhooks returns the webhooks of a stack.
func (c *Client) ListWebhooks(ctx context.Context, stackID string) ([]Webhook, error) {
	var q struct {
		Stack *struct {
			Integrations *struct {
				Webhooks []webhookFields `graphql:"webhooks" json:"webhooks"`
			} `graphql:"integrations" json:"integrations"`
		} `graphql:"stack(id: $stack)" json:"stack"`
	}
	cl := query("StackWebhooks")
	if err := c.do(ctx, cl, &q, map[string]any{"stack": graphql.ID(stackID)}); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	var out []Webhook
	if q.Stack.Integrations != nil {
		for i := range q.Stack.Integrations.Webhooks {
			out = append(out, q.Stack.Integrations.Webhooks[i].webhook())
		}
	}
	return out, nil
}
