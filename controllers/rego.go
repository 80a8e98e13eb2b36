package controllers

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// checkRego parses and compiles a policy body in the Rego dialect of engine.
// The error lists each problem with its line and column.
func checkRego(name, body string, engine spaceliftv1alpha1.PolicyEngineType) error {
	version := ast.RegoV1
	if engine == spaceliftv1alpha1.PolicyEngineRegoV0 {
		version = ast.RegoV0
	}
	if strings.TrimSpace(body) == "" {
		return errors.New("policy body is empty: it needs at least a package declaration")
	}
	file := name + ".rego"
	module, err := ast.ParseModuleWithOpts(file, body, ast.ParserOptions{RegoVersion: version})
	if err != nil {
		return regoError(err)
	}
	compiler := ast.NewCompiler().WithDefaultRegoVersion(version)
	compiler.Compile(map[string]*ast.Module{file: module})
	if compiler.Failed() {
		return regoError(compiler.Errors)
	}
	return nil
}

// regoError renders OPA errors as "line L, column C: message" in source order.
func regoError(err error) error {
	var errs ast.Errors
	if !errors.As(err, &errs) {
		return err
	}
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i].Location, errs[j].Location
		if a == nil || b == nil {
			return b == nil && a != nil
		}
		return a.Row < b.Row || a.Row == b.Row && a.Col < b.Col
	})
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		if e.Location != nil {
			msgs = append(msgs, fmt.Sprintf("line %d, column %d: %s", e.Location.Row, e.Location.Col, e.Message))
		} else {
			msgs = append(msgs, e.Message)
		}
	}
	return errors.New(strings.Join(msgs, "; "))
}
