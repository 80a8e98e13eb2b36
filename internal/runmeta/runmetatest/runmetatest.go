// Package runmetatest provides a fixed, publicly known signing key and sample
// documents for tests and for the policy samples under config/samples. Never
// trust TestPublicKey outside tests: its private half is in this file.
package runmetatest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
)

// SampleTime is the signing time of Sample, the timestamp of the documents
// in config/samples/policies/testdata.
var SampleTime = time.Date(2025, time.June, 2, 10, 0, 0, 0, time.UTC)

// SampleCommit is the commit of Sample and of the sample policy inputs.
const SampleCommit = "7d629c6c3f3b6da07e28a87727f0586e577d98c1"

// seed derives a deterministic ed25519 seed from a label.
func seed(label string) []byte {
	sum := sha256.Sum256([]byte("spacelift-operator runmetatest " + label))
	return sum[:]
}

// TestPrivateKey returns the fixed test signing key.
func TestPrivateKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(seed("signing key"))
}

// TestPublicKey returns the public half of TestPrivateKey.
func TestPublicKey() ed25519.PublicKey {
	return TestPrivateKey().Public().(ed25519.PublicKey)
}

// OtherPrivateKey returns a second fixed key, for wrong-key tests.
func OtherPrivateKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(seed("other key"))
}

// Sample returns an unsigned, fully stamped document dated SampleTime with a
// fixed nonce, so that signing it with TestPrivateKey is deterministic.
func Sample() runmeta.Metadata {
	nonce := sha256.Sum256([]byte("sample nonce"))
	return runmeta.Metadata{
		Version:    runmeta.CurrentVersion,
		Source:     runmeta.Source,
		Namespace:  "infra",
		Name:       "network",
		UID:        "0f6b8a4e-3c1d-4a57-9d1e-2b7c9e5f4a10",
		Generation: 3,
		Kind:       "Stack",
		StackID:    "network-prod",
		CommitSHA:  SampleCommit,
		RunType:    runmeta.RunTypeTracked,
		Timestamp:  runmeta.FormatTimestamp(SampleTime),
		Nonce:      base64.RawURLEncoding.EncodeToString(nonce[:16]),
	}
}

// Signed returns m signed with priv and encoded, panicking on error: the
// inputs are test fixtures, so an error is a bug in the test.
func Signed(m runmeta.Metadata, priv ed25519.PrivateKey) string {
	if err := runmeta.Sign(&m, priv); err != nil {
		panic(err)
	}
	s, err := runmeta.Encode(&m)
	if err != nil {
		panic(err)
	}
	return s
}

// Unsigned returns m encoded without a signature, panicking on error.
func Unsigned(m runmeta.Metadata) string {
	m.KeyID, m.Signature = "", ""
	s, err := runmeta.Encode(&m)
	if err != nil {
		panic(err)
	}
	return s
}

// SampleRunID is the run id of the sample policy inputs.
const SampleRunID = "01JWQ8Z6X3M4T5R7Y9B2C4D6E8"

// PolicyInput returns an INITIALIZATION policy input in the shape Spacelift
// documents (top-level commit, request, run and stack), for a tracked run on
// SampleCommit evaluated 45 seconds after SampleTime. metadata becomes
// run.user_provided_metadata; nil leaves the key out.
func PolicyInput(metadata []string) map[string]any {
	ns := func(t time.Time) int64 { return t.UnixNano() }
	commit := map[string]any{
		"author":     "octocat",
		"branch":     "main",
		"created_at": ns(SampleTime.Add(-time.Hour)),
		"message":    "Tighten network ACLs",
	}
	runCommit := map[string]any{"hash": SampleCommit}
	for k, v := range commit {
		runCommit[k] = v
	}
	run := map[string]any{
		"based_on_local_workspace": false,
		"changes":                  []any{},
		"commit":                   runCommit,
		"created_at":               ns(SampleTime.Add(5 * time.Second)),
		"flags":                    []any{},
		"id":                       SampleRunID,
		"runtime_config": map[string]any{
			"before_init":       []any{},
			"project_root":      "network",
			"runner_image":      "public.ecr.aws/spacelift/runner-terraform:latest",
			"terraform_version": "1.5.7",
		},
		"state":        "PREPARING",
		"triggered_by": "api::01JWQ8YZ0K2N4P6R8T0V2X4Z6B",
		"type":         runmeta.RunTypeTracked,
		"updated_at":   ns(SampleTime.Add(40 * time.Second)),
	}
	if metadata != nil {
		run["user_provided_metadata"] = metadata
	}
	return map[string]any{
		"commit":  commit,
		"request": map[string]any{"timestamp_ns": ns(SampleTime.Add(45 * time.Second))},
		"run":     run,
		"stack": map[string]any{
			"administrative":    false,
			"autodeploy":        true,
			"branch":            "main",
			"labels":            []any{"managed-by:spacelift-operator"},
			"locked_by":         nil,
			"name":              "network-prod",
			"namespace":         "",
			"project_root":      "network",
			"repository":        "infrastructure",
			"roles":             []any{},
			"state":             "FINISHED",
			"terraform_version": "1.5.7",
		},
	}
}
