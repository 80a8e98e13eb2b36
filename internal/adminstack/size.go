package adminstack

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// Size bounds of the objects an AdminStack writes. A Kubernetes object is
// stored whole in etcd, whose default request limit (--max-request-bytes)
// is 1.5 MiB, and the apiserver answers "Request entity too large" above
// it; the stored object also holds status and managedFields. A child that
// cannot be written would fail every apply, so Build refuses it up front
// with a problem that names the component.
const (
	// MaxVarsFileBytes bounds the tfvars file a child Stack mounts (the
	// component's vars as JSON, see TFVarsFile): 512 KiB, a third of etcd's
	// limit, leaving room for the rest of the spec and for the escaping of
	// the file's JSON inside the object's JSON.
	MaxVarsFileBytes = 512 << 10
	// MaxObjectBytes bounds a whole child object as JSON: 1 MiB, leaving
	// half a MiB of etcd's limit for status and managedFields.
	MaxObjectBytes = 1 << 20
)

// sizeProblems reports the objects of d that exceed MaxVarsFileBytes or
// MaxObjectBytes, naming the component each comes from.
func sizeProblems(d *Desired) []Problem {
	var problems []Problem
	for _, s := range append([]*v1alpha1.Stack{d.Admin}, d.Stacks...) {
		if n := varsFileBytes(s); n > MaxVarsFileBytes {
			problems = append(problems, Problem{Object: describeObject("Stack", s.Name, s.Annotations), Message: fmt.Sprintf(
				"vars: the tfvars file the child Stack %s mounts is %s, more than the %s one Kubernetes object can carry (etcd refuses objects over about 1.5 MiB); "+
					"move large values out of vars (e.g. into a file in the component's directory) or split the component",
				s.Name, formatBytes(n), formatBytes(MaxVarsFileBytes))})
			continue
		}
		problems = append(problems, objectSizeProblems("Stack", s.Name, s.Annotations, s)...)
	}
	for _, as := range d.AdminStacks {
		problems = append(problems, objectSizeProblems("AdminStack", as.Name, as.Annotations, as)...)
	}
	return problems
}

// objectSizeProblems reports obj when its JSON exceeds MaxObjectBytes.
func objectSizeProblems(kind, name string, annotations map[string]string, obj any) []Problem {
	data, err := json.Marshal(obj)
	if err != nil {
		return []Problem{{Object: kind + " " + name, Message: fmt.Sprintf("encoding as JSON: %v", err)}}
	}
	if len(data) <= MaxObjectBytes {
		return nil
	}
	return []Problem{{Object: describeObject(kind, name, annotations), Message: fmt.Sprintf(
		"the child %s %s is %s as JSON, more than the %s one Kubernetes object may have (etcd refuses objects over about 1.5 MiB); "+
			"make its vars, env, hooks or labels smaller, or split the component",
		kind, name, formatBytes(len(data)), formatBytes(MaxObjectBytes))}}
}

// varsFileBytes is the size of the tfvars file s mounts, 0 when none.
func varsFileBytes(s *v1alpha1.Stack) int {
	for _, e := range s.Spec.Environment {
		if strings.HasPrefix(e.Name, mountPrefix) && strings.HasSuffix(e.Name, "/"+TFVarsFile) && e.Value != nil {
			return len(*e.Value)
		}
	}
	return 0
}

// describeObject names the component a child was generated from (its atmos
// annotations), else the object.
func describeObject(kind, name string, annotations map[string]string) string {
	if c, s := annotations[AnnotationAtmosComponent], annotations[AnnotationAtmosStack]; c != "" {
		return fmt.Sprintf("component %q in stack %q", c, s)
	}
	return kind + " " + name
}

// formatBytes writes n in bytes, KiB or MiB, with the exact count above a
// KiB so that two sizes near a bound can be told apart.
func formatBytes(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n%(1<<10) == 0 && n < 1<<20:
		return fmt.Sprintf("%d KiB", n>>10)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB (%d bytes)", float64(n)/(1<<10), n)
	}
	return fmt.Sprintf("%.1f MiB (%d bytes)", float64(n)/(1<<20), n)
}
