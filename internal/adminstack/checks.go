package adminstack

import (
	"fmt"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
	"github.com/stackwright/spacelift-operator/internal/validate"
)

// The checks here need a parser (internal/validate) and values the CRDs'
// rules cannot see, because they come from the atmos tree. Their messages
// read like the apiserver's ("<key>: Invalid value: <value>: <what to do>"),
// and Build prefixes each with the component it is about.

// nameProblems checks the Spacelift name of r's stack, and the
// settings.spacelift.stack_name_pattern it may come from, and adds a problem
// to settings for each mistake.
func nameProblems(r *atmos.Record, settings fields) {
	source := "Spacelift name (the atmos stack and component names)"
	if settings.has("stack_name_pattern") {
		p := settings.str("stack_name_pattern", "")
		if err := validate.StackNamePattern(p); err != nil {
			settings.problem("stack_name_pattern", "Invalid value: %q: %v", p, err)
		}
		source = settings.path + ".stack_name_pattern"
	}
	if name, ok := settings.m["stack_name"].(string); ok && name != "" {
		source = settings.path + ".stack_name"
	}
	name := SpaceliftName(r)
	if err := validate.SpaceliftName(name); err != nil {
		*settings.problems = append(*settings.problems, fmt.Sprintf("%s: Invalid value: %q: %v", source, name, err))
	}
}

// versionProblem checks the Terraform version a child with defaults d (the
// AdminStack's, overridden by settings) runs, after terraformVersionMap. It
// reports only versions that settings chose, through terraform_version or
// terraform_version_map; defaultVersionProblem reports the AdminStack's own
// once. It returns "" when the version is fine.
func versionProblem(d v1alpha1.ChildStackDefaults, settings fields) string {
	if !settings.has("terraform_version") && !settings.has("terraform_version_map") {
		return ""
	}
	key := "spec.childDefaults.terraformVersion"
	if settings.has("terraform_version") {
		key = settings.path + ".terraform_version"
	}
	return checkVersion(key, d)
}

// defaultVersionProblem checks the Terraform version the AdminStack's
// defaults give its administrative stack and every child whose settings do
// not choose one; it returns "" when the version is fine.
func defaultVersionProblem(a *v1alpha1.AdminStack) string {
	return checkVersion("spec.childDefaults.terraformVersion", withCRDDefaults(a.Spec.ChildDefaults))
}

// checkVersion checks terraformVersion(d), which key set.
func checkVersion(key string, d v1alpha1.ChildStackDefaults) string {
	v := terraformVersion(d)
	if v == "" {
		return ""
	}
	err := validate.ToolVersion(v)
	if err == nil {
		return ""
	}
	if _, mapped := d.TerraformVersionMap[d.TerraformVersion]; mapped {
		return fmt.Sprintf("%s: Invalid value: %q: its terraformVersionMap entry %v", key, d.TerraformVersion, err)
	}
	return fmt.Sprintf("%s: Invalid value: %q: it is not a key of terraformVersionMap, so it is used as the version, and %v; "+
		"write a version, or add the key to spec.childDefaults.terraformVersionMap or settings.spacelift.terraform_version_map",
		key, d.TerraformVersion, err)
}
