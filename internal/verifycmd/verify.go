package verifycmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
)

// Reasons for rejecting a policy input as a whole; per-document reasons are
// the runmeta errors and ErrCommitMismatch.
var (
	// ErrMalformedInput: the policy input is not the JSON Spacelift sends.
	ErrMalformedInput = errors.New("malformed policy input")
	// ErrNoMetadata: the run carries no user-provided metadata at all.
	ErrNoMetadata = errors.New("run has no user-provided metadata")
	// ErrNoOperatorMetadata: none of the entries comes from the expected source.
	ErrNoOperatorMetadata = errors.New("run has no metadata from the expected source")
	// ErrWrongSource: a --metadata document names another source.
	ErrWrongSource = errors.New("run metadata comes from another source")
)

// verdict is the outcome of a verification: message on success, err on
// rejection, and notes (ignored or failing entries) either way.
type verdict struct {
	message string
	notes   []string
	err     error
}

// policyInput is the part of an initialization policy input that verify-run
// reads. run.commit.hash is the server-side field; the worker-side (launcher)
// input carries the commit as static_run_environment.commit_sha.
type policyInput struct {
	Run *struct {
		UserProvidedMetadata []json.RawMessage `json:"user_provided_metadata"`
		Commit               *struct {
			Hash string `json:"hash"`
		} `json:"commit"`
	} `json:"run"`
	StaticRunEnvironment *struct {
		CommitSHA string `json:"commit_sha"`
	} `json:"static_run_environment"`
}

// commit returns the commit the run is on, or "" when the input has none.
func (in *policyInput) commit() string {
	if in.Run != nil && in.Run.Commit != nil && in.Run.Commit.Hash != "" {
		return in.Run.Commit.Hash
	}
	if in.StaticRunEnvironment != nil {
		return in.StaticRunEnvironment.CommitSHA
	}
	return ""
}

// verifyPolicyInput accepts raw when at least one user_provided_metadata entry
// is a document from cfg.source that verifies under cfg.keys at now and, when
// both are known, names the run's commit. Entries from other sources are
// ignored and reported as notes.
func verifyPolicyInput(cfg *config, raw []byte, now time.Time) verdict {
	var in policyInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return verdict{err: fmt.Errorf("%w: %s", ErrMalformedInput, jsonProblem(err))}
	}
	if in.Run == nil {
		return verdict{err: fmt.Errorf("%w: no \"run\" object", ErrMalformedInput)}
	}
	entries := in.Run.UserProvidedMetadata
	if len(entries) == 0 {
		return verdict{err: ErrNoMetadata}
	}
	runCommit := in.commit()

	var v verdict
	var failures []string
	var accepted bool
	for i, entry := range entries {
		var s string
		if err := json.Unmarshal(entry, &s); err != nil {
			v.notes = append(v.notes, fmt.Sprintf("ignoring entry %d: not a string", i))
			continue
		}
		if runmeta.SourceOf(s) != cfg.source {
			v.notes = append(v.notes, fmt.Sprintf("ignoring entry %d: not %s run metadata", i, cfg.source))
			continue
		}
		msg, err := verifyDocument(cfg, s, runCommit, now)
		if err != nil {
			failures = append(failures, fmt.Sprintf("entry %d: %v", i, err))
			continue
		}
		if !accepted {
			accepted, v.message = true, msg
		}
	}
	switch {
	case accepted:
		for _, f := range failures {
			v.notes = append(v.notes, "not accepted: "+f)
		}
	case len(failures) == 0:
		v.err = fmt.Errorf("%w: none of its %d user-provided metadata entries has source %q", ErrNoOperatorMetadata, len(entries), cfg.source)
	default:
		v.err = errors.New(strings.Join(failures, "; "))
	}
	return v
}

// verifyMetadata checks a single document given with --metadata.
func verifyMetadata(cfg *config, s string, now time.Time) verdict {
	msg, err := verifyDocument(cfg, s, "", now)
	return verdict{message: msg, err: err}
}

// verifyDocument parses s and checks its source, signature, age and, when
// runCommit is not empty, its commit. It returns the success message.
func verifyDocument(cfg *config, s, runCommit string, now time.Time) (string, error) {
	m, err := runmeta.Parse(s)
	if err != nil {
		return "", err
	}
	if m.Source != cfg.source {
		return "", fmt.Errorf("%w: source %q, expected %q", ErrWrongSource, m.Source, cfg.source)
	}
	if err := cfg.keys.Verify(m, now, cfg.maxAge); err != nil {
		return "", err
	}
	if runCommit != "" && m.CommitSHA != "" && !strings.EqualFold(runCommit, m.CommitSHA) {
		return "", fmt.Errorf("%w: signed for %q, the run is on %q", ErrCommitMismatch, m.CommitSHA, runCommit)
	}
	ts, err := m.Time()
	if err != nil {
		return "", err
	}
	age := max(now.Sub(ts), 0).Round(time.Second)
	return fmt.Sprintf("verified: run metadata signed by key %s for %s/%s (%s, %s old)",
		m.KeyID, m.Namespace, m.Name, m.RunType, age), nil
}

// jsonProblem describes a JSON decoding error without quoting the input.
func jsonProblem(err error) string {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("invalid JSON at byte %d", syntaxErr.Offset)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("field %q is a JSON %s, want %s", typeErr.Field, typeErr.Value, typeErr.Type)
	default:
		return "invalid JSON"
	}
}
