package atmos

import (
	"os"
	"testing"
)

// TestSampleTree pins what the demo's sample tree (config/samples/atmos)
// expands to: the names, labels and context atmos would compute.
func TestSampleTree(t *testing.T) {
	recs, err := Expand(os.DirFS("../../config/samples/atmos"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		stack, base, workspace, file string
		admin, root                  bool
		tags                         map[string]string
		labels                       []string
	}
	platform := map[string]string{"team": "platform"}
	wants := map[string]want{
		"core-gbl-auto-admin-stack": {
			stack: "core-gbl-auto", base: "spacelift/admin-stack", workspace: "core-gbl-auto-admin-stack",
			file: "stacks/orgs/acme/core/auto/global-region.yaml", admin: true, root: true,
			labels: []string{
				"deps:stacks/catalog/spacelift/admin-stack.yaml",
				"deps:stacks/mixins/region/global-region.yaml",
				"deps:stacks/mixins/stage/auto.yaml",
				"deps:stacks/orgs/acme/_defaults.yaml",
				"deps:stacks/orgs/acme/core/_defaults.yaml",
				"deps:stacks/orgs/acme/core/auto/global-region.yaml",
				"root-admin",
				"admin",
				"folder:component/admin-stack",
				"folder:core/gbl/auto",
			},
		},
		"core-gbl-auto-admin-stack-plat": {
			stack: "core-gbl-auto", base: "spacelift/admin-stack", workspace: "core-gbl-auto-admin-stack-plat",
			file: "stacks/orgs/acme/core/auto/global-region.yaml", admin: true,
			labels: []string{
				"deps:stacks/catalog/spacelift/admin-stack.yaml",
				"deps:stacks/mixins/region/global-region.yaml",
				"deps:stacks/mixins/stage/auto.yaml",
				"deps:stacks/orgs/acme/_defaults.yaml",
				"deps:stacks/orgs/acme/core/_defaults.yaml",
				"deps:stacks/orgs/acme/core/auto/global-region.yaml",
				"admin-stack-name:plat",
				"depends-on:core-gbl-auto-admin-stack",
				"folder:component/admin-stack-plat",
				"folder:core/gbl/auto",
			},
		},
		"plat-ue2-dev-eks-cluster": {
			stack: "plat-ue2-dev", workspace: "plat-ue2-dev", file: "stacks/orgs/acme/plat/dev/us-east-2.yaml", tags: platform,
			labels: []string{
				"deps:stacks/catalog/eks/defaults.yaml",
				"deps:stacks/mixins/region/us-east-2.yaml",
				"deps:stacks/mixins/stage/dev.yaml",
				"deps:stacks/orgs/acme/_defaults.yaml",
				"deps:stacks/orgs/acme/plat/_defaults.yaml",
				"depends-on:plat-ue2-dev-vpc",
				"folder:component/eks/cluster",
				"folder:plat/ue2/dev",
			},
		},
		"plat-ue2-dev-vpc": {
			stack: "plat-ue2-dev", workspace: "plat-ue2-dev", file: "stacks/orgs/acme/plat/dev/us-east-2.yaml", tags: platform,
			labels: []string{
				"deps:stacks/catalog/vpc.yaml",
				"deps:stacks/mixins/region/us-east-2.yaml",
				"deps:stacks/mixins/stage/dev.yaml",
				"deps:stacks/orgs/acme/_defaults.yaml",
				"deps:stacks/orgs/acme/plat/_defaults.yaml",
				"deps:stacks/orgs/acme/plat/dev/us-east-2.yaml",
				"network",
				"folder:component/vpc",
				"folder:plat/ue2/dev",
			},
		},
		"plat-ue2-prod-aurora-postgres": {
			stack: "plat-ue2-prod", workspace: "plat-ue2-prod", file: "stacks/orgs/acme/plat/prod/us-east-2.yaml",
			tags: map[string]string{"team": "data"},
			labels: []string{
				"deps:stacks/catalog/aurora-postgres.yaml",
				"deps:stacks/mixins/region/us-east-2.yaml",
				"deps:stacks/mixins/stage/prod.yaml",
				"deps:stacks/orgs/acme/_defaults.yaml",
				"deps:stacks/orgs/acme/plat/_defaults.yaml",
				"deps:stacks/orgs/acme/plat/prod/us-east-2.yaml",
				"depends-on:plat-ue2-prod-vpc",
				"folder:component/aurora-postgres",
				"folder:plat/ue2/prod",
			},
		},
		"plat-ue2-prod-eks-cluster": {
			stack: "plat-ue2-prod", workspace: "plat-ue2-prod", file: "stacks/orgs/acme/plat/prod/us-east-2.yaml", tags: platform,
			labels: []string{
				"deps:stacks/catalog/eks/defaults.yaml",
				"deps:stacks/mixins/region/us-east-2.yaml",
				"deps:stacks/mixins/stage/prod.yaml",
				"deps:stacks/orgs/acme/_defaults.yaml",
				"deps:stacks/orgs/acme/plat/_defaults.yaml",
				"depends-on:plat-ue2-prod-vpc",
				"folder:component/eks/cluster",
				"folder:plat/ue2/prod",
			},
		},
		"plat-ue2-prod-vpc": {
			stack: "plat-ue2-prod", workspace: "plat-ue2-prod", file: "stacks/orgs/acme/plat/prod/us-east-2.yaml", tags: platform,
			labels: []string{
				"deps:stacks/catalog/vpc.yaml",
				"deps:stacks/mixins/region/us-east-2.yaml",
				"deps:stacks/mixins/stage/prod.yaml",
				"deps:stacks/orgs/acme/_defaults.yaml",
				"deps:stacks/orgs/acme/plat/_defaults.yaml",
				"deps:stacks/orgs/acme/plat/prod/us-east-2.yaml",
				"network",
				"folder:component/vpc",
				"folder:plat/ue2/prod",
			},
		},
		"plat-uw2-prod-vpc": {
			stack: "plat-uw2-prod", workspace: "plat-uw2-prod", file: "stacks/orgs/acme/plat/prod/us-west-2.yaml", tags: platform,
			labels: []string{
				"deps:stacks/catalog/vpc.yaml",
				"deps:stacks/mixins/region/us-west-2.yaml",
				"deps:stacks/mixins/stage/prod.yaml",
				"deps:stacks/orgs/acme/_defaults.yaml",
				"deps:stacks/orgs/acme/plat/_defaults.yaml",
				"deps:stacks/orgs/acme/plat/prod/us-west-2.yaml",
				"network",
				"depends-on:plat-ue2-prod-vpc",
				"folder:component/vpc",
				"folder:plat/uw2/prod",
			},
		},
	}
	eq(t, "names", names(recs), []string{
		"core-gbl-auto-admin-stack",
		"core-gbl-auto-admin-stack-plat",
		"plat-ue2-dev-eks-cluster",
		"plat-ue2-dev-vpc",
		"plat-ue2-prod-aurora-postgres",
		"plat-ue2-prod-eks-cluster",
		"plat-ue2-prod-vpc",
		"plat-uw2-prod-vpc",
	})
	for _, r := range recs {
		w := wants[r.Name]
		eq(t, r.Name+" stack", r.Stack, w.stack)
		eq(t, r.Name+" base component", r.BaseComponent, w.base)
		eq(t, r.Name+" workspace", r.Workspace, w.workspace)
		eq(t, r.Name+" file", r.File, w.file)
		eq(t, r.Name+" administrative", []bool{r.Administrative, r.RootAdministrative}, []bool{w.admin, w.root})
		eq(t, r.Name+" tags", r.Tags, w.tags)
		eq(t, r.Name+" labels", r.Labels, w.labels)
	}

	// Merged values the sample demonstrates.
	by := byName(recs)
	eq(t, "dev vpc zones (lists replace)", by["plat-ue2-dev-vpc"].Vars["availability_zones"], []any{"a", "b"})
	eq(t, "prod vpc zones", by["plat-ue2-prod-vpc"].Vars["availability_zones"], []any{"a", "b", "c"})
	eq(t, "prod eks node group (recursive inheritance)", by["plat-ue2-prod-eks-cluster"].Vars["node_groups"],
		map[string]any{"main": map[string]any{"instance_types": []any{"t3.large"}, "min_size": 3, "max_size": 9}})
	eq(t, "aurora (multiple inherits)", []any{by["plat-ue2-prod-aurora-postgres"].Vars["engine_version"], by["plat-ue2-prod-aurora-postgres"].Vars["storage_encrypted"]}, []any{"16.4", true})
	eq(t, "prod protection", by["plat-ue2-prod-vpc"].Settings["spacelift"].(map[string]any)["protect_from_deletion"], true)

	// The admin stacks' context filters, as the sample configures them.
	yes, no := true, false
	eq(t, "root admin stack's children", names(Filter(recs, ContextFilters{Administrative: &yes, RootAdministrative: &no}, ExcludedContextFilters{})),
		[]string{"core-gbl-auto-admin-stack-plat"})
	eq(t, "plat admin stack's children", names(Filter(recs, ContextFilters{Tenants: []string{"plat"}}, ExcludedContextFilters{})), []string{
		"plat-ue2-dev-eks-cluster", "plat-ue2-dev-vpc", "plat-ue2-prod-aurora-postgres",
		"plat-ue2-prod-eks-cluster", "plat-ue2-prod-vpc", "plat-uw2-prod-vpc",
	})
}
