package validate

import (
	"fmt"
	"regexp"
)

// toolVersionRE is the shape of a tool version or version constraint, the
// same as the CEL rule of the ToolVersion fields in api/v1alpha1.
var toolVersionRE = regexp.MustCompile(`^ *(=|!=|>|>=|<|<=|~>)? *v?[0-9]+([.][0-9]+){0,2}(-[-.0-9A-Za-z]+)? *(, *(=|!=|>|>=|<|<=|~>)? *v?[0-9]+([.][0-9]+){0,2}(-[-.0-9A-Za-z]+)? *)*$`)

// ToolVersion checks that v is a version such as "1.5.7" or a version
// constraint such as "~> 1.5.0" or ">= 1.4, < 2.0". The CRDs check this at
// admission wherever a CEL rule can; this is for the values CEL cannot reach
// (the values of spec.childDefaults.terraformVersionMap) and for versions read
// from atmos settings.
func ToolVersion(v string) error {
	if len(v) > 64 {
		return fmt.Errorf("is %d characters long, more than the 64 a version may have", len(v))
	}
	if !toolVersionRE.MatchString(v) {
		return fmt.Errorf("%q is not a version such as 1.5.7 or a version constraint such as ~> 1.5.0 or >= 1.4, < 2.0", v)
	}
	return nil
}
