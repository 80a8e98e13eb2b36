package spacelift

import (
	"context"

	graphql "github.com/hasura/go-graphql-client"
)

// StackDependency makes StackID's runs wait for DependsOnStackID's and pass
// outputs along its references.
type StackDependency struct {
	// ID identifies the dependency; DeleteDependencyMutation and
	// AddDependencyReferenceMutation take it.
	ID               string
	StackID          string
	DependsOnStackID string
	References       []StackDependencyReference
}

// StackDependencyReference passes an output of the depended-on stack to the
// dependent stack as the environment variable InputName.
type StackDependencyReference struct {
	ID            string
	OutputName    string
	InputName     string
	Type          ConfigType
	TriggerAlways bool
}

type dependencyReferenceFields struct {
	ID            string `graphql:"id" json:"id"`
	OutputName    string `graphql:"outputName" json:"outputName"`
	InputName     string `graphql:"inputName" json:"inputName"`
	Type          string `graphql:"type" json:"type"`
	TriggerAlways bool   `graphql:"triggerAlways" json:"triggerAlways"`
}

func (f *dependencyReferenceFields) reference() StackDependencyReference {
	return StackDependencyReference{
		ID: f.ID, OutputName: f.OutputName, InputName: f.InputName, Type: ConfigType(f.Type), TriggerAlways: f.TriggerAlways,
	}
}

// ListStackDependencies returns the dependencies of a stack on other
// stacks, with their references.
func (c *Client) ListStackDependencies(ctx context.Context, stackID string) ([]StackDependency, error) {
	var q struct {
		Stack *struct {
			DependsOn []dependencyFields `graphql:"dependsOn" json:"dependsOn"`
		} `graphql:"stack(id: $stack)" json:"stack"`
	}
	cl := query("StackDependencies")
	if err := c.do(ctx, cl, &q, map[string]any{"stack": graphql.ID(stackID)}); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+stackID)
	}
	return dependencies(stackID, q.Stack.DependsOn), nil
}

// dependencyFields is the selection set of one of a stack's dependencies.
type dependencyFields struct {
	ID             string                      `graphql:"id" json:"id"`
	DependsOnStack idField                     `graphql:"dependsOnStack" json:"dependsOnStack"`
	References     []dependencyReferenceFields `graphql:"references" json:"references"`
}

func dependencies(stackID string, in []dependencyFields) []StackDependency {
	out := make([]StackDependency, 0, len(in))
	for _, d := range in {
		dep := StackDependency{ID: d.ID, StackID: stackID, DependsOnStackID: d.DependsOnStack.ID}
		for i := range d.References {
			dep.References = append(dep.References, d.References[i].reference())
		}
		out = append(out, dep)
	}
	return out
}

// StackRoleBinding grants the runs of a stack a role in a space. Role
// bindings replace the deprecated administrative flag of stacks.
type StackRoleBinding struct {
	ID      string
	RoleID  string
	StackID string
	SpaceID string
}

// roleBindingFields reads the role and space as objects, as the Terraform
// provider does.
type roleBindingFields struct {
	ID      string  `graphql:"id" json:"id"`
	Role    idField `graphql:"role" json:"role"`
	StackID string  `graphql:"stackID" json:"stackID"`
	Space   idField `graphql:"space" json:"space"`
}

func (f *roleBindingFields) binding() *StackRoleBinding {
	return &StackRoleBinding{ID: f.ID, RoleID: f.Role.ID, StackID: f.StackID, SpaceID: f.Space.ID}
}

// CreateStackRoleBinding grants a stack a role in a space. The mutation is
// not repeated after a failure that may have reached the API.
func (c *Client) CreateStackRoleBinding(ctx context.Context, input StackRoleBindingInput) (*StackRoleBinding, error) {
	var m struct {
		Binding roleBindingFields `graphql:"stackRoleBindingCreate(input: $input)" json:"stackRoleBindingCreate"`
	}
	if err := c.do(ctx, mutation("StackRoleBindingCreate", false), &m, map[string]any{"input": input}); err != nil {
		return nil, referencedObjectMissing(err)
	}
	return m.Binding.binding(), nil
}

// GetStackRoleBinding reads a stack role binding. A missing binding is an
// error for which IsNotFound is true.
func (c *Client) GetStackRoleBinding(ctx context.Context, id string) (*StackRoleBinding, error) {
	var q struct {
		Binding *roleBindingFields `graphql:"stackRoleBinding(id: $id)" json:"stackRoleBinding"`
	}
	cl := query("StackRoleBindingRead")
	if err := c.do(ctx, cl, &q, map[string]any{"id": graphql.ID(id)}); err != nil {
		return nil, err
	}
	if q.Binding == nil {
		return nil, notFound(cl.name, "stack role binding "+id)
	}
	return q.Binding.binding(), nil
}

// DeleteStackRoleBinding removes a stack role binding.
func (c *Client) DeleteStackRoleBinding(ctx context.Context, id string) error {
	var m struct {
		Binding *struct {
			ID string `graphql:"id" json:"id"`
		} `graphql:"stackRoleBindingDelete(id: $id)" json:"stackRoleBindingDelete"`
	}
	return c.do(ctx, mutation("StackRoleBindingDelete", true), &m, map[string]any{"id": graphql.ID(id)})
}
