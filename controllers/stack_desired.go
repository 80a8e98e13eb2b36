package controllers

import (
	"slices"
	"sort"
	"strings"
	"unicode"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// mountPrefix marks an environment entry that Spacelift mounts as a file.
const mountPrefix = "/mnt/workspace/"

// stackName is the Spacelift name of a Stack object.
func stackName(s *spaceliftv1alpha1.Stack) string {
	if s.Spec.Name != "" {
		return s.Spec.Name
	}
	return s.Name
}

// slug derives a Spacelift id from a name the way Spacelift does: lower-case
// letters and digits, other runs of characters replaced by one dash.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// ownerLabel is the Spacelift label that marks a stack or policy as managed
// by the Kubernetes object namespace/name.
func ownerLabel(namespace, name string) string {
	return spaceliftv1alpha1.LabelOwnership + namespace + "/" + name
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func sortedCopy(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	sort.Strings(out)
	return out
}
