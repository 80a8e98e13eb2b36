package adminstack

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestObjectName(t *testing.T) {
	long := strings.Repeat("s", 300)
	for _, tc := range []struct {
		name, stack, component, want string
	}{
		{"plain", "plat-ue2-dev", "vpc", "plat-ue2-dev-vpc"},
		{"slash in component is atmos's own replacement", "plat-ue2-dev", "eks/cluster", "plat-ue2-dev-eks-cluster"},
		{"uppercase gets a hash", "Plat-UE2", "vpc", "plat-ue2-vpc-" + hash8("Plat-UE2-vpc")},
		{"underscore and dot get a hash", "core_gbl", "a.b", "core-gbl-a-b-" + hash8("core_gbl-a.b")},
		{"leading dash is trimmed", "-x", "y", "x-y-" + hash8("-x-y")},
		{"nothing valid left", "__", "", "x-" + hash8("__-")},
		{"too long is cut and hashed", long, "vpc", long[:244] + "-" + hash8(long+"-vpc")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ObjectName(tc.stack, tc.component)
			if got != tc.want {
				t.Errorf("ObjectName(%q, %q) = %q, want %q", tc.stack, tc.component, got, tc.want)
			}
			if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
				t.Errorf("%q is not a DNS-1123 subdomain: %v", got, errs)
			}
		})
	}
	if ObjectName("a-b", "c") != ObjectName("a", "b/c") {
		t.Error("names that atmos would also give the same Spacelift name differ")
	}
	if ObjectName("A", "b") == ObjectName("a", "b") {
		t.Error("keys that differ only in case share a name")
	}
}

func TestLabelValueAndAdminObjectName(t *testing.T) {
	if got := LabelValue("plat-admin"); got != "plat-admin" {
		t.Errorf("LabelValue = %q", got)
	}
	long := strings.Repeat("a", 70)
	got := LabelValue(long)
	if len(got) > 63 || len(validation.IsValidLabelValue(got)) > 0 || got != long[:54]+"-"+hash8(long) {
		t.Errorf("LabelValue(70 chars) = %q, want a valid 63-character value ending in the hash", got)
	}
	if got := AdminObjectName("plat"); got != "plat-admin" {
		t.Errorf("AdminObjectName = %q", got)
	}
}

func hash8(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])[:hashLen]
}
