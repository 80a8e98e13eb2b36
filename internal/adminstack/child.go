package adminstack

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/atmos"
)

// TFVarsFile is the name of the file, in a child's project root, that holds
// the component's vars as JSON (Terraform loads *.auto.tfvars.json).
const TFVarsFile = "spacelift.auto.tfvars.json"

// mountPrefix is where Spacelift mounts files; an environment variable whose
// name starts with it is a mounted file.
const mountPrefix = "/mnt/workspace/"

// validWorkflowTools are the values of TerraformWorkflowTool.
var validWorkflowTools = []v1alpha1.TerraformWorkflowTool{"", "TERRAFORM_FOSS", "OPEN_TOFU", "CUSTOM"}

// hookKeys maps settings.spacelift hook lists to the StackHooks fields.
var hookKeys = []struct {
	key string
	set func(*v1alpha1.StackHooks, []string)
}{
	{"before_init", func(h *v1alpha1.StackHooks, v []string) { h.BeforeInit = v }},
	{"after_init", func(h *v1alpha1.StackHooks, v []string) { h.AfterInit = v }},
	{"before_plan", func(h *v1alpha1.StackHooks, v []string) { h.BeforePlan = v }},
	{"after_plan", func(h *v1alpha1.StackHooks, v []string) { h.AfterPlan = v }},
	{"before_apply", func(h *v1alpha1.StackHooks, v []string) { h.BeforeApply = v }},
	{"after_apply", func(h *v1alpha1.StackHooks, v []string) { h.AfterApply = v }},
	{"before_destroy", func(h *v1alpha1.StackHooks, v []string) { h.BeforeDestroy = v }},
	{"after_destroy", func(h *v1alpha1.StackHooks, v []string) { h.AfterDestroy = v }},
	{"before_perform", func(h *v1alpha1.StackHooks, v []string) { h.BeforePerform = v }},
	{"after_perform", func(h *v1alpha1.StackHooks, v []string) { h.AfterPerform = v }},
	{"after_run", func(h *v1alpha1.StackHooks, v []string) { h.AfterRun = v }},
}

// AdminName is the Spacelift name of the AdminStack's administrative stack:
// spec.adminStack.name, else metadata.name. Children carry it in their
// managed-by and admin-stack labels.
func AdminName(a *v1alpha1.AdminStack) string {
	return orDefault(a.Spec.AdminStack.Name, a.Name)
}

// SpaceliftName is the Spacelift stack name of a record: a raw
// settings.spacelift.stack_name when set (as the admin-stack component passes
// it, "/" included), else the name atmos computes.
func SpaceliftName(r *atmos.Record) string {
	if sl, ok := r.Settings["spacelift"].(map[string]any); ok {
		if s, ok := sl["stack_name"].(string); ok && s != "" {
			return s
		}
	}
	return r.Name
}

// ProjectRoot is the project root of a record's stack:
// <componentRoot>/<metadata.component, else the component>.
func ProjectRoot(componentRoot string, r *atmos.Record) string {
	c := r.Component
	if mc, ok := r.Metadata["component"].(string); ok && mc != "" {
		c = mc
	}
	return path.Join(orDefault(componentRoot, defaultComponentRoot), c)
}

// childObjectMeta is the metadata every child of a shares.
func childObjectMeta(a *v1alpha1.AdminStack, name string, r *atmos.Record) metav1.ObjectMeta {
	m := metav1.ObjectMeta{
		Name:      name,
		Namespace: a.Namespace,
		Labels:    map[string]string{LabelAdminStack: LabelValue(a.Name)},
	}
	if r != nil {
		m.Annotations = map[string]string{AnnotationAtmosStack: r.Stack, AnnotationAtmosComponent: r.Component}
	}
	if a.UID != "" {
		m.OwnerReferences = []metav1.OwnerReference{{
			APIVersion:         v1alpha1.GroupVersion.String(),
			Kind:               "AdminStack",
			Name:               a.Name,
			UID:                a.UID,
			Controller:         ptr.To(true),
			BlockOwnerDeletion: ptr.To(true),
		}}
	}
	return m
}

// ChildLabels are the Spacelift labels of a child of a, in the admin-stack
// component's order and without duplicates: the record's labels, its
// vars.labels, spec.labels, managed-by:<admin>, <adminStackLabel>:<admin>,
// and for a root admin's children depends-on:<admin>.
func ChildLabels(a *v1alpha1.AdminStack, r *atmos.Record, varsLabels []string) []v1alpha1.SpaceliftLabel {
	admin := AdminName(a)
	all := slices.Concat(r.Labels, varsLabels)
	for _, l := range a.Spec.Labels {
		all = append(all, string(l))
	}
	all = append(all, "managed-by:"+admin, orDefault(a.Spec.AdminStackLabel, defaultAdminStackLabel)+":"+admin)
	if a.Spec.RootAdmin {
		all = append(all, "depends-on:"+admin)
	}
	return uniqueLabels(all)
}

func uniqueLabels(in []string) []v1alpha1.SpaceliftLabel {
	seen := make(map[string]bool, len(in))
	out := make([]v1alpha1.SpaceliftLabel, 0, len(in))
	for _, l := range in {
		if l == "" || seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, v1alpha1.SpaceliftLabel(l))
	}
	return out
}

// child is a desired child Stack with what dependency resolution needs.
type child struct {
	stack  *v1alpha1.Stack
	record *atmos.Record
	native bool
}

// childStack builds the Stack a non-root AdminStack a generates for record r.
// Problems are settings of the wrong type.
func childStack(a *v1alpha1.AdminStack, r *atmos.Record) (child, []string) {
	var problems []string
	settings := newFields(r.Settings, "settings", &problems).sub("spacelift")
	vars := newFields(r.Vars, "vars", &problems)
	d := withOverrides(withCRDDefaults(a.Spec.ChildDefaults), settings)
	varsLabels, _ := vars.strs("labels")
	root := ProjectRoot(a.Spec.ComponentRoot, r)

	spec := v1alpha1.StackSpec{
		Name:                SpaceliftName(r),
		Repository:          a.Spec.Repository,
		Provider:            a.Spec.Provider,
		Branch:              orDefault(d.Branch, defaultBranch),
		ProjectRoot:         root,
		Description:         d.Description,
		Labels:              ChildLabels(a, r, varsLabels),
		Space:               d.Space,
		WorkerPool:          d.WorkerPool,
		Autodeploy:          d.Autodeploy,
		Autoretry:           d.Autoretry,
		LocalPreviewEnabled: d.LocalPreviewEnabled,
		ProtectFromDeletion: d.ProtectFromDeletion,
		ManageState:         manageState(d),
		RunnerImage:         d.RunnerImage,
		Hooks:               hooks(settings),
		Terraform:           terraformVendor(d, r.Workspace),
		Contexts:            slices.Clone(d.Contexts),
		Policies:            slices.Concat(policies(settings), a.Spec.ChildPolicyAttachments),
		DriftDetection:      driftDetection(d),
		AWSIntegration:      d.AWSIntegration.DeepCopy(),
		Administrative:      settings.boolean("administrative", false),
		DeletionPolicy:      d.DeletionPolicy,
		Interval:            a.Spec.Interval.DeepCopy(),
		CredentialsRef:      a.Spec.CredentialsRef.DeepCopy(),
	}
	spec.Policies = uniquePolicies(spec.Policies)
	if d.Webhook != nil {
		spec.Webhooks = []v1alpha1.Webhook{*d.Webhook.DeepCopy()}
	}
	objectName := ObjectName(r.Stack, r.Component)
	spec.WriteOutputsToSecret = childOutputsSecret(d.WriteOutputsToSecret, objectName)
	env, envProblems := environment(r, root)
	spec.Environment = env
	problems = append(problems, envProblems...)
	nameProblems(r, settings)
	if msg := versionProblem(d, settings); msg != "" {
		problems = append(problems, msg)
	}
	if !slices.Contains(validWorkflowTools, d.TerraformWorkflowTool) {
		problems = append(problems, fmt.Sprintf("terraform workflow tool %q is not one of TERRAFORM_FOSS, OPEN_TOFU, CUSTOM", d.TerraformWorkflowTool))
	}
	s := &v1alpha1.Stack{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Stack"},
		ObjectMeta: childObjectMeta(a, objectName, r),
		Spec:       spec,
	}
	requestFirstRun(s, d.RunOnCreate, settings.str("commit_sha", d.CommitSHA))
	return child{stack: s, record: r, native: d.NativeStackDependencies}, problems
}

// defaultOutputsSuffix ends the name of a child's outputs Secret when
// childDefaults.writeOutputsToSecret.nameSuffix is empty.
const defaultOutputsSuffix = "outputs"

// childOutputsSecret is the writeOutputsToSecret of the child named
// objectName: its Secret (and ConfigMap) named after the child, so that
// children sharing a namespace do not share a Secret. Nil when d is nil.
func childOutputsSecret(d *v1alpha1.ChildOutputsSecret, objectName string) *v1alpha1.OutputsSecret {
	if d == nil {
		return nil
	}
	out := &v1alpha1.OutputsSecret{
		Name:    fitName(objectName+"-"+orDefault(d.NameSuffix, defaultOutputsSuffix), maxObjectName),
		Outputs: slices.Clone(d.Outputs),
	}
	if d.ConfigMapNameSuffix != "" {
		out.ConfigMap = &v1alpha1.LocalObjectReference{Name: fitName(objectName+"-"+d.ConfigMapNameSuffix, maxObjectName)}
	}
	return out
}

// requestFirstRun asks for the first tracked run of a new child when
// runOnCreate is set: of commitSHA when one is given, else of the branch head
// (through the run-requested-at annotation, which the Stack controller acts
// on once).
func requestFirstRun(s *v1alpha1.Stack, runOnCreate bool, commitSHA string) {
	if !runOnCreate {
		return
	}
	if commitSHA != "" {
		s.Spec.CommitSHA = commitSHA
		return
	}
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[v1alpha1.AnnotationRunRequestedAt] = "on-create"
}

// hooks reads the before_*/after_* command lists of settings.spacelift.
func hooks(settings fields) v1alpha1.StackHooks {
	var h v1alpha1.StackHooks
	for _, k := range hookKeys {
		if v, ok := settings.strs(k.key); ok && len(v) > 0 {
			k.set(&h, v)
		}
	}
	return h
}

// policies reads settings.spacelift.policies (a string names a Policy
// object; {name: …} or {id: …} say which explicitly) and the legacy
// policies_by_id_enabled (Spacelift policy ids).
//
// An empty mapping ({}) in either key means no policies, as in the Cloud
// Posse components: the admin-stack component falls back to the child policy
// attachments when settings.spacelift.policies is not a list (its README
// writes "policies: {}"), and the legacy component iterates over
// policies_by_id_enabled, which yields nothing for {}. A mapping with keys
// is refused: neither component attaches what it holds. The other
// list-valued settings (hooks, labels, context_attachments,
// drift_detection_schedule) get no such leniency, because Terraform fails
// to convert a mapping to the list the spacelift-stack module takes.
func policies(settings fields) []v1alpha1.PolicyReference {
	var out []v1alpha1.PolicyReference
	var list []any
	if !settings.emptyMapping("policies") {
		list, _ = settings.list("policies")
	}
	for i, item := range list {
		switch x := item.(type) {
		case string:
			out = append(out, v1alpha1.PolicyReference{Name: x})
		case map[string]any:
			f := newFields(x, fmt.Sprintf("%s.policies[%d]", settings.path, i), settings.problems)
			ref := v1alpha1.PolicyReference{Name: f.str("name", ""), ID: f.str("id", "")}
			if (ref.Name == "") == (ref.ID == "") {
				*settings.problems = append(*settings.problems, fmt.Sprintf("%s: set exactly one of name and id", f.path))
				continue
			}
			out = append(out, ref)
		default:
			settings.wrongType(fmt.Sprintf("policies[%d]", i), "a string or a mapping", item)
		}
	}
	var ids []string
	if !settings.emptyMapping("policies_by_id_enabled") {
		ids, _ = settings.strs("policies_by_id_enabled")
	}
	for _, id := range ids {
		out = append(out, v1alpha1.PolicyReference{ID: id})
	}
	return out
}

func uniquePolicies(in []v1alpha1.PolicyReference) []v1alpha1.PolicyReference {
	seen := map[v1alpha1.PolicyReference]bool{}
	var out []v1alpha1.PolicyReference
	for _, p := range in {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// environment is the environment of a record's stack: the record's env,
// ATMOS_STACK and ATMOS_COMPONENT (as the spacelift-stack module sets them),
// and the vars as a mounted tfvars file, sorted by name.
func environment(r *atmos.Record, projectRoot string) ([]v1alpha1.EnvVar, []string) {
	var problems []string
	values := map[string]string{}
	for k, v := range r.Env {
		if v == nil {
			continue
		}
		s, err := envValue(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("env.%s: %v", k, err))
			continue
		}
		values[k] = s
	}
	values["ATMOS_STACK"] = r.Stack
	values["ATMOS_COMPONENT"] = r.Component
	vars := r.Vars
	if vars == nil {
		vars = map[string]any{}
	}
	data, err := json.Marshal(vars)
	if err != nil {
		problems = append(problems, fmt.Sprintf("vars: encoding as JSON: %v", err))
	} else {
		values[mountPrefix+path.Join("source", projectRoot, TFVarsFile)] = string(data)
	}
	names := make([]string, 0, len(values))
	for k := range values {
		if !validEnvName(k) {
			problems = append(problems, fmt.Sprintf("environment variable name %q is not valid (letters, digits and _, or a path under %s, at most 255 characters)", k, mountPrefix))
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]v1alpha1.EnvVar, 0, len(names))
	for _, k := range names {
		out = append(out, v1alpha1.EnvVar{Name: k, Value: ptr.To(values[k])})
	}
	return out, problems
}

// envValue formats an env value: strings as they are, other scalars as
// YAML writes them, lists and mappings as JSON.
func envValue(v any) (string, error) {
	if s, ok := scalarString(v); ok {
		return s, nil
	}
	if b, ok := v.(bool); ok {
		return fmt.Sprint(b), nil
	}
	data, err := json.Marshal(v)
	return string(data), err
}

func validEnvName(n string) bool {
	if len(n) == 0 || len(n) > 255 {
		return false
	}
	if strings.HasPrefix(n, mountPrefix) {
		return len(n) > len(mountPrefix)
	}
	for i, c := range n {
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
