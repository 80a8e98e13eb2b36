// Package crdschema validates objects against CustomResourceDefinition
// schemas without an API server, with the libraries the API server uses for
// a create: structural defaulting, the OpenAPI schema, the list-type
// invariants and the CEL rules (x-kubernetes-validations).
//
// It stands in for a server-side dry-run where a whole set of objects must
// be known valid before the first is written. The server still validates
// every write; a difference between the two (a CRD installed at another
// version than the one embedded) shows as a rejected write.
package crdschema

import (
	"context"
	"fmt"
	"io/fs"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// Validator validates objects of the kinds whose CRDs it was built from.
// It is safe for concurrent use.
type Validator struct {
	kinds map[schema.GroupVersionKind]*kindSchema
}

// kindSchema is what validating one served version of a CRD needs.
type kindSchema struct {
	namespaced bool
	structural *structuralschema.Structural
	openAPI    apiservervalidation.SchemaValidator
	// rules is nil when the schema has no x-kubernetes-validations.
	rules *cel.Validator
}

// FromFS builds a Validator from every *.yaml file of fsys, each holding one
// CustomResourceDefinition.
func FromFS(fsys fs.FS) (*Validator, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("listing CRD files: %w", err)
	}
	v := &Validator{kinds: map[schema.GroupVersionKind]*kindSchema{}}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		if err := v.add(data); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return v, nil
}

// add compiles the schemas of every served version of one CRD.
func (v *Validator) add(data []byte) error {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		return fmt.Errorf("decoding the CustomResourceDefinition: %w", err)
	}
	for _, ver := range crd.Spec.Versions {
		if !ver.Served || ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
			continue
		}
		var props apiextensions.JSONSchemaProps
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(ver.Schema.OpenAPIV3Schema, &props, nil); err != nil {
			return fmt.Errorf("converting the schema of %s: %w", ver.Name, err)
		}
		structural, err := structuralschema.NewStructural(&props)
		if err != nil {
			return fmt.Errorf("the schema of %s is not structural: %w", ver.Name, err)
		}
		openAPI, _, err := apiservervalidation.NewSchemaValidator(&props)
		if err != nil {
			return fmt.Errorf("compiling the schema of %s: %w", ver.Name, err)
		}
		ks := &kindSchema{
			namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
			structural: structural,
			openAPI:    openAPI,
			rules:      cel.NewValidator(structural, true, celconfig.PerCallLimit),
		}
		v.kinds[schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind}] = ks
	}
	return nil
}

// Validate checks obj as the API server checks a create of it: its
// metadata, then, after the schema's defaults are applied to a copy, the
// OpenAPI schema, the list-type invariants and the CEL rules. obj must carry
// its apiVersion and kind; a kind the Validator does not know is an error.
func (v *Validator) Validate(ctx context.Context, obj runtime.Object) (field.ErrorList, error) {
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting the object: %w", err)
	}
	u := &unstructured.Unstructured{Object: content}
	ks, ok := v.kinds[u.GroupVersionKind()]
	if !ok {
		return nil, fmt.Errorf("no schema for %s", u.GroupVersionKind())
	}
	structuraldefaulting.Default(u.Object, ks.structural)

	var errs field.ErrorList
	errs = append(errs, validation.ValidateObjectMetaAccessor(u, ks.namespaced, validation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u.Object, ks.openAPI)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, ks.structural, u.Object)...)
	if ks.rules != nil {
		if blocking(errs) {
			errs = append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
		} else {
			ruleErrs, _ := ks.rules.Validate(ctx, nil, ks.structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
			errs = append(errs, ruleErrs...)
		}
	}
	return errs, nil
}

// blocking reports whether errs hold an error after which the API server
// does not run the CEL rules: a value missing, of the wrong type, not one
// of an enum's, or too long or too many for the rules' cost estimates.
func blocking(errs field.ErrorList) bool {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
