package controllers

import (
	"encoding/json"
	"fmt"

	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// dependenciesPart is the stack's dependencies on other stacks and their
// output references, matched by input name.
type dependenciesPart struct{}

func (dependenciesPart) name() string { return "dependencies" }

func (dependenciesPart) changes(in *partInput) []partChange {
	return dependencyChanges(in.id, in.resolved.dependencies, in.observed.Dependencies)
}

// dependencyChanges makes got match want: missing dependencies are created
// and their references added once the answer names the new dependency;
// references of existing ones are added, replaced (a changed output name is
// a delete and an add) or removed; unwanted dependencies are deleted.
func dependencyChanges(stackID string, want []resolvedDependency, got []spacelift.StackDependency) []partChange {
	byTarget := make(map[string]spacelift.StackDependency, len(got))
	for _, d := range got {
		byTarget[d.DependsOnStackID] = d
	}
	var out []partChange
	wanted := make(map[string]bool, len(want))
	for _, w := range want {
		wanted[w.stackID] = true
		dep, ok := byTarget[w.stackID]
		if ok {
			out = append(out, referenceChanges(dep, w)...)
			continue
		}
		out = append(out, partChange{
			mutation: spacelift.CreateDependencyMutation(stackID, w.stackID),
			then: func(answer json.RawMessage) ([]partChange, error) {
				id, err := spacelift.AnswerID(answer)
				if err != nil {
					return nil, fmt.Errorf("the new dependency on %q: %w", w.stackID, err)
				}
				return referenceChanges(spacelift.StackDependency{ID: id, StackID: stackID, DependsOnStackID: w.stackID}, w), nil
			},
		})
	}
	for _, d := range got {
		if !wanted[d.DependsOnStackID] {
			out = append(out, partChange{mutation: spacelift.DeleteDependencyMutation(d.ID, d.DependsOnStackID)})
		}
	}
	return out
}

// referenceChanges makes one dependency's output references match want.
func referenceChanges(dep spacelift.StackDependency, want resolvedDependency) []partChange {
	have := make(map[string]spacelift.StackDependencyReference, len(dep.References))
	for _, ref := range dep.References {
		have[ref.InputName] = ref
	}
	var out []partChange
	wanted := make(map[string]bool, len(want.references))
	for _, w := range want.references {
		wanted[w.InputName] = true
		if ref, ok := have[w.InputName]; ok {
			if ref.OutputName == w.OutputName {
				continue
			}
			out = append(out, partChange{mutation: spacelift.DeleteDependencyReferenceMutation(ref.ID, ref.InputName)})
		}
		in := spacelift.StackDependencyReferenceInput{OutputName: w.OutputName, InputName: w.InputName}
		out = append(out, partChange{mutation: spacelift.AddDependencyReferenceMutation(dep.ID, in)})
	}
	for _, name := range sortedKeys(have) {
		if !wanted[name] {
			out = append(out, partChange{mutation: spacelift.DeleteDependencyReferenceMutation(have[name].ID, name)})
		}
	}
	return out
}
