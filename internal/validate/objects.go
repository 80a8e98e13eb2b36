package validate

import (
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
)

// Stack returns what is wrong with a Stack that admission could not see: a
// Spacelift name without an id (spec.name, or metadata.name when it is
// empty), a drift-detection schedule that does not parse or never fires, a
// time zone not in the tz database, and a dependency on the stack's own
// Spacelift id (a stackRef to itself is refused at admission).
func Stack(s *v1alpha1.Stack) field.ErrorList {
	spec := field.NewPath("spec")
	name, namePath := s.Spec.Name, spec.Child("name")
	if name == "" {
		name, namePath = s.Name, field.NewPath("metadata", "name")
	}
	var errs field.ErrorList
	if err := SpaceliftName(name); err != nil {
		errs = append(errs, field.Invalid(namePath, name, err.Error()))
	}
	errs = append(errs, DriftDetection(spec.Child("driftDetection"), s.Spec.DriftDetection)...)

	own := ownIDs(s, name)
	for i, d := range s.Spec.Dependencies {
		if d.StackID != "" && slices.Contains(own, d.StackID) {
			errs = append(errs, field.Invalid(spec.Child("dependencies").Index(i).Child("stackID"), d.StackID,
				"is this stack's own Spacelift id, and a stack cannot depend on itself: remove this dependency"))
		}
	}
	return errs
}

// ownIDs lists the Spacelift ids a Stack is or will be known by: the id
// recorded on the object, and the one Spacelift derives from its name.
func ownIDs(s *v1alpha1.Stack, name string) []string {
	ids := []string{Slug(name)}
	for _, id := range []string{s.Annotations[v1alpha1.AnnotationSpaceliftID], s.Status.SpaceliftID} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// Policy returns what is wrong with a Policy that admission could not see: a
// Spacelift name without an id (spec.name, or metadata.name when it is empty).
func Policy(p *v1alpha1.Policy) field.ErrorList {
	name, namePath := p.Spec.Name, field.NewPath("spec", "name")
	if name == "" {
		name, namePath = p.Name, field.NewPath("metadata", "name")
	}
	if err := SpaceliftName(name); err != nil {
		return field.ErrorList{field.Invalid(namePath, name, err.Error())}
	}
	return nil
}

// AdminStack returns what is wrong with an AdminStack that admission could
// not see: an admin stack name without a Spacelift id, the children's
// drift-detection schedules and time zone, and terraformVersionMap values
// that are not versions (CEL cannot check map values of unbounded length
// within the apiserver's cost budget). spec.atmos.namePattern is checked at
// admission; call AtmosNamePattern for the name_pattern of atmos.yaml.
func AdminStack(a *v1alpha1.AdminStack) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	name, namePath := a.Spec.AdminStack.Name, spec.Child("adminStack", "name")
	if name == "" {
		name, namePath = a.Name, field.NewPath("metadata", "name")
	}
	if err := SpaceliftName(name); err != nil {
		errs = append(errs, field.Invalid(namePath, name, err.Error()))
	}
	defaults := spec.Child("childDefaults")
	errs = append(errs, DriftDetection(defaults.Child("driftDetection"), a.Spec.ChildDefaults.DriftDetection)...)
	versions := a.Spec.ChildDefaults.TerraformVersionMap
	keys := make([]string, 0, len(versions))
	for k := range versions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := ToolVersion(versions[k]); err != nil {
			errs = append(errs, field.Invalid(defaults.Child("terraformVersionMap").Key(k), versions[k], err.Error()))
		}
	}
	return errs
}

// DriftDetection checks the schedules and time zone of a drift-detection
// block at path; nil is fine. Admission already checked the shape of each
// schedule (five fields, allowed characters) and of the time zone.
func DriftDetection(path *field.Path, d *v1alpha1.DriftDetection) field.ErrorList {
	if d == nil {
		return nil
	}
	var errs field.ErrorList
	for i, expr := range d.Schedule {
		if err := CronSchedule(string(expr)); err != nil {
			errs = append(errs, field.Invalid(path.Child("schedule").Index(i), expr, err.Error()))
		}
	}
	// An empty time zone is defaulted to UTC at admission; one that is still
	// empty here comes from a client that skipped defaulting and means UTC.
	if d.Timezone != "" {
		if err := TimeZone(d.Timezone); err != nil {
			errs = append(errs, field.Invalid(path.Child("timezone"), d.Timezone, err.Error()))
		}
	}
	return errs
}
