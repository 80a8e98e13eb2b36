// Package runmetatest provides a fixed, publicly known signing key, sample
// tokens and policy inputs in the shapes Spacelift sends, for tests and for
// the policy samples under config/samples/policies. Never trust
// TestPublicKey outside tests: its private half is derived in this file.
package runmetatest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
)

// SampleTime is the issue time of Sample, the "iat" of the tokens in
// config/samples/policies/testdata.
var SampleTime = time.Date(2025, time.June, 2, 10, 0, 0, 0, time.UTC)

// SampleCommit is the commit of Sample and of the sample runs.
const SampleCommit = "7d629c6c3f3b6da07e28a87727f0586e577d98c1"

// SampleStack is the Spacelift stack id of Sample and of the sample runs.
const SampleStack = "network-prod"

// SampleRunID is the run id of the sample runs.
const SampleRunID = "01JWQ8Z6X3M4T5R7Y9B2C4D6E8"

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

// OtherPublicKey returns the public half of OtherPrivateKey.
func OtherPublicKey() ed25519.PublicKey {
	return OtherPrivateKey().Public().(ed25519.PublicKey)
}

// JWKS returns the JSON Web Key Set of keys, panicking on error.
func JWKS(keys ...ed25519.PublicKey) string {
	b, err := runmeta.MarshalJWKS(keys...)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// fixedID derives a deterministic jti from a label.
func fixedID(label string) string {
	sum := sha256.Sum256([]byte("runmetatest jti " + label))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// Sample returns the unsigned claims of a tracked run of SampleStack on
// SampleCommit, issued at SampleTime with a fixed jti, so that signing it with
// TestPrivateKey is deterministic.
func Sample() runmeta.Metadata {
	return runmeta.Metadata{
		Issuer:     runmeta.Issuer,
		ID:         fixedID("sample"),
		IssuedAt:   SampleTime,
		ExpiresAt:  SampleTime.Add(runmeta.TokenLifetime),
		Namespace:  "infra",
		Name:       "network",
		UID:        "0f6b8a4e-3c1d-4a57-9d1e-2b7c9e5f4a10",
		Generation: 3,
		Kind:       "Stack",
		StackID:    SampleStack,
		CommitSHA:  SampleCommit,
		RunType:    runmeta.RunTypeTracked,
	}
}

// SampleConfirm returns the claims the operator attaches when it confirms
// the sample run, issued at issuedAt with a jti derived from label.
func SampleConfirm(issuedAt time.Time, label string) runmeta.Metadata {
	m := Sample()
	m.RunType = runmeta.RunTypeConfirm
	m.ID = fixedID(label)
	m.IssuedAt = issuedAt.UTC().Truncate(time.Second)
	m.ExpiresAt = m.IssuedAt.Add(runmeta.TokenLifetime)
	return m
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

// Unsigned returns m encoded as an unsecured token, panicking on error.
func Unsigned(m runmeta.Metadata) string {
	m.KeyID, m.Signature = "", ""
	s, err := runmeta.Encode(&m)
	if err != nil {
		panic(err)
	}
	return s
}

// Run describes the run a policy input is about.
type Run struct {
	// ID is the Spacelift run id.
	ID string
	// StackID is the Spacelift stack id.
	StackID string
	// Commit is the commit hash the run is on.
	Commit string
	// Type is the Spacelift run type, e.g. TRACKED.
	Type string
	// State is the run state when the policy is evaluated.
	State string
	// CreatedAt is when Spacelift created the run.
	CreatedAt time.Time
	// UpdatedAt is the run's last update.
	UpdatedAt time.Time
	// Metadata is run.user_provided_metadata; nil leaves the key out.
	Metadata []string
}

// SampleRun returns a tracked run of SampleStack on SampleCommit created 5
// seconds after SampleTime, carrying metadata.
func SampleRun(metadata []string) Run {
	return Run{
		ID: SampleRunID, StackID: SampleStack, Commit: SampleCommit, Type: runmeta.RunTypeTracked,
		State: "QUEUED", CreatedAt: SampleTime.Add(5 * time.Second), UpdatedAt: SampleTime.Add(40 * time.Second),
		Metadata: metadata,
	}
}

func ns(t time.Time) int64 { return t.UnixNano() }

// commit returns the commit object of the server-side inputs; hash is left
// out when withHash is false (the top-level "commit" has no hash).
func (r Run) commit(withHash bool) map[string]any {
	c := map[string]any{
		"author":     "octocat",
		"branch":     "main",
		"created_at": ns(SampleTime.Add(-time.Hour)),
		"message":    "Tighten network ACLs",
	}
	if withHash {
		c["hash"] = r.Commit
	}
	return c
}

// serverRun returns the "run" object of the server-side inputs.
func (r Run) serverRun() map[string]any {
	run := map[string]any{
		"based_on_local_workspace": false,
		"branch":                   "main",
		"changes":                  []any{},
		"commit":                   r.commit(true),
		"created_at":               ns(r.CreatedAt),
		"drift_detection":          false,
		"flags":                    []any{},
		"id":                       r.ID,
		"runtime_config": map[string]any{
			"before_init":       []any{},
			"project_root":      "network",
			"runner_image":      "public.ecr.aws/spacelift/runner-terraform:latest",
			"terraform_version": "1.5.7",
		},
		"state":        r.State,
		"triggered_by": "api::01JWQ8YZ0K2N4P6R8T0V2X4Z6B",
		"type":         r.Type,
		"updated_at":   ns(r.UpdatedAt),
	}
	if r.Metadata != nil {
		run["user_provided_metadata"] = r.Metadata
	}
	return run
}

// serverStack returns the "stack" object of the server-side inputs.
func (r Run) serverStack() map[string]any {
	return map[string]any{
		"administrative":    false,
		"autodeploy":        false,
		"branch":            "main",
		"id":                r.StackID,
		"labels":            []any{"managed-by:spacelift-operator"},
		"locked_by":         nil,
		"name":              r.StackID,
		"namespace":         "",
		"project_root":      "network",
		"repository":        "infrastructure",
		"roles":             []any{},
		"state":             "NONE",
		"terraform_version": "1.5.7",
	}
}

// ApprovalInput returns an APPROVAL policy input in the shape Spacelift
// documents (reviews, run, stack) for r, with no reviews yet.
func ApprovalInput(r Run) map[string]any {
	stack := r.serverStack()
	stack["worker_pool"] = map[string]any{"id": "01JWQ8WP00000000000000000", "labels": []any{}, "name": "private", "public": false}
	run := r.serverRun()
	run["command"] = nil
	run["creator_session"] = map[string]any{
		"admin": false, "creator_ip": "10.0.0.7", "login": "spacelift-operator",
		"name": "spacelift-operator", "teams": []any{}, "machine": true,
	}
	return map[string]any{
		"reviews": map[string]any{
			"current": map[string]any{"approvals": []any{}, "rejections": []any{}},
			"older":   []any{},
		},
		"run":   run,
		"stack": stack,
	}
}

// InitializationInput returns a server-side INITIALIZATION policy input in
// the shape Spacelift documents (commit, request, run, stack) for r,
// evaluated 40 seconds after the run was created.
func InitializationInput(r Run) map[string]any {
	return map[string]any{
		"commit":  r.commit(false),
		"request": map[string]any{"timestamp_ns": ns(r.CreatedAt.Add(40 * time.Second))},
		"run":     r.serverRun(),
		"stack":   r.serverStack(),
	}
}

// LauncherInput returns the input of the worker-side initialization policy
// (the launcher's SPACELIFT_LAUNCHER_RUN_INITIALIZATION_POLICY) for r, in the
// shape Spacelift documents: a run without the commit hash, and the run's
// static_run_environment with commit_sha, run_type, run_ulid and stack_slug.
func LauncherInput(r Run) map[string]any {
	run := map[string]any{
		"based_on_local_workspace": false,
		"changes":                  []any{},
		"commit":                   r.commit(false),
		"created_at":               ns(r.CreatedAt),
		"id":                       r.ID,
		"state":                    "PREPARING",
		"triggered_by":             "api::01JWQ8YZ0K2N4P6R8T0V2X4Z6B",
		"updated_at":               ns(r.UpdatedAt),
	}
	if r.Metadata != nil {
		run["user_provided_metadata"] = r.Metadata
	}
	return map[string]any{
		"docker_image": "",
		"run":          run,
		"static_run_environment": map[string]any{
			"account_name":          "stackwright",
			"auto_deploy":           false,
			"before_apply":          nil,
			"before_init":           nil,
			"command":               "",
			"commit_branch":         "main",
			"commit_sha":            r.Commit,
			"endpoint_logs":         "tcp://169.254.0.3:1983",
			"endpoint_registry":     "registry.spacelift.io",
			"environment_variables": map[string]any{},
			"project_root":          "network",
			"refresh_state":         true,
			"repository_path":       "stackwright/infrastructure",
			"run_type":              r.Type,
			"run_ulid":              r.ID,
			"skip_init":             false,
			"stack_labels":          nil,
			"stack_slug":            r.StackID,
			"terraform_version":     "1.5.7",
			"vendor_specific_config": map[string]any{
				"vendor":       "terraform",
				"typed_config": map[string]any{"use_terragrunt": false, "use_infracost": false},
			},
		},
		"worker_version": "development",
	}
}
