package controllers

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// settingsPart is the stack itself: name, repository, labels, space, vendor
// and the other fields of stackUpdate.
type settingsPart struct{}

func (settingsPart) name() string { return "settings" }

func (settingsPart) changes(in *partInput) []partChange {
	want := desiredStackInput(in.obj)
	diff := stackDiff(want, in.observed.Stack)
	if len(diff) == 0 {
		return nil
	}
	m := spacelift.UpdateStackMutation(in.id, want)
	m.Desc = settingsDescPrefix + summarizeDiff(diff)
	return []partChange{{mutation: m}}
}

// settingsDescPrefix starts the description of a settings update.
const settingsDescPrefix = "settings: "

// summarizeDiff names the changed fields, for events.
func summarizeDiff(diff []string) string {
	fields := make([]string, 0, len(diff))
	for _, d := range diff {
		fields = append(fields, strings.SplitN(d, ":", 2)[0])
	}
	return strings.Join(fields, ", ")
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
