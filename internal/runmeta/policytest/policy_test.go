package policytest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/runmeta/runmetatest"
)

var update = flag.Bool("update", false, "rewrite the sample policy inputs in config/samples/policies/testdata")

const (
	policyDir = "../../../config/samples/policies"
	sampleDir = policyDir + "/testdata"

	// minOPA is the oldest OPA whose io.jwt built-ins verify EdDSA; the
	// samples must compile with its capabilities.
	minOPA = "v1.8.0"
)

// policy is one sample: its file, the input shape Spacelift gives it, and
// how to read its decision.
type policy struct {
	name  string // also the prefix of its sample inputs
	file  string
	input func(runmetatest.Run) map[string]any
	// decide returns whether the run may go ahead and the reasons given.
	decide func(doc map[string]any) (bool, []string)
}

// stringSet reads a Rego set of strings.
func stringSet(v any) []string {
	values, _ := v.([]any)
	out := make([]string, 0, len(values))
	for _, x := range values {
		out = append(out, fmt.Sprint(x))
	}
	slices.Sort(out)
	return out
}

func denyDecision(doc map[string]any) (bool, []string) {
	deny := stringSet(doc["deny"])
	return len(deny) == 0, deny
}

var policies = []policy{
	{
		name:  "approval",
		file:  "approval-signed-runs.rego",
		input: runmetatest.ApprovalInput,
		decide: func(doc map[string]any) (bool, []string) {
			approve, reject := doc["approve"] == true, doc["reject"] == true
			if approve == reject {
				panic(fmt.Sprintf("approve %v and reject %v must differ", doc["approve"], doc["reject"]))
			}
			return approve, stringSet(doc["problems"])
		},
	},
	{name: "initialization", file: "initialization-signed-runs.rego", input: runmetatest.InitializationInput, decide: denyDecision},
	{name: "launcher", file: "launcher-initialization-signed-runs.rego", input: runmetatest.LauncherInput, decide: denyDecision},
}

// prepare compiles p in strict mode, with the capabilities of minOPA.
func prepare(t *testing.T, p policy) rego.PreparedEvalQuery {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(policyDir, p.file))
	if err != nil {
		t.Fatalf("reading policy: %v", err)
	}
	caps, err := ast.LoadCapabilitiesVersion(minOPA)
	if err != nil {
		t.Fatalf("loading OPA %s capabilities: %v", minOPA, err)
	}
	q, err := rego.New(
		rego.Query("data.spacelift"),
		rego.Module(p.file, string(src)),
		rego.Strict(true),
		rego.Capabilities(caps),
	).PrepareForEval(context.Background())
	if err != nil {
		t.Fatalf("compiling %s: %v", p.file, err)
	}
	return q
}

// evaluate runs p on input (round-tripped through JSON, as Spacelift sends
// it) and returns its decision.
func evaluate(t *testing.T, p policy, q rego.PreparedEvalQuery, input any) (bool, []string) {
	t.Helper()
	b, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := q.Eval(context.Background(), rego.EvalInput(decodeJSON(t, b)))
	if err != nil {
		t.Fatalf("evaluating %s: %v", p.file, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		t.Fatalf("unexpected result set %v", rs)
	}
	doc, ok := rs[0].Expressions[0].Value.(map[string]any)
	if !ok {
		t.Fatalf("data.spacelift is %T", rs[0].Expressions[0].Value)
	}
	return p.decide(doc)
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decoding JSON: %v", err)
	}
	return out
}

// Reasons the samples give, shared by all three.
const (
	noMetadata  = "run has no user-provided metadata: it was not triggered by spacelift-operator"
	notAToken   = "the run's first metadata entry is not a spacelift-operator run token: the run was not triggered by spacelift-operator"
	noStackID   = "policy input names no stack id: cannot check which stack the run token was issued for"
	noCreatedAt = "policy input has no run.created_at: cannot check the age of the run token"
)

func unsigned(i int) string {
	return fmt.Sprintf("metadata entry %d is an unsigned spacelift-operator run token", i)
}

func notVerified(i int, kid string) string {
	return fmt.Sprintf("metadata entry %d does not verify with the published keys (key id %s): forged, altered, signed by an unknown key or not issued by spacelift-operator", i, kid)
}

func otherStack(i int, signed, run string) string {
	return fmt.Sprintf("metadata entry %d was issued for stack %s, not for this stack %s: replayed", i, signed, run)
}

func otherCommit(i int, signed, run string) string {
	return fmt.Sprintf("metadata entry %d was issued for commit %s, the run is on commit %s: replayed", i, signed, run)
}

// forge replaces the claims of a signed token and keeps its signature.
func forge(t *testing.T, token string, edit func(*runmeta.Metadata)) string {
	t.Helper()
	m, err := runmeta.Parse(token)
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	sig := m.Signature
	m.Signature = ""
	unsignedToken, err := runmeta.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	return parts[0] + "." + strings.Split(unsignedToken, ".")[1] + "." + sig
}

// policyCase is one run shown to every sample.
type policyCase struct {
	name    string
	run     runmetatest.Run
	edit    func(in map[string]any) // optional change to the input
	allowed bool
	reasons []string
	// jwks replaces the sample's key set when set.
	jwks string
}

func policyCases(t *testing.T) []policyCase {
	key, other := runmetatest.TestPrivateKey(), runmetatest.OtherPrivateKey()
	testKID, otherKID := runmeta.KeyID(runmetatest.TestPublicKey()), runmeta.KeyID(runmetatest.OtherPublicKey())
	sample := runmetatest.Sample()
	signed := runmetatest.Signed(sample, key)
	run := runmetatest.SampleRun
	created := runmetatest.SampleRun(nil).CreatedAt
	confirmAt := created.Add(3 * time.Hour)
	confirm := runmetatest.Signed(runmetatest.SampleConfirm(confirmAt, "confirm"), key)
	with := func(edit func(*runmeta.Metadata)) runmeta.Metadata {
		m := runmetatest.Sample()
		edit(&m)
		return m
	}
	issuedAt := func(at time.Time) func(*runmeta.Metadata) {
		return func(m *runmeta.Metadata) {
			m.IssuedAt = at.Truncate(time.Second)
			m.ExpiresAt = m.IssuedAt.Add(runmeta.TokenLifetime)
		}
	}
	otherRun := func(edit func(*runmetatest.Run)) runmetatest.Run {
		r := runmetatest.SampleRun([]string{signed})
		edit(&r)
		return r
	}
	upper := strings.ToUpper(runmetatest.SampleCommit)
	otherSHA := strings.Repeat("a", 40)

	return []policyCase{
		{name: "signed", run: run([]string{signed}), allowed: true},
		{name: "signed, then confirmed", run: run([]string{signed, confirm}), allowed: true},
		{name: "signed, then free-text entries", run: run([]string{signed, "deploy-metadata", `{"x":1}`}), allowed: true},
		{name: "signed without a commit, on any commit", run: runmetatest.SampleRun([]string{runmetatest.Signed(with(func(m *runmeta.Metadata) { m.CommitSHA = "" }), key)}), allowed: true},
		{name: "commit in another case", run: run([]string{runmetatest.Signed(with(func(m *runmeta.Metadata) { m.CommitSHA = upper }), key)}), allowed: true},
		{name: "signed by a previous key still published", run: run([]string{runmetatest.Signed(sample, other)}), allowed: true,
			jwks: runmetatest.JWKS(runmetatest.TestPublicKey(), runmetatest.OtherPublicKey())},

		{name: "no metadata key", run: run(nil), reasons: []string{noMetadata}},
		{name: "empty metadata", run: run([]string{}), reasons: []string{noMetadata}},
		{name: "metadata not a list", run: run([]string{signed}), edit: func(in map[string]any) {
			in["run"].(map[string]any)["user_provided_metadata"] = signed
		}, reasons: []string{noMetadata}},
		{name: "free-text metadata", run: run([]string{"deploy-metadata", "confirm-metadata"}), reasons: []string{notAToken}},
		{name: "legacy JSON metadata", run: run([]string{`{"v":1,"src":"spacelift-operator","sig":"abc"}`}), reasons: []string{notAToken}},
		{name: "token after free text", run: run([]string{"deploy-metadata", signed}), reasons: []string{
			notAToken, "metadata entry 1 is a TRACKED token: only the first entry may trigger the run",
		}},
		{name: "unsigned", run: run([]string{runmetatest.Unsigned(sample)}), reasons: []string{unsigned(0)}},
		{name: "forged claims", run: otherRun(func(r *runmetatest.Run) {
			r.StackID = "payments-prod"
			r.Metadata = []string{forge(t, signed, func(m *runmeta.Metadata) { m.StackID = "payments-prod" })}
		}), reasons: []string{notVerified(0, testKID)}},
		{name: "signature from another key under the trusted key id", run: run([]string{func() string {
			s := runmetatest.Signed(sample, other)
			parts := strings.Split(signed, ".")
			return parts[0] + "." + parts[1] + "." + strings.Split(s, ".")[2]
		}()}), reasons: []string{notVerified(0, testKID)}},
		{name: "wrong key", run: run([]string{runmetatest.Signed(sample, other)}), reasons: []string{notVerified(0, otherKID)}},
		{name: "another issuer", run: run([]string{runmetatest.Signed(with(func(m *runmeta.Metadata) { m.Issuer = "ci-pipeline" }), key)}), reasons: []string{notVerified(0, testKID)}},
		{name: "stale: issued 20 minutes before the run", run: run([]string{runmetatest.Signed(with(issuedAt(created.Add(-20*time.Minute))), key)}), reasons: []string{
			"the run token was issued 1200s before the run was created, more than the 900s allowed: stale or replayed",
		}},
		{name: "stale: expired before the run", run: run([]string{runmetatest.Signed(with(issuedAt(created.Add(-2*time.Hour))), key)}), reasons: []string{
			"the run token had expired (exp 1748854805) when the run was created",
			"the run token was issued 7200s before the run was created, more than the 900s allowed: stale or replayed",
		}},
		{name: "issued after the run", run: run([]string{runmetatest.Signed(with(issuedAt(created.Add(10*time.Minute))), key)}), reasons: []string{
			"the run token was issued 600s after the run was created: it was not attached when the run was triggered",
		}},
		{name: "replayed onto another stack", run: otherRun(func(r *runmetatest.Run) { r.StackID = "payments-prod" }), reasons: []string{
			otherStack(0, runmetatest.SampleStack, "payments-prod"),
		}},
		{name: "replayed onto another commit", run: otherRun(func(r *runmetatest.Run) { r.Commit = otherSHA }), reasons: []string{
			otherCommit(0, runmetatest.SampleCommit, otherSHA),
		}},
		{name: "replayed onto a proposed run", run: otherRun(func(r *runmetatest.Run) { r.Type = runmeta.RunTypeProposed }), reasons: []string{
			"the run token was issued for a TRACKED run, this is a PROPOSED run",
		}},
		{name: "replayed twice on one run", run: run([]string{signed, signed}), reasons: []string{
			"metadata entries 0 and 1 carry the same token id uUcN9S0kRvi6HIZ7QFA40Q: replayed",
			"metadata entry 1 is a TRACKED token: only the first entry may trigger the run",
		}},
		{name: "confirm token from another stack", run: run([]string{signed, runmetatest.Signed(func() runmeta.Metadata {
			m := runmetatest.SampleConfirm(confirmAt, "confirm")
			m.StackID = "payments-prod"
			return m
		}(), key)}), reasons: []string{otherStack(1, "payments-prod", runmetatest.SampleStack)}},
		{name: "confirm token issued before the trigger", run: run([]string{signed, runmetatest.Signed(runmetatest.SampleConfirm(runmetatest.SampleTime.Add(-time.Minute), "early"), key)}), reasons: []string{
			"metadata entry 1 was issued before the run's first token: replayed",
		}},
		{name: "forged confirm token", run: run([]string{signed, forge(t, confirm, func(m *runmeta.Metadata) { m.CommitSHA = otherSHA })}), reasons: []string{
			notVerified(1, testKID),
		}},
		{name: "unsigned confirm token", run: run([]string{signed, runmetatest.Unsigned(runmetatest.SampleConfirm(confirmAt, "confirm"))}), reasons: []string{unsigned(1)}},
	}
}

// withoutRunFacts removes what identifies the run from an input of shape
// name, so that the policies must refuse to guess.
func withoutRunFacts(name string, in map[string]any) {
	delete(in["run"].(map[string]any), "created_at")
	if name == "launcher" {
		delete(in["static_run_environment"].(map[string]any), "stack_slug")
		return
	}
	delete(in["stack"].(map[string]any), "id")
}

func TestPolicyDecisions(t *testing.T) {
	cases := policyCases(t)
	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) {
			q := prepare(t, p)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					in := p.input(tc.run)
					if tc.edit != nil {
						tc.edit(in)
					}
					qq := q
					if tc.jwks != "" {
						qq = prepareWithJWKS(t, p, tc.jwks)
					}
					allowed, reasons := evaluate(t, p, qq, in)
					want := tc.reasons
					if want == nil {
						want = []string{}
					}
					slices.Sort(want)
					if allowed != tc.allowed || !slices.Equal(reasons, want) {
						t.Errorf("allowed %v, reasons:\n  %s\nwant allowed %v, reasons:\n  %s",
							allowed, strings.Join(reasons, "\n  "), tc.allowed, strings.Join(want, "\n  "))
					}
				})
			}
			t.Run("input without the run's stack and creation time", func(t *testing.T) {
				in := p.input(runmetatest.SampleRun([]string{runmetatest.Signed(runmetatest.Sample(), runmetatest.TestPrivateKey())}))
				withoutRunFacts(p.name, in)
				allowed, reasons := evaluate(t, p, q, in)
				if allowed || !slices.Contains(reasons, noStackID) || !slices.Contains(reasons, noCreatedAt) {
					t.Errorf("allowed %v, reasons %q", allowed, reasons)
				}
			})
		})
	}
}

// jwksLine matches the policies' JWKS setting.
var jwksLine = regexp.MustCompile("(?m)^jwks := `[^`]*`$")

// prepareWithJWKS compiles p with its JWKS replaced by jwks, the way a user
// pastes the operator's published key set.
func prepareWithJWKS(t *testing.T, p policy, jwks string) rego.PreparedEvalQuery {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(policyDir, p.file))
	if err != nil {
		t.Fatal(err)
	}
	if len(jwksLine.FindAll(src, -1)) != 1 {
		t.Fatalf("%s must set jwks on exactly one line", p.file)
	}
	edited := jwksLine.ReplaceAllLiteral(src, []byte("jwks := `"+jwks+"`"))
	q, err := rego.New(rego.Query("data.spacelift"), rego.Module(p.file, string(edited)), rego.Strict(true)).PrepareForEval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestSamplesEmbedTheTestKeySet guards the JWKS the samples ship with: the
// test key, so that the sample inputs verify, and nothing else.
func TestSamplesEmbedTheTestKeySet(t *testing.T) {
	want := "jwks := `" + runmetatest.JWKS(runmetatest.TestPublicKey()) + "`"
	for _, p := range policies {
		src, err := os.ReadFile(filepath.Join(policyDir, p.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(jwksLine.Find(src)); got != want {
			t.Errorf("%s: %s\nwant %s", p.file, got, want)
		}
	}
}

// TestSamplesShareTheVerificationCore keeps the three samples' rule in step:
// the part between the core markers must be identical.
func TestSamplesShareTheVerificationCore(t *testing.T) {
	const begin, end = "# ---- BEGIN verification core", "# ---- END verification core ----"
	var first string
	for _, p := range policies {
		src, err := os.ReadFile(filepath.Join(policyDir, p.file))
		if err != nil {
			t.Fatal(err)
		}
		s := string(src)
		i, j := strings.Index(s, begin), strings.Index(s, end)
		if i < 0 || j < i {
			t.Fatalf("%s has no verification core markers", p.file)
		}
		core := s[i:j]
		if first == "" {
			first = core
			continue
		}
		if core != first {
			t.Errorf("%s: the verification core differs from %s's", p.file, policies[0].file)
		}
	}
}

// sampleInput is a documented sample input: the run it shows and whether
// the samples allow it.
type sampleInput struct {
	suffix  string
	run     runmetatest.Run
	allowed bool
}

func sampleInputs() []sampleInput {
	key := runmetatest.TestPrivateKey()
	signed := runmetatest.Signed(runmetatest.Sample(), key)
	parts := strings.Split(signed, ".")
	forged := parts[0] + "." + strings.Split(runmetatest.Unsigned(func() runmeta.Metadata {
		m := runmetatest.Sample()
		m.CommitSHA = strings.Repeat("e", 40)
		return m
	}()), ".")[1] + "." + parts[2]
	stale := runmetatest.Sample()
	stale.IssuedAt = runmetatest.SampleTime.Add(-30 * time.Minute)
	stale.ExpiresAt = stale.IssuedAt.Add(runmeta.TokenLifetime)
	replayed := runmetatest.SampleRun([]string{signed})
	replayed.Commit = strings.Repeat("e", 40)
	forgedRun := runmetatest.SampleRun([]string{forged})
	forgedRun.Commit = strings.Repeat("e", 40)
	return []sampleInput{
		{suffix: "signed", run: runmetatest.SampleRun([]string{signed}), allowed: true},
		{suffix: "unsigned", run: runmetatest.SampleRun([]string{runmetatest.Unsigned(runmetatest.Sample())})},
		{suffix: "forged", run: forgedRun},
		{suffix: "stale", run: runmetatest.SampleRun([]string{runmetatest.Signed(stale, key)})},
		{suffix: "replayed", run: replayed},
		{suffix: "wrong-key", run: runmetatest.SampleRun([]string{runmetatest.Signed(runmetatest.Sample(), runmetatest.OtherPrivateKey())})},
	}
}

// TestSampleInputs checks that the sample inputs are the ones the fixed test
// key produces (rewrite them with -update) and that each sample decides on
// its inputs as documented.
func TestSampleInputs(t *testing.T) {
	for _, p := range policies {
		q := prepare(t, p)
		for _, s := range sampleInputs() {
			file := p.name + "-" + s.suffix + ".json"
			t.Run(file, func(t *testing.T) {
				path := filepath.Join(sampleDir, file)
				var buf bytes.Buffer
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				if err := enc.Encode(p.input(s.run)); err != nil {
					t.Fatal(err)
				}
				if *update {
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				onDisk, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("reading sample (regenerate with -update): %v", err)
				}
				if !bytes.Equal(onDisk, buf.Bytes()) {
					t.Errorf("%s is stale; regenerate it with go test ./internal/runmeta/policytest -update", path)
				}
				allowed, reasons := evaluate(t, p, q, decodeJSON(t, onDisk))
				if allowed != s.allowed || (s.allowed != (len(reasons) == 0)) {
					t.Errorf("allowed %v with reasons %q, want allowed %v", allowed, reasons, s.allowed)
				}
			})
		}
	}
}
