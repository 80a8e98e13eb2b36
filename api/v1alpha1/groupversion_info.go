// Package v1alpha1 contains the v1alpha1 API of the spacelift.stackwright.io group:
// Stack, Policy and AdminStack.
// +kubebuilder:object:generate=true
// +groupName=spacelift.stackwright.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version used to register these objects.
	GroupVersion = schema.GroupVersion{Group: "spacelift.stackwright.io", Version: "v1alpha1"}

	// SchemeBuilder registers the Go types of this group version with a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this group version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
