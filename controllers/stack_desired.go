package controllers

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// mountPrefix marks an environment entry that Spacelift mounts as a file.
const mountPrefix = "/mnt/workspace/"

// stackName is the Spacelift name of a Stack object.
func stackName(s *spaceliftv1alpha1.Stack) string {
	if s.Spec.Name != "" {
		return s.Spec.Name
	}
	return s.Name
}

// slug derives a Spacelift id from a name the way Spacelift does: lower-case
// letters and digits, other runs of characters replaced by one dash.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// ownerLabel is the Spacelift label that marks a stack or policy as managed
// by the Kubernetes object namespace/name.
func ownerLabel(namespace, name string) string {
	return spaceliftv1alpha1.LabelOwnership + namespace + "/" + name
}

// desiredStackInput is the StackInput that makes the Spacelift stack match
// the spec. Labels are sorted and carry the ownership label.
func desiredStackInput(s *spaceliftv1alpha1.Stack) spacelift.StackInput {
	spec := &s.Spec
	in := spacelift.StackInput{
		Name:                   stackName(s),
		Repository:             spec.Repository,
		Branch:                 spec.Branch,
		Autodeploy:             spec.Autodeploy,
		Autoretry:              spec.Autoretry,
		Description:            optString(spec.Description),
		Labels:                 desiredLabels(spec.Labels, ownerLabel(s.Namespace, s.Name)),
		Space:                  optString(orDefault(spec.Space, "root")),
		RepositoryURL:          optString(spec.RepositoryURL),
		ProjectRoot:            optString(spec.ProjectRoot),
		AdditionalProjectGlobs: sortedCopy(spec.AdditionalProjectGlobs),
		RunnerImage:            optString(spec.RunnerImage),
		WorkerPool:             optString(spec.WorkerPool),
		VCSIntegrationID:       optString(spec.VCSIntegrationID),
		LocalPreviewEnabled:    spec.LocalPreviewEnabled,
		ProtectFromDeletion:    spec.ProtectFromDeletion,
		VendorConfig:           desiredVendor(spec),

		AfterApply:    spec.Hooks.AfterApply,
		AfterDestroy:  spec.Hooks.AfterDestroy,
		AfterInit:     spec.Hooks.AfterInit,
		AfterPerform:  spec.Hooks.AfterPerform,
		AfterPlan:     spec.Hooks.AfterPlan,
		AfterRun:      spec.Hooks.AfterRun,
		BeforeApply:   spec.Hooks.BeforeApply,
		BeforeDestroy: spec.Hooks.BeforeDestroy,
		BeforeInit:    spec.Hooks.BeforeInit,
		BeforePerform: spec.Hooks.BeforePerform,
		BeforePlan:    spec.Hooks.BeforePlan,
	}
	provider := spacelift.VCSProvider(orDefault(string(spec.Provider), "GITHUB"))
	in.Provider = &provider
	return in
}

// desiredVendor turns the spec's vendor block into Spacelift's vendor config.
func desiredVendor(spec *spaceliftv1alpha1.StackSpec) *spacelift.VendorConfigInput {
	v := &spacelift.VendorConfigInput{}
	switch {
	case spec.Terraform != nil:
		t := spec.Terraform
		tool := spacelift.TerraformWorkflowTool(orDefault(string(t.WorkflowTool), "TERRAFORM_FOSS"))
		v.Terraform = &spacelift.TerraformInput{
			Version:                    optString(t.Version),
			WorkflowTool:               &tool,
			Workspace:                  optString(t.Workspace),
			UseSmartSanitization:       &t.SmartSanitization,
			ExternalStateAccessEnabled: &t.ExternalStateAccess,
		}
	case spec.OpenTofu != nil:
		t := spec.OpenTofu
		v.OpenTofu = &spacelift.OpenTofuInput{
			Version:                    optString(t.Version),
			Workspace:                  optString(t.Workspace),
			UseSmartSanitization:       &t.SmartSanitization,
			ExternalStateAccessEnabled: &t.ExternalStateAccess,
		}
	case spec.Terragrunt != nil:
		t := spec.Terragrunt
		v.Terragrunt = &spacelift.TerragruntInput{
			TerraformVersion:     optString(t.TerraformVersion),
			TerragruntVersion:    optString(t.TerragruntVersion),
			UseRunAll:            t.UseRunAll,
			UseSmartSanitization: t.SmartSanitization,
			Tool:                 optString(orDefault(t.Tool, "TERRAFORM_FOSS")),
		}
	case spec.Pulumi != nil:
		v.Pulumi = &spacelift.PulumiInput{LoginURL: spec.Pulumi.LoginURL, StackName: spec.Pulumi.StackName}
	case spec.CloudFormation != nil:
		c := spec.CloudFormation
		v.CloudFormation = &spacelift.CloudFormationInput{EntryTemplateFile: c.EntryTemplateFile, Region: c.Region, StackName: c.StackName, TemplateBucket: c.TemplateBucket}
	case spec.Kubernetes != nil:
		v.Kubernetes = &spacelift.KubernetesInput{Namespace: spec.Kubernetes.Namespace, KubectlVersion: optString(spec.Kubernetes.KubectlVersion)}
	case spec.Ansible != nil:
		v.Ansible = &spacelift.AnsibleInput{Playbook: spec.Ansible.Playbook}
	default:
		return nil
	}
	return v
}

// desiredLabels is the sorted, de-duplicated union of the spec's labels and
// the ownership label.
func desiredLabels(labels []spaceliftv1alpha1.SpaceliftLabel, owner string) []string {
	out := make([]string, 0, len(labels)+1)
	for _, l := range labels {
		out = append(out, string(l))
	}
	out = append(out, owner)
	sort.Strings(out)
	return slices.Compact(out)
}

// stackDiff lists, in a stable order, the fields in which the observed stack
// differs from the desired input. An empty result means up to date.
func stackDiff(want spacelift.StackInput, got *spacelift.Stack) []string {
	var d []string
	cmp := func(field string, w, g any) {
		if fmt.Sprint(w) != fmt.Sprint(g) {
			d = append(d, fmt.Sprintf("%s: %v -> %v", field, g, w))
		}
	}
	cmp("name", want.Name, got.Name)
	cmp("repository", want.Repository, got.Repository)
	cmp("branch", want.Branch, got.Branch)
	cmp("provider", deref(want.Provider), got.Provider)
	cmp("repositoryURL", deref(want.RepositoryURL), got.RepositoryURL)
	cmp("vcsIntegrationID", deref(want.VCSIntegrationID), got.VCSIntegrationID)
	cmp("projectRoot", deref(want.ProjectRoot), got.ProjectRoot)
	cmp("additionalProjectGlobs", want.AdditionalProjectGlobs, sortedCopy(got.AdditionalProjectGlobs))
	cmp("description", deref(want.Description), got.Description)
	cmp("labels", want.Labels, sortedCopy(got.Labels))
	cmp("space", deref(want.Space), got.Space)
	cmp("workerPool", deref(want.WorkerPool), got.WorkerPool)
	cmp("runnerImage", deref(want.RunnerImage), got.RunnerImage)
	cmp("administrative", want.Administrative, got.Administrative)
	cmp("autodeploy", want.Autodeploy, got.Autodeploy)
	cmp("autoretry", want.Autoretry, got.Autoretry)
	cmp("localPreviewEnabled", want.LocalPreviewEnabled, got.LocalPreviewEnabled)
	cmp("protectFromDeletion", want.ProtectFromDeletion, got.ProtectFromDeletion)
	cmp("hooks", hooksOf(want.BeforeInit, want.AfterInit, want.BeforePlan, want.AfterPlan, want.BeforeApply, want.AfterApply, want.BeforeDestroy, want.AfterDestroy, want.BeforePerform, want.AfterPerform, want.AfterRun),
		hooksOf(got.BeforeInit, got.AfterInit, got.BeforePlan, got.AfterPlan, got.BeforeApply, got.AfterApply, got.BeforeDestroy, got.AfterDestroy, got.BeforePerform, got.AfterPerform, got.AfterRun))
	cmp("vendorConfig", vendorString(want.VendorConfig), vendorString(&got.VendorConfig))
	return d
}

// hooksOf renders hook lists for comparison; nil and empty are the same.
func hooksOf(lists ...[]string) string {
	parts := make([]string, len(lists))
	for i, l := range lists {
		parts[i] = strings.Join(l, "\x00")
	}
	return strings.Join(parts, "\x01")
}

// vendorString renders a vendor config with unset optional values shown as
// their Spacelift defaults, for comparison.
func vendorString(v *spacelift.VendorConfigInput) string {
	if v == nil {
		return "none"
	}
	switch {
	case v.Terraform != nil:
		t := v.Terraform
		return fmt.Sprintf("terraform{version=%s tool=%s workspace=%s smart=%v external=%v}",
			deref(t.Version), orDefault(string(deref(t.WorkflowTool)), "TERRAFORM_FOSS"), deref(t.Workspace), deref(t.UseSmartSanitization), deref(t.ExternalStateAccessEnabled))
	case v.OpenTofu != nil:
		t := v.OpenTofu
		return fmt.Sprintf("opentofu{version=%s workspace=%s smart=%v external=%v}",
			deref(t.Version), deref(t.Workspace), deref(t.UseSmartSanitization), deref(t.ExternalStateAccessEnabled))
	case v.Terragrunt != nil:
		t := v.Terragrunt
		return fmt.Sprintf("terragrunt{tf=%s tg=%s runAll=%v smart=%v tool=%s}",
			deref(t.TerraformVersion), deref(t.TerragruntVersion), t.UseRunAll, t.UseSmartSanitization, orDefault(deref(t.Tool), "TERRAFORM_FOSS"))
	case v.Pulumi != nil:
		return fmt.Sprintf("pulumi%+v", *v.Pulumi)
	case v.CloudFormation != nil:
		return fmt.Sprintf("cloudformation%+v", *v.CloudFormation)
	case v.Kubernetes != nil:
		return fmt.Sprintf("kubernetes{namespace=%s kubectl=%s}", v.Kubernetes.Namespace, deref(v.Kubernetes.KubectlVersion))
	case v.Ansible != nil:
		return fmt.Sprintf("ansible%+v", *v.Ansible)
	}
	return "none"
}

// configChange is what to do to a stack's config to match the spec.
type configChange struct {
	// Add are created or replaced (stackConfigAdd upserts by id).
	Add []spacelift.ConfigInput
	// Delete are ids of config elements the spec no longer has.
	Delete []string
}

// configDiff compares desired config with what Spacelift holds, matching
// values by their SHA-256 checksum so that write-only values are compared too.
func configDiff(want []spacelift.ConfigInput, got []spacelift.ConfigElement) configChange {
	var ch configChange
	have := make(map[string]spacelift.ConfigElement, len(got))
	for _, e := range got {
		have[e.ID] = e
	}
	wanted := make(map[string]bool, len(want))
	for _, w := range want {
		wanted[w.ID] = true
		g, ok := have[w.ID]
		if !ok || g.Type != w.Type || g.WriteOnly != w.WriteOnly || !sameValue(w.Value, g) {
			ch.Add = append(ch.Add, w)
		}
	}
	for _, g := range got {
		if !wanted[g.ID] {
			ch.Delete = append(ch.Delete, g.ID)
		}
	}
	sort.Strings(ch.Delete)
	return ch
}

// sameValue reports whether an observed config element holds value.
func sameValue(value string, e spacelift.ConfigElement) bool {
	if e.Value != nil {
		return *e.Value == value
	}
	sum := sha256.Sum256([]byte(value))
	return e.Checksum != "" && strings.EqualFold(e.Checksum, hex.EncodeToString(sum[:]))
}

// configInput is one resolved environment entry as Spacelift config. Names
// under /mnt/workspace/ are mounted files, whose value Spacelift takes base64
// encoded.
func configInput(name, value string, writeOnly bool) spacelift.ConfigInput {
	if strings.HasPrefix(name, mountPrefix) {
		return spacelift.ConfigInput{ID: strings.TrimPrefix(name, mountPrefix), Type: spacelift.ConfigTypeFileMount,
			Value: base64.StdEncoding.EncodeToString([]byte(value)), WriteOnly: writeOnly}
	}
	return spacelift.EnvironmentVariable(name, value, writeOnly)
}

// policyChange is what to do to a stack's policy attachments.
type policyChange struct {
	// Attach are policy ids to attach.
	Attach []string
	// Detach are attachment ids to remove.
	Detach []string
}

// policyDiff compares desired policy ids with the attachments Spacelift
// holds. Auto-attached policies are never detached.
func policyDiff(want []string, got []spacelift.StackPolicyAttachment) policyChange {
	var ch policyChange
	attached := map[string]bool{}
	wanted := map[string]bool{}
	for _, id := range want {
		wanted[id] = true
	}
	for _, a := range got {
		attached[a.PolicyID] = true
		if !a.IsAutoattached && !wanted[a.PolicyID] {
			ch.Detach = append(ch.Detach, a.ID)
		}
	}
	for _, id := range want {
		if !attached[id] {
			ch.Attach = append(ch.Attach, id)
		}
	}
	sort.Strings(ch.Attach)
	sort.Strings(ch.Detach)
	ch.Attach = slices.Compact(ch.Attach)
	return ch
}

// contextChange is what to do to a stack's context attachments.
type contextChange struct {
	Attach []spaceliftv1alpha1.ContextAttachment
	Detach []string
}

// contextDiff compares desired contexts with the attachments Spacelift holds;
// a changed priority is a detach and an attach. Auto-attached contexts stay.
func contextDiff(want []spaceliftv1alpha1.ContextAttachment, got []spacelift.ContextAttachment) contextChange {
	var ch contextChange
	byContext := map[string]spacelift.ContextAttachment{}
	for _, a := range got {
		byContext[a.ContextID] = a
	}
	wanted := map[string]bool{}
	for _, w := range want {
		wanted[w.ID] = true
		a, ok := byContext[w.ID]
		switch {
		case !ok:
			ch.Attach = append(ch.Attach, w)
		case !a.IsAutoattached && a.Priority != int(w.Priority):
			ch.Detach = append(ch.Detach, a.ID)
			ch.Attach = append(ch.Attach, w)
		}
	}
	for _, a := range got {
		if !a.IsAutoattached && !wanted[a.ContextID] {
			ch.Detach = append(ch.Detach, a.ID)
		}
	}
	sort.Strings(ch.Detach)
	return ch
}

// desiredDriftDetection is the drift-detection integration the spec asks
// for, nil for none.
func desiredDriftDetection(d *spaceliftv1alpha1.DriftDetection) *spacelift.DriftDetectionIntegrationInput {
	if d == nil || !d.Enabled {
		return nil
	}
	in := &spacelift.DriftDetectionIntegrationInput{Reconcile: d.Reconcile, IgnoreState: d.IgnoreState, Timezone: optString(orDefault(d.Timezone, "UTC"))}
	for _, s := range d.Schedule {
		in.Schedule = append(in.Schedule, strings.Join(strings.Fields(string(s)), " "))
	}
	return in
}

// driftDetectionUpToDate reports whether the integration matches want.
func driftDetectionUpToDate(want *spacelift.DriftDetectionIntegrationInput, got *spacelift.DriftDetectionIntegration) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	return want.Reconcile == got.Reconcile && want.IgnoreState == got.IgnoreState &&
		deref(want.Timezone) == orDefault(got.Timezone, "UTC") && slices.Equal(want.Schedule, got.Schedule)
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func sortedCopy(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	sort.Strings(out)
	return out
}
