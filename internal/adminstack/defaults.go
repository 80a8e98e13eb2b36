package adminstack

import (
	"fmt"
	"slices"

	"k8s.io/utils/ptr"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/validate"
)

// Fallbacks for settings that neither the component nor the AdminStack sets;
// they match the defaults of the AdminStack CRD, so that an AdminStack read
// from a file (the render command) yields what the cluster would.
const (
	defaultBranch          = "main"
	defaultComponentRoot   = "components/terraform"
	defaultAdminStackLabel = "admin-stack-name"
)

// defaultWorkflowTool is the terraformWorkflowTool default of the AdminStack
// CRD and the terraform_workflow_tool default of Cloud Posse's
// spacelift-stack module.
const defaultWorkflowTool v1alpha1.TerraformWorkflowTool = "TERRAFORM_FOSS"

// withCRDDefaults returns d with the defaults of the AdminStack CRD's
// childDefaults fields filled in: branch main, manageState false,
// terraformWorkflowTool TERRAFORM_FOSS, space root and deletionPolicy
// Delete. The apiserver applies them only when spec.childDefaults is
// present, so an AdminStack written without it would otherwise give its
// children zero values; in particular its Stacks would carry an empty
// terraform block, which the controller's apply drops as an empty mapping,
// and the Stack CRD then refuses them with "exactly one vendor block must be
// set". With these defaults an AdminStack without childDefaults builds the
// same children as one with "childDefaults: {}".
func withCRDDefaults(d v1alpha1.ChildStackDefaults) v1alpha1.ChildStackDefaults {
	d = *d.DeepCopy()
	d.Branch = orDefault(d.Branch, defaultBranch)
	if d.ManageState == nil {
		d.ManageState = ptr.To(false)
	}
	if d.TerraformWorkflowTool == "" {
		d.TerraformWorkflowTool = defaultWorkflowTool
	}
	d.Space = orDefault(d.Space, RootSpace)
	if d.DeletionPolicy == "" {
		d.DeletionPolicy = v1alpha1.DeletionPolicyDelete
	}
	return d
}

// defaultDriftSchedule is used when drift detection is enabled without a
// schedule; it is the drift_detection_schedule default of Cloud Posse's
// spacelift-stack module.
var defaultDriftSchedule = []v1alpha1.CronSchedule{"0 4 * * *"}

// withOverrides returns d with every setting that s sets replacing the
// default. s is a settings.spacelift section of a component, or the vars of
// an admin-stack component (whose variables have the same names).
//
// worker_pool_id / worker_pool_name and space_id / space_name are kept as
// written (an id wins over a name); Build records each as a NameRef, and
// ResolveNames turns names into ids before anything is applied.
func withOverrides(d v1alpha1.ChildStackDefaults, s fields) v1alpha1.ChildStackDefaults {
	d = *d.DeepCopy()
	d.Autodeploy = s.boolean("autodeploy", d.Autodeploy)
	d.Autoretry = s.boolean("autoretry", d.Autoretry)
	d.Branch = s.str("branch", d.Branch)
	d.Description = s.str("description", d.Description)
	if b := s.optBool("manage_state"); b != nil {
		d.ManageState = b
	}
	d.ProtectFromDeletion = s.boolean("protect_from_deletion", d.ProtectFromDeletion)
	d.RunnerImage = s.str("runner_image", d.RunnerImage)
	d.LocalPreviewEnabled = s.boolean("local_preview_enabled", d.LocalPreviewEnabled)
	d.TerraformVersion = s.str("terraform_version", d.TerraformVersion)
	if m, ok := s.stringMap("terraform_version_map"); ok {
		merged := make(map[string]string, len(d.TerraformVersionMap)+len(m))
		for k, v := range d.TerraformVersionMap {
			merged[k] = v
		}
		for k, v := range m {
			merged[k] = v
		}
		d.TerraformVersionMap = merged
	}
	d.TerraformWorkflowTool = v1alpha1.TerraformWorkflowTool(s.str("terraform_workflow_tool", string(d.TerraformWorkflowTool)))
	d.TerraformSmartSanitization = s.boolean("terraform_smart_sanitization", d.TerraformSmartSanitization)
	d.DriftDetection = driftOverrides(d.DriftDetection, s)
	d.WorkerPool = s.str("worker_pool_id", s.str("worker_pool_name", d.WorkerPool))
	d.Space = s.str("space_id", s.str("space_name", d.Space))
	if ids, ok := s.strs("context_attachments"); ok {
		d.Contexts = nil
		for i, id := range ids {
			d.Contexts = append(d.Contexts, v1alpha1.ContextAttachment{ID: id, Priority: int32(i)})
		}
	}
	if b := s.optBool("stack_destructor_enabled"); b != nil {
		switch {
		case *b:
			d.DeletionPolicy = v1alpha1.DeletionPolicyDestroy
		case d.DeletionPolicy == v1alpha1.DeletionPolicyDestroy:
			d.DeletionPolicy = v1alpha1.DeletionPolicyDelete
		}
	}
	if s.has("webhook_endpoint") || s.has("webhook_enabled") {
		w := v1alpha1.Webhook{Enabled: true}
		if d.Webhook != nil {
			w = *d.Webhook
		}
		w.Endpoint = s.str("webhook_endpoint", w.Endpoint)
		w.Enabled = s.boolean("webhook_enabled", w.Enabled)
		d.Webhook = &w
	}
	if s.has("spacelift_stack_dependency_enabled") {
		d.NativeStackDependencies = s.boolean("spacelift_stack_dependency_enabled", d.NativeStackDependencies)
	}
	return d
}

// driftOverrides applies the drift_detection_* settings to dd. Schedules
// that do not parse or never fire and time zones not in the tz database are
// problems: the CRD's rules check only their shape.
func driftOverrides(dd *v1alpha1.DriftDetection, s fields) *v1alpha1.DriftDetection {
	keys := []string{"drift_detection_enabled", "drift_detection_schedule", "drift_detection_reconcile", "drift_detection_timezone"}
	if !slices.ContainsFunc(keys, s.has) {
		return dd
	}
	out := &v1alpha1.DriftDetection{}
	if dd != nil {
		out = dd.DeepCopy()
	}
	out.Enabled = s.boolean("drift_detection_enabled", out.Enabled)
	if sched, ok := s.strs("drift_detection_schedule"); ok {
		out.Schedule = nil
		for i, c := range sched {
			if err := validate.CronSchedule(c); err != nil {
				s.problem(fmt.Sprintf("drift_detection_schedule[%d]", i), "Invalid value: %q: %v", c, err)
			}
			out.Schedule = append(out.Schedule, v1alpha1.CronSchedule(c))
		}
	}
	out.Reconcile = s.boolean("drift_detection_reconcile", out.Reconcile)
	if s.has("drift_detection_timezone") {
		// An empty value counts as unset.
		if tz := s.str("drift_detection_timezone", ""); tz != "" {
			if err := validate.TimeZone(tz); err != nil {
				s.problem("drift_detection_timezone", "Invalid value: %q: %v", tz, err)
			}
			out.Timezone = tz
		}
	}
	return out
}

// driftDetection is the drift detection of a stack with defaults d: nil when
// disabled, with the default schedule when enabled without one.
func driftDetection(d v1alpha1.ChildStackDefaults) *v1alpha1.DriftDetection {
	if d.DriftDetection == nil || !d.DriftDetection.Enabled {
		return nil
	}
	dd := d.DriftDetection.DeepCopy()
	if len(dd.Schedule) == 0 {
		dd.Schedule = slices.Clone(defaultDriftSchedule)
	}
	return dd
}

// terraformVersion maps v through the version map; a value that is not a
// key of the map is used as it is (a version or constraint).
func terraformVersion(d v1alpha1.ChildStackDefaults) string {
	if mapped, ok := d.TerraformVersionMap[d.TerraformVersion]; ok {
		return mapped
	}
	return d.TerraformVersion
}

// terraformVendor is the terraform block of a stack with defaults d. It is
// never empty: the workflow tool defaults to TERRAFORM_FOSS.
func terraformVendor(d v1alpha1.ChildStackDefaults, workspace string) *v1alpha1.TerraformVendor {
	tool := d.TerraformWorkflowTool
	if tool == "" {
		// Also for terraform_workflow_tool: "" in settings.spacelift: an
		// empty block would be dropped (see withCRDDefaults).
		tool = defaultWorkflowTool
	}
	return &v1alpha1.TerraformVendor{
		Version:           terraformVersion(d),
		WorkflowTool:      tool,
		Workspace:         workspace,
		SmartSanitization: d.TerraformSmartSanitization,
	}
}

// manageState is d's manageState with the CRD default (false) applied.
func manageState(d v1alpha1.ChildStackDefaults) *bool {
	return ptr.To(ptr.Deref(d.ManageState, false))
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
