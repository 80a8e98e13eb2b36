package policytest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/stackwright/spacelift-operator/internal/runmeta"
	"github.com/stackwright/spacelift-operator/internal/runmeta/runmetatest"
)

var update = flag.Bool("update", false, "rewrite the sample policy inputs in config/samples/policies/testdata")

const (
	policyDir  = "../../../config/samples/policies"
	policyFile = policyDir + "/initialization-signed-runs.rego"
	sampleDir  = policyDir + "/testdata"

	denyMissing  = "run has no user-provided metadata: runs on this stack must be created by spacelift-operator"
	denyForeign  = "run metadata does not come from spacelift-operator"
	denyUnsigned = "spacelift-operator run metadata is not signed"
)

func denyCommit(runCommit, docCommit string) string {
	return "run commit " + runCommit + " does not match commit " + docCommit + " in the spacelift-operator run metadata"
}

// preparePolicy compiles the sample policy in strict mode once per test.
func preparePolicy(t *testing.T) rego.PreparedEvalQuery {
	t.Helper()
	src, err := os.ReadFile(policyFile)
	if err != nil {
		t.Fatalf("reading policy: %v", err)
	}
	q, err := rego.New(
		rego.Query("data.spacelift.deny"),
		rego.Module(filepath.Base(policyFile), string(src)),
		rego.Strict(true),
	).PrepareForEval(context.Background())
	if err != nil {
		t.Fatalf("compiling policy: %v", err)
	}
	return q
}

// deny evaluates the policy's deny set on input and returns it sorted.
func deny(t *testing.T, q rego.PreparedEvalQuery, input any) []string {
	t.Helper()
	rs, err := q.Eval(context.Background(), rego.EvalInput(input))
	if err != nil {
		t.Fatalf("evaluating policy: %v", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		t.Fatalf("unexpected result set %v", rs)
	}
	values, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		t.Fatalf("deny is %T, want a set of strings", rs[0].Expressions[0].Value)
	}
	msgs := make([]string, 0, len(values))
	for _, v := range values {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("deny holds %T %v, want strings", v, v)
		}
		msgs = append(msgs, s)
	}
	slices.Sort(msgs)
	return msgs
}

// asJSON round-trips v through JSON so that the policy sees exactly what a
// JSON input would give it.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return decodeJSON(t, b)
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

func TestPolicyDecisions(t *testing.T) {
	q := preparePolicy(t)
	key := runmetatest.TestPrivateKey()
	signed := runmetatest.Signed(runmetatest.Sample(), key)
	unsigned := runmetatest.Unsigned(runmetatest.Sample())
	otherCommit := runmetatest.Sample()
	otherCommit.CommitSHA = strings.Repeat("a", 40)
	upperCommit := runmetatest.Sample()
	upperCommit.CommitSHA = strings.ToUpper(runmetatest.SampleCommit)
	noCommit := runmetatest.Sample()
	noCommit.CommitSHA = ""
	foreignSigned := `{"src":"someone-else","sig":"abc"}`

	withRun := func(entries []string, edit func(run map[string]any)) map[string]any {
		in := runmetatest.PolicyInput(entries)
		edit(in["run"].(map[string]any))
		return in
	}
	tests := []struct {
		name  string
		input map[string]any
		want  []string
	}{
		{"signed", runmetatest.PolicyInput([]string{signed}), nil},
		{"signed among other entries", runmetatest.PolicyInput([]string{"deploy-metadata", `{"x":1}`, "[]", signed}), nil},
		{"unsigned trigger, signed confirm", runmetatest.PolicyInput([]string{unsigned, signed}), nil},
		{"signed without a commit", runmetatest.PolicyInput([]string{runmetatest.Signed(noCommit, key)}), nil},
		{"commit in another case", runmetatest.PolicyInput([]string{runmetatest.Signed(upperCommit, key)}), nil},
		{"no metadata key", runmetatest.PolicyInput(nil), []string{denyMissing}},
		{"empty metadata", runmetatest.PolicyInput([]string{}), []string{denyMissing}},
		{"null metadata", withRun(nil, func(run map[string]any) { run["user_provided_metadata"] = nil }), []string{denyMissing}},
		{"metadata not a list", withRun(nil, func(run map[string]any) { run["user_provided_metadata"] = signed }), []string{denyMissing}},
		{"free-text metadata", runmetatest.PolicyInput([]string{"deploy-metadata", "confirm-metadata"}), []string{denyForeign}},
		{"another producer", runmetatest.PolicyInput([]string{foreignSigned}), []string{denyForeign}},
		{"unsigned", runmetatest.PolicyInput([]string{unsigned}), []string{denyUnsigned}},
		{"empty signature", runmetatest.PolicyInput([]string{strings.Replace(signed, `"sig":"`, `"sig":"","x":"`, 1)}), []string{denyUnsigned}},
		{
			"signed for another commit",
			runmetatest.PolicyInput([]string{runmetatest.Signed(otherCommit, key)}),
			[]string{denyCommit(runmetatest.SampleCommit, otherCommit.CommitSHA)},
		},
		{
			"run without a commit hash",
			withRun([]string{runmetatest.Signed(otherCommit, key)}, func(run map[string]any) { delete(run, "commit") }),
			nil,
		},
		{
			"worker-side input with another commit",
			func() map[string]any {
				in := withRun([]string{runmetatest.Signed(otherCommit, key)}, func(run map[string]any) { delete(run, "commit") })
				in["static_run_environment"] = map[string]any{"commit_sha": runmetatest.SampleCommit}
				return in
			}(),
			[]string{denyCommit(runmetatest.SampleCommit, otherCommit.CommitSHA)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := deny(t, q, asJSON(t, tt.input))
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("deny = %q, want %q", got, want)
			}
		})
	}
}

// sampleInputs are the documented sample inputs and the deny set each gets.
var sampleInputs = []struct {
	file     string
	metadata []string
	want     []string
}{
	{
		file:     "initialization-signed.json",
		metadata: []string{runmetatest.Signed(runmetatest.Sample(), runmetatest.TestPrivateKey())},
		want:     []string{},
	},
	{
		file:     "initialization-unsigned.json",
		metadata: []string{runmetatest.Unsigned(runmetatest.Sample())},
		want:     []string{denyUnsigned},
	},
	{
		file: "initialization-no-metadata.json",
		want: []string{denyMissing},
	},
}

// TestSampleInputs checks that the sample inputs are the ones the fixed test
// key produces (rewrite them with -update) and that the policy decides on
// them as documented.
func TestSampleInputs(t *testing.T) {
	q := preparePolicy(t)
	for _, s := range sampleInputs {
		t.Run(s.file, func(t *testing.T) {
			path := filepath.Join(sampleDir, s.file)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(runmetatest.PolicyInput(s.metadata)); err != nil {
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
			if got := deny(t, q, decodeJSON(t, onDisk)); !slices.Equal(got, s.want) {
				t.Errorf("deny = %q, want %q", got, s.want)
			}
		})
	}
}

// TestSignedSampleVerifies guards the sample against drifting from runmeta:
// its metadata must verify under the test key at the input's request time.
func TestSignedSampleVerifies(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(sampleDir, "initialization-signed.json"))
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		Run struct {
			UserProvidedMetadata []string `json:"user_provided_metadata"`
		} `json:"run"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	if len(in.Run.UserProvidedMetadata) != 1 {
		t.Fatalf("sample has %d metadata entries, want 1", len(in.Run.UserProvidedMetadata))
	}
	m, err := runmeta.Parse(in.Run.UserProvidedMetadata[0])
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := runmeta.Verify(m, runmetatest.TestPublicKey(), runmetatest.SampleTime, runmeta.MaxClockSkew); err != nil {
		t.Errorf("Verify: %v", err)
	}
}
