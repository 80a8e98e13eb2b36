package controllers

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// configPart is the stack's own environment variables and mounted files.
// Values from rotated Secrets are noticed by checksum.
type configPart struct{}

func (configPart) name() string { return "config" }

func (configPart) changes(in *partInput) []partChange {
	ch := configDiff(in.resolved.config, in.observed.Config)
	return changesOf(
		each(ch.Add, func(c spacelift.ConfigInput) spacelift.Mutation { return spacelift.AddConfigMutation(in.id, c) }),
		each(ch.Delete, func(id string) spacelift.Mutation { return spacelift.DeleteConfigMutation(in.id, id) }))
}

// configChange is what to do to a stack's config to match the spec.
type configChange struct {
	// Add are created or replaced (stackConfigAdd upserts by id).
	Add []spacelift.ConfigInput
	// Delete are ids of config elements the spec no longer has.
	Delete []string
}

// configDiff compares desired config with what Spacelift holds, matching
// values by their SHA-256 checksum so that write-only values are compared too.
func configDiff(want []spacelift.ConfigInput, got []spacelift.ConfigElement) configChange {
	var ch configChange
	have := make(map[string]spacelift.ConfigElement, len(got))
	for _, e := range got {
		have[e.ID] = e
	}
	wanted := make(map[string]bool, len(want))
	for _, w := range want {
		wanted[w.ID] = true
		g, ok := have[w.ID]
		if !ok || g.Type != w.Type || g.WriteOnly != w.WriteOnly || !sameValue(w.Value, g) {
			ch.Add = append(ch.Add, w)
		}
	}
	for _, g := range got {
		if !wanted[g.ID] {
			ch.Delete = append(ch.Delete, g.ID)
		}
	}
	sort.Strings(ch.Delete)
	return ch
}

// sameValue reports whether an observed config element holds value.
func sameValue(value string, e spacelift.ConfigElement) bool {
	if e.Value != nil {
		return *e.Value == value
	}
	sum := sha256.Sum256([]byte(value))
	return e.Checksum != "" && strings.EqualFold(e.Checksum, hex.EncodeToString(sum[:]))
}

// configInput is one resolved environment entry as Spacelift config. Names
// under /mnt/workspace/ are mounted files, whose value Spacelift takes base64
// encoded.
func configInput(name, value string, writeOnly bool) spacelift.ConfigInput {
	if strings.HasPrefix(name, mountPrefix) {
		return spacelift.ConfigInput{ID: strings.TrimPrefix(name, mountPrefix), Type: spacelift.ConfigTypeFileMount,
			Value: base64.StdEncoding.EncodeToString([]byte(value)), WriteOnly: writeOnly}
	}
	return spacelift.EnvironmentVariable(name, value, writeOnly)
}
