package adminstack

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// LabelAdminStack is the Kubernetes label on every object an AdminStack
// writes; its value is LabelValue of the AdminStack's name.
const LabelAdminStack = "spacelift.stackwright.io/admin-stack"

// AnnotationAppliedHash holds a digest of the object as the AdminStack
// controller last applied it, so that unchanged children are not re-applied
// on every reconcile.
const AnnotationAppliedHash = "spacelift.stackwright.io/applied-hash"

// AnnotationAtmosStack and AnnotationAtmosComponent record the atmos stack and
// component a child was generated from; the object name derives from them.
const (
	AnnotationAtmosStack     = "spacelift.stackwright.io/atmos-stack"
	AnnotationAtmosComponent = "spacelift.stackwright.io/atmos-component"
)

// maxObjectName is the longest name a namespaced custom object may have
// (a DNS-1123 subdomain).
const maxObjectName = 253

// maxLabelValue is the longest Kubernetes label value.
const maxLabelValue = 63

// hashLen is how many hex digits of a SHA-256 a shortened or sanitized name
// ends with.
const hashLen = 8

// ObjectName returns the Kubernetes name of the child generated from the
// given atmos stack and component: "<stack>-<component>" with "/" as "-"
// (atmos's own default Spacelift name), lowercased, every character other
// than a-z, 0-9 and "-" replaced by "-", and at most 253 characters. When
// anything but the "/" replacement changed the name, or it had to be
// shortened, it ends with "-" and a hash of the unmodified key, so that two
// keys that sanitize alike still get different names.
//
// The name does not depend on the Spacelift stack name, so renaming a stack
// (settings.spacelift.stack_name) updates the existing child in place.
func ObjectName(stack, component string) string {
	return fitName(stack+"-"+strings.ReplaceAll(component, "/", "-"), maxObjectName)
}

// AdminObjectName returns the name of the Stack object that represents the
// administrative Spacelift stack of the AdminStack named adminStack.
func AdminObjectName(adminStack string) string {
	return fitName(adminStack+"-admin", maxObjectName)
}

// LabelValue returns name when it is a valid label value length, else a
// shortened form ending in a hash of name.
func LabelValue(name string) string {
	return fitName(name, maxLabelValue)
}

// fitName sanitizes key into a DNS-1123 name of at most max characters.
func fitName(key string, max int) string {
	var b strings.Builder
	b.Grow(len(key))
	for _, r := range strings.ToLower(key) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == key && len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(key))
	suffix := hex.EncodeToString(sum[:])[:hashLen]
	if keep := max - hashLen - 1; len(name) > keep {
		name = strings.TrimRight(name[:keep], "-")
	}
	if name == "" {
		return "x-" + suffix
	}
	return name + "-" + suffix
}
