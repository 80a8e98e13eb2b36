package spacelift

import (
	"encoding/base64"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/stackwright/spacelift-operator/internal/spacelift/conformance"
)

// operatorPlaceholders maps, per top-level field, the placeholder ids that
// everyCall passes to the objects of the conformance world that make the
// request succeed: a create goes to the stack that has nothing attached yet
// (bare), an attachment, webhook, dependency, reference, binding or run id
// to the one the world generated ("@name").
var operatorPlaceholders = map[string]map[string]string{
	"stackIntegrationDriftDetectionCreate": {"s": "bare"},
	"policyAttach":                         {"s": "bare"},
	"contextAttach":                        {"s": "bare"},
	"awsIntegrationAttach":                 {"s": "bare"},
	"stackDependencyCreate":                {"s": "bare"},
	"stackRoleBindingCreate":               {"s": "bare"},
	"webhooksIntegrationCreate":            {"s": "bare"},
	"stackDelete":                          {"s": "bare"},
	"policyDetach":                         {"a": "@policyAttachment"},
	"contextDetach":                        {"a": "@contextAttachment"},
	"awsIntegrationDetach":                 {"a": "@awsAttachment"},
	"awsIntegrationAttachmentUpdate":       {"a": "@awsAttachment"},
	"webhooksIntegrationUpdate":            {"w": "@webhook"},
	"webhooksIntegrationDelete":            {"w": "@webhook"},
	"stackDependencyDelete":                {"d": "@dependency"},
	"stackDependenciesAddReference":        {"d": "@dependency"},
	"stackDependenciesDeleteReference":     {"r": "@reference"},
	"stackRoleBinding":                     {"b": "@roleBinding"},
	"stackRoleBindingDelete":               {"b": "@roleBinding"},
	"runConfirm":                           {"r": "@unconfirmedRun"},
	"runDiscard":                           {"r": "@unconfirmedRun"},
	"stack":                                {"r": "@unconfirmedRun"},
	"policyCreatev2":                       {"p": "p2"},
	// A search cursor is the base64url of the id the previous page ended at.
	"searchStacks": {"cursor": base64.RawURLEncoding.EncodeToString([]byte("bare"))},
}

func replacePlaceholders(v any, repl map[string]string) any {
	switch t := v.(type) {
	case string:
		if r, ok := repl[t]; ok {
			return r
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[k] = replacePlaceholders(val, repl)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = replacePlaceholders(val, repl)
		}
		return out
	}
	return v
}

func topLevelFields(t *testing.T, query string) []string {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil || len(doc.Operations) != 1 {
		t.Fatalf("parsing %s: %v", query, err)
	}
	var out []string
	for _, sel := range doc.Operations[0].SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			out = append(out, f.Name)
		}
	}
	return out
}

// TestOperatorDocumentsConformToTheEmulator captures every document the
// client sends (the calls of everyCall, which TestOperationsValidateAgainstSchema
// also validates) and runs each against a running emulator holding the
// conformance world: it must validate, succeed without errors and come back
// with every selected field.
func TestOperatorDocumentsConformToTheEmulator(t *testing.T) {
	seen := map[string]bool{}
	var docs []conformance.Doc
	for _, req := range sentBy(t, everyCall()) {
		if req.OperationName == "ApiKeyUser" {
			continue
		}
		key := req.Query + "\x00" + mustJSON(t, req.Variables)
		if seen[key] {
			continue
		}
		seen[key] = true
		vars := req.Variables
		for _, f := range topLevelFields(t, req.Query) {
			if repl, ok := operatorPlaceholders[f]; ok {
				vars, _ = replacePlaceholders(vars, repl).(map[string]any)
			}
		}
		docs = append(docs, conformance.Doc{Client: "operator", Name: req.OperationName, Query: req.Query, Vars: vars})
	}
	sort.SliceStable(docs, func(i, j int) bool { return docs[i].Name < docs[j].Name })
	if len(docs) < len(everyCall())/2 {
		t.Fatalf("only %d distinct documents captured", len(docs))
	}
	w := conformance.NewWorld(t)
	names := map[string]int{}
	for _, d := range docs {
		names[d.Name]++
		name := d.Name
		if n := names[d.Name]; n > 1 {
			name += "#" + strings.Repeat("I", n)
		}
		t.Run(name, func(t *testing.T) { conformance.Check(t, w, d) })
	}
}
