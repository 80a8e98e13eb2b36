package spacelift

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	graphql "github.com/hasura/go-graphql-client"
)

// Mutation is one top-level mutation field of a batch document, such as
// policyAttach(id: ..., stack: ...). The constructors below build the ones a
// stack's sub-resources need.
type Mutation struct {
	// Field is the mutation field.
	Field string
	// Args are the field's arguments, in order.
	Args []Arg
	// Select is the selection on the answer; empty selects __typename,
	// which every object type has.
	Select string
	// Idempotent mutations may be repeated after an answer was lost: the
	// second one changes nothing more (a delete, an update, a config add).
	Idempotent bool
	// Desc says what the mutation does, for errors and logs.
	Desc string
}

// Arg is one argument of a Mutation with its GraphQL type.
type Arg struct {
	Name  string
	Type  string
	Value any
}

// MaxBatch bounds how many mutations one Apply request carries.
const MaxBatch = 50

// BatchError is the failure of an Apply request in which some mutations may
// have landed: GraphQL executes every field of a mutation document in order
// and reports each failure, and a failed non-null field empties the answer,
// so only a new read of the stacks tells what landed.
type BatchError struct {
	// Descs describe the mutations of the failed request.
	Descs []string
	// Err is the request's error; IsInvalidInput and the other predicates
	// see through BatchError to it.
	Err error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("%d changes (%s): %v", len(e.Descs), summarize(e.Descs, 3), e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

func summarize(descs []string, n int) string {
	if len(descs) <= n {
		return strings.Join(descs, "; ")
	}
	return strings.Join(descs[:n], "; ") + fmt.Sprintf("; and %d more", len(descs)-n)
}

// Apply sends mutations, executed in order, as documents of aliased fields
// of at most MaxBatch mutations. Mutations that concurrent callers hand over
// while earlier documents are under way go out together in one document
// (see coalescer), so that many stacks' changes cost few requests. It
// returns each mutation's answer (its selection as JSON), index by index. A
// request is repeated after a transient failure only when all its mutations
// are idempotent; otherwise the caller's next read of the stacks tells what
// landed. The first failed request ends the call with a *BatchError;
// answers of earlier requests are returned with it.
func (c *Client) Apply(ctx context.Context, name string, muts []Mutation) ([]json.RawMessage, error) {
	answers := make([]json.RawMessage, len(muts))
	for start := 0; start < len(muts); start += MaxBatch {
		batch := muts[start:min(start+MaxBatch, len(muts))]
		got, err := c.batches.submit(ctx, c, name, batch)
		if err != nil {
			return answers, err
		}
		copy(answers[start:], got)
	}
	return answers, nil
}

// batchDocument writes one mutation document of aliased fields m0, m1, …
// whose variables are named after the alias and the argument.
func batchDocument(name string, batch []Mutation) (string, map[string]any, bool) {
	var head, body strings.Builder
	vars := map[string]any{}
	idempotent := true
	fmt.Fprintf(&head, "mutation %s", name)
	sep := "("
	for i, m := range batch {
		idempotent = idempotent && m.Idempotent
		fmt.Fprintf(&body, " m%d: %s", i, m.Field)
		if len(m.Args) > 0 {
			body.WriteString("(")
			for j, a := range m.Args {
				v := fmt.Sprintf("m%d_%s", i, a.Name)
				fmt.Fprintf(&head, "%s$%s: %s", sep, v, a.Type)
				sep = ", "
				if j > 0 {
					body.WriteString(", ")
				}
				fmt.Fprintf(&body, "%s: $%s", a.Name, v)
				vars[v] = a.Value
			}
			body.WriteString(")")
		}
		sel := m.Select
		if sel == "" {
			sel = "__typename"
		}
		fmt.Fprintf(&body, " { %s }", sel)
	}
	if sep == ", " {
		head.WriteString(")")
	}
	return head.String() + " {" + body.String() + " }", vars, idempotent
}

// AnswerID reads the id of a mutation's answer selected with "id".
func AnswerID(answer json.RawMessage) (string, error) {
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(answer, &v); err != nil || v.ID == "" {
		return "", fmt.Errorf("the answer %s carries no id", string(answer))
	}
	return v.ID, nil
}

func idArg(name, id string) Arg { return Arg{Name: name, Type: "ID!", Value: graphql.ID(id)} }

// UpdateStackMutation writes the stack's settings.
func UpdateStackMutation(id string, input StackInput) Mutation {
	return Mutation{Field: "stackUpdate", Args: []Arg{idArg("id", id), {"input", "StackInput!", input}},
		Select: "id", Idempotent: true, Desc: "update settings"}
}

// AddConfigMutation sets an environment variable or mounted file, replacing
// one with the same id.
func AddConfigMutation(stackID string, input ConfigInput) Mutation {
	return Mutation{Field: "stackConfigAdd", Args: []Arg{idArg("stack", stackID), {"config", "ConfigInput!", input}},
		Select: "id", Idempotent: true, Desc: "set " + input.ID}
}

// DeleteConfigMutation removes an environment variable or mounted file.
func DeleteConfigMutation(stackID, id string) Mutation {
	return Mutation{Field: "stackConfigDelete", Args: []Arg{idArg("stack", stackID), idArg("id", id)},
		Idempotent: true, Desc: "remove " + id}
}

// AttachPolicyMutation attaches a policy.
func AttachPolicyMutation(policyID, stackID string) Mutation {
	return Mutation{Field: "policyAttach", Args: []Arg{idArg("id", policyID), idArg("stack", stackID)},
		Select: "id", Desc: "attach policy " + policyID}
}

// DetachPolicyMutation removes a policy attachment.
func DetachPolicyMutation(attachmentID string) Mutation {
	return Mutation{Field: "policyDetach", Args: []Arg{idArg("id", attachmentID)},
		Idempotent: true, Desc: "detach policy attachment " + attachmentID}
}

// AttachContextMutation attaches a context with a priority.
func AttachContextMutation(contextID, stackID string, priority int) Mutation {
	return Mutation{Field: "contextAttach", Args: []Arg{idArg("id", contextID), idArg("stack", stackID), {"priority", "Int!", priority}},
		Select: "id", Desc: "attach context " + contextID}
}

// DetachContextMutation removes a context attachment.
func DetachContextMutation(attachmentID string) Mutation {
	return Mutation{Field: "contextDetach", Args: []Arg{idArg("id", attachmentID)},
		Idempotent: true, Desc: "detach context attachment " + attachmentID}
}

// CreateDriftDetectionMutation creates the drift-detection integration.
func CreateDriftDetectionMutation(stackID string, input DriftDetectionIntegrationInput) Mutation {
	return Mutation{Field: "stackIntegrationDriftDetectionCreate",
		Args: []Arg{idArg("stack", stackID), {"input", "DriftDetectionIntegrationInput!", input}},
		Desc: "create drift detection"}
}

// UpdateDriftDetectionMutation updates the drift-detection integration.
func UpdateDriftDetectionMutation(stackID string, input DriftDetectionIntegrationInput) Mutation {
	return Mutation{Field: "stackIntegrationDriftDetectionUpdate",
		Args:       []Arg{idArg("stack", stackID), {"input", "DriftDetectionIntegrationInput!", input}},
		Idempotent: true, Desc: "update drift detection"}
}

// DeleteDriftDetectionMutation deletes the drift-detection integration.
func DeleteDriftDetectionMutation(stackID string) Mutation {
	return Mutation{Field: "stackIntegrationDriftDetectionDelete", Args: []Arg{idArg("stack", stackID)},
		Idempotent: true, Desc: "delete drift detection"}
}

// CreateDependencyMutation makes stackID depend on dependsOnStackID; its
// answer carries the new dependency's id (AnswerID).
func CreateDependencyMutation(stackID, dependsOnStackID string) Mutation {
	return Mutation{Field: "stackDependencyCreate",
		Args:   []Arg{{"input", "StackDependencyInput!", StackDependencyInput{StackID: stackID, DependsOnStackID: dependsOnStackID}}},
		Select: "id", Desc: "depend on " + dependsOnStackID}
}

// DeleteDependencyMutation removes a dependency and its references.
func DeleteDependencyMutation(id, dependsOnStackID string) Mutation {
	return Mutation{Field: "stackDependencyDelete", Args: []Arg{idArg("id", id)},
		Idempotent: true, Desc: "stop depending on " + dependsOnStackID}
}

// AddDependencyReferenceMutation adds an output reference to a dependency.
func AddDependencyReferenceMutation(dependencyID string, input StackDependencyReferenceInput) Mutation {
	return Mutation{Field: "stackDependenciesAddReference",
		Args:   []Arg{idArg("stackDependencyID", dependencyID), {"reference", "StackDependencyReferenceInput!", input}},
		Select: "id", Desc: "reference " + input.OutputName + " as " + input.InputName}
}

// DeleteDependencyReferenceMutation removes an output reference.
func DeleteDependencyReferenceMutation(id, inputName string) Mutation {
	return Mutation{Field: "stackDependenciesDeleteReference", Args: []Arg{idArg("id", id)},
		Idempotent: true, Desc: "remove reference " + inputName}
}

// AttachAWSIntegrationMutation attaches an AWS integration.
func AttachAWSIntegrationMutation(integrationID, stackID string, read, write bool) Mutation {
	return Mutation{Field: "awsIntegrationAttach",
		Args:   []Arg{idArg("id", integrationID), idArg("stack", stackID), {"read", "Boolean!", read}, {"write", "Boolean!", write}},
		Select: "id", Desc: "attach AWS integration " + integrationID}
}

// UpdateAWSIntegrationAttachmentMutation changes an AWS attachment's access.
func UpdateAWSIntegrationAttachmentMutation(attachmentID string, read, write bool) Mutation {
	return Mutation{Field: "awsIntegrationAttachmentUpdate",
		Args:   []Arg{idArg("id", attachmentID), {"read", "Boolean!", read}, {"write", "Boolean!", write}},
		Select: "id", Idempotent: true, Desc: "update AWS attachment " + attachmentID}
}

// DetachAWSIntegrationMutation removes an AWS attachment.
func DetachAWSIntegrationMutation(attachmentID string) Mutation {
	return Mutation{Field: "awsIntegrationDetach", Args: []Arg{idArg("id", attachmentID)},
		Idempotent: true, Desc: "detach AWS attachment " + attachmentID}
}

// CreateWebhookMutation adds a webhook. The secret travels only in the
// variables, never in Desc.
func CreateWebhookMutation(stackID string, input WebhooksIntegrationInput) Mutation {
	return Mutation{Field: "webhooksIntegrationCreate",
		Args:   []Arg{idArg("stack", stackID), {"input", "WebhooksIntegrationInput!", input}},
		Select: "id", Desc: "add webhook " + input.Endpoint}
}

// UpdateWebhookMutation rewrites a webhook.
func UpdateWebhookMutation(stackID, webhookID string, input WebhooksIntegrationInput) Mutation {
	return Mutation{Field: "webhooksIntegrationUpdate",
		Args:   []Arg{idArg("stack", stackID), idArg("id", webhookID), {"input", "WebhooksIntegrationInput!", input}},
		Select: "id", Idempotent: true, Desc: "update webhook " + input.Endpoint}
}

// DeleteWebhookMutation deletes a webhook.
func DeleteWebhookMutation(stackID, webhookID, endpoint string) Mutation {
	return Mutation{Field: "webhooksIntegrationDelete", Args: []Arg{idArg("stack", stackID), idArg("id", webhookID)},
		Idempotent: true, Desc: "delete webhook " + endpoint}
}
