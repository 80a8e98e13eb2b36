package faultsuite

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// testNoSecretLeaks scans everything the operator wrote during the suite
// (its logs up to V(7), the Events, and the Stack, AdminStack,
// Policy and ConfigMap objects, status included) and the emulator's logs for
// the secret values it handled: both API key secrets, every JWT the emulator
// minted for it, the run signing key and the webhook secret.
func (s *suite) testNoSecretLeaks(t *testing.T) {
	secrets := map[string]string{}
	for i, v := range s.keySecrets {
		secrets[fmt.Sprintf("API key secret %d", i+1)] = v
	}
	tokens := s.front.Tokens()
	if len(tokens) == 0 {
		t.Error("no JWT was captured: the scan would not cover tokens")
	}
	for i, tok := range tokens {
		secrets[fmt.Sprintf("JWT %d", i+1)] = tok
		// The signature alone is as secret as the token, and survives
		// truncation of the header and claims.
		secrets[fmt.Sprintf("JWT %d signature", i+1)] = tok[strings.LastIndex(tok, ".")+1:]
	}
	secrets["run signing key (PEM)"] = string(s.signingPEM)
	for i, line := range strings.Split(string(s.signingPEM), "\n") {
		if line != "" && !strings.HasPrefix(line, "-----") {
			secrets[fmt.Sprintf("run signing key PEM line %d", i)] = line
		}
	}
	secrets["webhook secret"] = s.webhookSecret
	encoded := map[string]string{}
	for name, v := range secrets {
		if len(v) < 16 {
			t.Fatalf("%s is too short (%d bytes) to scan for without false matches", name, len(v))
		}
		// Secret data and JSON []byte fields are base64: look for the
		// encoding of the value too (its whole 3-byte groups, so that
		// padding and what follows do not matter).
		encoded[name+" (base64)"] = base64.StdEncoding.EncodeToString([]byte(v[:len(v)/3*3]))
	}
	maps.Copy(secrets, encoded)

	// The operator's logs must be there, debug lines included, for the scan
	// to mean anything.
	opLogs := logs.String()
	if path := os.Getenv("FAULTSUITE_LOG_FILE"); path != "" {
		// For a person looking into a failure; never set in CI.
		if err := os.WriteFile(path, []byte(opLogs), 0o600); err != nil {
			t.Errorf("writing %s: %v", path, err)
		}
	}
	for _, want := range []string{`"msg":"Starting workers"`, "retrying"} {
		if !strings.Contains(opLogs, want) {
			t.Errorf("the captured operator logs lack %q (%d bytes): the log capture is broken", want, len(opLogs))
		}
	}

	haystacks := map[string]string{
		"operator logs": opLogs,
		"emulator logs": s.emuLogs.String(),
	}
	ctx := context.Background()
	var events corev1.EventList
	if err := k8s.List(ctx, &events); err != nil {
		t.Fatal(err)
	}
	if len(events.Items) == 0 {
		t.Error("no Events were recorded: the scan would not cover them")
	}
	for _, e := range events.Items {
		haystacks[fmt.Sprintf("Event %s/%s", e.Namespace, e.Name)] = mustJSON(t, e)
	}
	var stacks spaceliftv1alpha1.StackList
	var admins spaceliftv1alpha1.AdminStackList
	var policies spaceliftv1alpha1.PolicyList
	var configMaps corev1.ConfigMapList
	for _, l := range []client.ObjectList{&stacks, &admins, &policies, &configMaps} {
		if err := k8s.List(ctx, l, client.InNamespace(namespace)); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range stacks.Items {
		haystacks["Stack "+o.Name] = mustJSON(t, o)
	}
	for _, o := range admins.Items {
		haystacks["AdminStack "+o.Name] = mustJSON(t, o)
	}
	for _, o := range policies.Items {
		haystacks["Policy "+o.Name] = mustJSON(t, o)
	}
	for _, o := range configMaps.Items {
		haystacks["ConfigMap "+o.Name] = mustJSON(t, o)
	}

	leaks := 0
	for where, text := range haystacks {
		for name, v := range secrets {
			if strings.Contains(text, v) {
				leaks++
				t.Errorf("%s appears in %s", name, where)
			}
		}
	}
	t.Logf("scanned %d secret values in %d places (%d bytes of operator logs, %d Events, %d Stacks): %d leaks",
		len(secrets), len(haystacks), len(opLogs), len(events.Items), len(stacks.Items), leaks)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
