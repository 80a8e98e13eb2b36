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
	// ID identifies the attachment; UpdateAWSIntegrationAttachmentMutation
	// and DetachAWSIntegrationMutation take it.
	ID            string
	IntegrationID string
	StackID       string
	Read          bool
	Write         bool
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
