package verifycmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
)

// Reasons for rejecting a policy input; per-token reasons are the runmeta
// errors and the ones below.
var (
	// ErrMalformedInput: the policy input is not the JSON Spacelift sends.
	ErrMalformedInput = errors.New("malformed policy input")
	// ErrNoMetadata: the run carries no user-provided metadata at all.
	ErrNoMetadata = errors.New("run has no user-provided metadata")
	// ErrNoOperatorMetadata: the run's first entry is not a run token from
	// the expected issuer, so the issuer did not trigger the run.
	ErrNoOperatorMetadata = errors.New("run was not triggered with a run token from the expected issuer")
	// ErrWrongSource: a token names another issuer.
	ErrWrongSource = errors.New("run metadata comes from another issuer")
	// ErrCommitMismatch: a token was issued for a commit other than the run's.
	ErrCommitMismatch = errors.New("run metadata was signed for another commit")
	// ErrStackMismatch: a token was issued for another stack.
	ErrStackMismatch = errors.New("run metadata was signed for another stack")
	// ErrTypeMismatch: a token was issued for another run type.
	ErrTypeMismatch = errors.New("run metadata was signed for another run type")
	// ErrReplayed: a token appears twice on the run, or a later token
	// predates the first one.
	ErrReplayed = errors.New("run metadata was replayed")
)

// verdict is the outcome of a verification: message on success, err on
// rejection, and notes (ignored entries) either way.
type verdict struct {
	message string
	notes   []string
	err     error
}

// policyInput is the part of an approval or initialization policy input that
// verify-run reads. The server-side inputs name the run by stack.id,
// run.commit.hash and run.type; the worker-side (launcher) input by
// static_run_environment.stack_slug, commit_sha and run_type.
type policyInput struct {
	Run *struct {
		UserProvidedMetadata []json.RawMessage `json:"user_provided_metadata"`
		Commit               *struct {
			Hash string `json:"hash"`
		} `json:"commit"`
		Type      string       `json:"type"`
		CreatedAt *json.Number `json:"created_at"`
	} `json:"run"`
	Stack *struct {
		ID string `json:"id"`
	} `json:"stack"`
	StaticRunEnvironment *struct {
		CommitSHA string `json:"commit_sha"`
		RunType   string `json:"run_type"`
		StackSlug string `json:"stack_slug"`
	} `json:"static_run_environment"`
}

// runFacts identify the run a policy input is about.
type runFacts struct {
	stack, commit, runType string
	// createdAt is the run's creation, the reference time for the trigger
	// token; zero when the input does not say.
	createdAt time.Time
}

func (in *policyInput) facts() (runFacts, error) {
	var f runFacts
	if in.Run.Commit != nil {
		f.commit = in.Run.Commit.Hash
	}
	f.runType = in.Run.Type
	if in.Stack != nil {
		f.stack = in.Stack.ID
	}
	if env := in.StaticRunEnvironment; env != nil {
		f.stack = cmpOr(f.stack, env.StackSlug)
		f.commit = cmpOr(f.commit, env.CommitSHA)
		f.runType = cmpOr(f.runType, env.RunType)
	}
	if in.Run.CreatedAt != nil {
		n, err := in.Run.CreatedAt.Int64()
		if err != nil || n <= 0 {
			return f, fmt.Errorf("%w: run.created_at is not Unix nanoseconds", ErrMalformedInput)
		}
		f.createdAt = time.Unix(0, n)
	}
	if f.stack == "" {
		return f, fmt.Errorf("%w: neither stack.id nor static_run_environment.stack_slug names the run's stack", ErrMalformedInput)
	}
	return f, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// verifyPolicyInput applies the rule of the policy samples to raw: the
// first user_provided_metadata entry must be a token from cfg.source that
// verifies under cfg.keys at the run's creation (now when the input has no
// created_at) and names the run's stack, type and, when it names one, commit;
// later tokens from cfg.source must verify, name the same stack and commit,
// be CONFIRM tokens issued no earlier than the first, and carry distinct
// ids. Other later entries are ignored and reported as notes.
func verifyPolicyInput(cfg *config, raw []byte, now time.Time) verdict {
	var in policyInput
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return verdict{err: fmt.Errorf("%w: %s", ErrMalformedInput, jsonProblem(err))}
	}
	if in.Run == nil {
		return verdict{err: fmt.Errorf("%w: no \"run\" object", ErrMalformedInput)}
	}
	entries := in.Run.UserProvidedMetadata
	if len(entries) == 0 {
		return verdict{err: ErrNoMetadata}
	}
	facts, err := in.facts()
	if err != nil {
		return verdict{err: err}
	}
	at := now
	if !facts.createdAt.IsZero() {
		at = facts.createdAt
	}

	var v verdict
	var first *runmeta.Metadata
	seen := map[string]int{}
	for i, entry := range entries {
		var s string
		if err := json.Unmarshal(entry, &s); err != nil || runmeta.IssuerOf(s) != cfg.source {
			if i == 0 {
				return verdict{err: fmt.Errorf("%w %q: its first metadata entry is not one", ErrNoOperatorMetadata, cfg.source)}
			}
			v.notes = append(v.notes, fmt.Sprintf("ignoring entry %d: not a %s run token", i, cfg.source))
			continue
		}
		m, err := checkToken(cfg, s, facts, i, at, first)
		if err != nil {
			return verdict{notes: v.notes, err: fmt.Errorf("entry %d: %w", i, err)}
		}
		if j, dup := seen[m.ID]; dup {
			return verdict{notes: v.notes, err: fmt.Errorf("entries %d and %d: %w: both carry token id %s", j, i, ErrReplayed, m.ID)}
		}
		seen[m.ID] = i
		if i == 0 {
			first = m
			v.message = successMessage(m, at)
		}
	}
	return v
}

// checkToken verifies entry i of a run described by facts; first is the
// verified first entry (nil for entry 0), at the reference time.
func checkToken(cfg *config, s string, facts runFacts, i int, at time.Time, first *runmeta.Metadata) (*runmeta.Metadata, error) {
	m, err := runmeta.Parse(s)
	if err != nil {
		return nil, err
	}
	if i == 0 {
		err = cfg.keys.Verify(m, at, cfg.maxAge)
	} else {
		// A later token is checked for its signature and binding; its age
		// is bounded by its own expiry.
		err = cfg.keys.Verify(m, m.IssuedAt, runmeta.TokenLifetime)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case m.StackID != facts.stack:
		return nil, fmt.Errorf("%w: signed for %q, the run is on %q", ErrStackMismatch, m.StackID, facts.stack)
	case m.CommitSHA != "" && !strings.EqualFold(m.CommitSHA, facts.commit):
		return nil, fmt.Errorf("%w: signed for %q, the run is on %q", ErrCommitMismatch, m.CommitSHA, facts.commit)
	case i == 0 && facts.runType != "" && m.RunType != facts.runType:
		return nil, fmt.Errorf("%w: signed for a %s run, this is a %s run", ErrTypeMismatch, m.RunType, facts.runType)
	case i > 0 && m.RunType != runmeta.RunTypeConfirm:
		return nil, fmt.Errorf("%w: a %s token after the first entry; only the first may trigger the run", ErrReplayed, m.RunType)
	case i > 0 && m.IssuedAt.Before(first.IssuedAt):
		return nil, fmt.Errorf("%w: issued before the run's first token", ErrReplayed)
	}
	return m, nil
}

// verifyMetadata checks a single token given with --metadata at now.
func verifyMetadata(cfg *config, s string, now time.Time) verdict {
	m, err := runmeta.Parse(s)
	if err == nil && m.Issuer != cfg.source {
		err = fmt.Errorf("%w: issuer %q, expected %q", ErrWrongSource, m.Issuer, cfg.source)
	}
	if err == nil {
		err = cfg.keys.Verify(m, now, cfg.maxAge)
	}
	if err != nil {
		return verdict{err: err}
	}
	return verdict{message: successMessage(m, now)}
}

func successMessage(m *runmeta.Metadata, at time.Time) string {
	age := max(at.Sub(m.IssuedAt), 0).Round(time.Second)
	return fmt.Sprintf("verified: run metadata signed by key %s for %s/%s (%s, %s old)",
		m.KeyID, m.Namespace, m.Name, m.RunType, age)
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
