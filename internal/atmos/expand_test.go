package atmos

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// devStack is the path of the usual test stack (plat-ue1-dev).
const devStack = "stacks/orgs/plat/dev.yaml"

func TestImports(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  map[string]any // a subset of plat-ue1-dev-c's vars
	}{
		{
			name: "globs and optional extensions",
			files: map[string]string{
				"stacks/catalog/a.yaml":  "vars: {from_a: a}",
				"stacks/catalog/b.yaml":  "vars: {from_b: b}",
				"stacks/mixins/one.yml":  "vars: {from_yml: yml}",
				"stacks/mixins/two.yaml": "vars: {from_yaml: yaml}",
				devStack:                 "import: [catalog/*, mixins/one, mixins/two.yaml]\n" + ctxDev + "components: {terraform: {c: {}}}",
			},
			want: map[string]any{"from_a": "a", "from_b": "b", "from_yml": "yml", "from_yaml": "yaml"},
		},
		{
			name: "depth-first, later imports win, the importer wins",
			files: map[string]string{
				"stacks/catalog/a1.yaml": "vars: {x: a1, y: a1, z: a1, w: a1}",
				"stacks/catalog/a.yaml":  "import: [catalog/a1]\nvars: {y: a, z: a, w: a}",
				"stacks/catalog/b.yaml":  "vars: {z: b, w: b}",
				devStack:                 "import: [catalog/a, catalog/b]\n" + ctx("dev", "w: stack") + "components: {terraform: {c: {}}}",
			},
			want: map[string]any{"x": "a1", "y": "a", "z": "b", "w": "stack"},
		},
		{
			name: "a file imported again wins again",
			files: map[string]string{
				"stacks/catalog/a1.yaml": "vars: {y: a1}",
				"stacks/catalog/a.yaml":  "import: [catalog/a1]\nvars: {y: a}",
				"stacks/catalog/b.yaml":  "import: [catalog/a1]",
				devStack:                 "import: [catalog/a, catalog/b]\n" + ctxDev + "components: {terraform: {c: {}}}",
			},
			want: map[string]any{"y": "a1"},
		},
		{
			name: "glob matches merge in lexical order",
			files: map[string]string{
				"stacks/catalog/m/a.yaml": "vars: {x: a, only_a: a}",
				"stacks/catalog/m/b.yaml": "vars: {x: b}",
				devStack:                  "import: [catalog/m/*]\n" + ctxDev + "components: {terraform: {c: {}}}",
			},
			want: map[string]any{"x": "b", "only_a": "a"},
		},
		{
			name: "object form and skip_if_missing",
			files: map[string]string{
				"stacks/catalog/a.yaml": "vars: {from_a: a}",
				devStack: "import:\n  - path: catalog/a\n  - path: catalog/missing\n    skip_if_missing: true\n  - path: catalog/m/*\n    skip_if_missing: true\n" +
					ctxDev + "components: {terraform: {c: {}}}",
			},
			want: map[string]any{"from_a": "a"},
		},
		{
			name: "paths starting with . are relative to the importing file",
			files: map[string]string{
				"stacks/orgs/plat/_defaults.yaml":  "vars: {from_defaults: yes}",
				"stacks/catalog/eks/cluster.yaml":  "import: [./defaults, ../vpc]",
				"stacks/catalog/eks/defaults.yaml": "vars: {from_eks: eks}",
				"stacks/catalog/vpc.yaml":          "vars: {from_vpc: vpc}",
				devStack:                           "import: [./_defaults, catalog/eks/cluster]\n" + ctxDev + "components: {terraform: {c: {}}}",
			},
			want: map[string]any{"from_defaults": "yes", "from_eks": "eks", "from_vpc": "vpc"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := record(t, mustExpand(t, tt.files), "plat-ue1-dev-c")
			for k, v := range tt.want {
				eq(t, "vars."+k, r.Vars[k], v)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		fragments []string
	}{
		{
			name:      "missing import",
			files:     map[string]string{devStack: "import: [catalog/nope]\n" + ctxDev},
			fragments: []string{devStack, "import[0]", "catalog/nope"},
		},
		{
			name:      "missing glob",
			files:     map[string]string{devStack: "import: [catalog/none/*]\n" + ctxDev},
			fragments: []string{devStack, "import[0]", "catalog/none/*.yaml"},
		},
		{
			name:      "self import",
			files:     map[string]string{devStack: "import: [orgs/plat/dev]\n" + ctxDev},
			fragments: []string{devStack, "imports itself"},
		},
		{
			name: "import cycle",
			files: map[string]string{
				"stacks/catalog/a.yaml": "import: [catalog/b]",
				"stacks/catalog/b.yaml": "import: [catalog/a]",
				devStack:                "import: [catalog/a]\n" + ctxDev,
			},
			fragments: []string{"stacks/catalog/a.yaml", "import cycle", "orgs/plat/dev.yaml -> catalog/a.yaml -> catalog/b.yaml -> catalog/a.yaml"},
		},
		{
			name:      "import is not a list",
			files:     map[string]string{devStack: "import: catalog/a\n" + ctxDev},
			fragments: []string{devStack, "import: want a list"},
		},
		{
			name:      "import entry of the wrong kind",
			files:     map[string]string{devStack: "import: [[catalog/a]]\n" + ctxDev},
			fragments: []string{devStack, "import[0]"},
		},
		{
			name:      "remote import",
			files:     map[string]string{devStack: "import: ['https://github.com/acme/infra.git//stacks/catalog/a?ref=v1']\n" + ctxDev},
			fragments: []string{devStack, "import[0]", "remote import"},
		},
		{
			name: "import context that is not a mapping",
			files: map[string]string{
				"stacks/catalog/a.yaml": "vars: {}",
				devStack:                "import:\n  - path: catalog/a\n    context: [x]\n" + ctxDev,
			},
			fragments: []string{devStack, "import[0].context", "want a mapping"},
		},
		{
			name: "import context without a value the imported file needs",
			files: map[string]string{
				"stacks/catalog/a.yaml": "vars: {x: '{{ .y }}'}",
				devStack:                "import:\n  - path: catalog/a\n    context: {x: 1}\n" + ctxDev,
			},
			fragments: []string{"stacks/catalog/a.yaml", "templates:", `map has no entry for key "y"`},
		},
		{
			name: "invalid YAML in an import",
			files: map[string]string{
				"stacks/catalog/a.yaml": "vars: [",
				devStack:                "import: [catalog/a]\n" + ctxDev,
			},
			fragments: []string{"stacks/catalog/a.yaml", "parsing YAML"},
		},
		{
			name: "section of the wrong type",
			files: map[string]string{
				"stacks/catalog/a.yaml": "vars: [x]",
				devStack:                "import: [catalog/a]\n" + ctxDev,
			},
			fragments: []string{"stacks/catalog/a.yaml", "vars: want a mapping, got a list"},
		},
		{
			name:      "component section of the wrong type",
			files:     map[string]string{devStack: ctxDev + "components: {terraform: {c: {metadata: {inherits: base}}}}"},
			fragments: []string{devStack, "components.terraform.c.metadata.inherits: want a list"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Expand(tree(tt.files), Options{})
			wantError(t, err, tt.fragments...)
		})
	}
}

func TestDiscovery(t *testing.T) {
	recs := mustExpand(t, map[string]string{
		// An imported catalog file is not a stack, even with components.
		"stacks/catalog/c.yaml": "components: {terraform: {c: {vars: {x: 1}}}}",
		// Excluded by **/_defaults.yaml.
		"stacks/orgs/plat/_defaults.yaml": ctxDev + "components: {terraform: {d: {}}}",
		devStack:                          "import: [catalog/c]\n" + ctxDev,
		"stacks/orgs/plat/prod.yml":       "import: [catalog/c]\n" + ctx("prod"),
		// Not under an included path.
		"stacks/other/x.yaml": ctxDev + "components: {terraform: {x: {}}}",
		// Not YAML.
		"stacks/orgs/plat/README.md": "# not a stack",
	})
	eq(t, "names", names(recs), []string{"plat-ue1-dev-c", "plat-ue1-prod-c"})
	eq(t, "files", []string{recs[0].File, recs[1].File}, []string{devStack, "stacks/orgs/plat/prod.yml"})
	eq(t, "stack files", []string{recs[0].StackFile, recs[1].StackFile}, []string{"orgs/plat/dev", "orgs/plat/prod"})

	_, err := Expand(tree(map[string]string{"stacks/catalog/c.yaml": ctxDev}), Options{})
	if err == nil {
		t.Error("a tree without top-level stacks expanded")
	}
}

// layered returns a section body whose keys a..e are set by the layers named
// from the given one on: global, terraform, base, component, overrides.
func layered(layer string) string {
	keys := map[string]string{"global": "{a: global, b: global, c: global, d: global, e: global}",
		"terraform": "{b: terraform, c: terraform, d: terraform, e: terraform}",
		"base":      "{c: base, d: base, e: base}", "component": "{d: component, e: component}", "overrides": "{e: overrides}"}
	return keys[layer]
}

func TestMergeOrder(t *testing.T) {
	section := func(layer string) string {
		l := layered(layer)
		return "vars: " + l + ", env: " + l + ", settings: {order: " + l + "}"
	}
	recs := mustExpand(t, map[string]string{
		// The terraform section wins over global vars even when the global
		// vars are in the importing file.
		"stacks/orgs/plat/_defaults.yaml": "terraform: {" + section("terraform") + "}",
		"stacks/catalog/c.yaml": "components: {terraform: {base: {metadata: {type: abstract}, " + section("base") +
			"}, c: {metadata: {inherits: [base]}}}}",
		devStack: "import: [orgs/plat/_defaults, catalog/c]\n" +
			"vars: {namespace: acme, tenant: plat, environment: ue1, stage: dev, a: global, b: global, c: global, d: global, e: global}\n" +
			"env: " + layered("global") + "\n" +
			"settings: {spacelift: {workspace_enabled: true}, order: " + layered("global") + "}\n" +
			"terraform: {overrides: {" + section("overrides") + "}}\n" +
			"components: {terraform: {c: {" + section("component") + "}}}\n",
	})
	r := record(t, recs, "plat-ue1-dev-c")
	want := map[string]any{"a": "global", "b": "terraform", "c": "base", "d": "component", "e": "overrides"}
	for k, v := range want {
		eq(t, "vars."+k, r.Vars[k], v)
		eq(t, "env."+k, r.Env[k], v)
		eq(t, "settings.order."+k, r.Settings["order"].(map[string]any)[k], v)
	}
}

func TestInheritance(t *testing.T) {
	tests := []struct {
		name     string
		atmos    string
		comps    string // components.terraform body
		record   string
		wantVars map[string]any
		wantBase string
		wantWS   string
	}{
		{
			name: "inherits in order, later wins, the component wins",
			comps: `
    b1: {metadata: {type: abstract}, vars: {x: b1, y: b1, z: b1}}
    b2: {metadata: {type: abstract}, vars: {y: b2, z: b2}}
    c: {metadata: {inherits: [b1, b2]}, vars: {z: c}}`,
			record:   "plat-ue1-dev-c",
			wantVars: map[string]any{"x": "b1", "y": "b2", "z": "c"},
			wantWS:   "plat-ue1-dev",
		},
		{
			name: "inheritance is recursive",
			comps: `
    b3: {metadata: {type: abstract}, vars: {x: b3, y: b3, z: b3}}
    b2: {metadata: {type: abstract, inherits: [b3]}, vars: {y: b2, z: b2}}
    c: {metadata: {inherits: [b2]}, vars: {z: c}}`,
			record:   "plat-ue1-dev-c",
			wantVars: map[string]any{"x": "b3", "y": "b2", "z": "c"},
			wantWS:   "plat-ue1-dev",
		},
		{
			name: "the top-level component attribute inherits from an atmos component",
			comps: `
    vpc: {vars: {x: vpc, y: vpc}}
    vpc-2: {component: vpc, vars: {y: vpc-2}}`,
			record:   "plat-ue1-dev-vpc-2",
			wantVars: map[string]any{"x": "vpc", "y": "vpc-2"},
			wantBase: "vpc",
			wantWS:   "plat-ue1-dev-vpc-2",
		},
		{
			name: "metadata is inherited, except type and inherits",
			comps: `
    base: {metadata: {type: abstract, component: tf-dir, terraform_workspace: ws-from-base}, vars: {x: base}}
    c: {metadata: {inherits: [base]}}`,
			record:   "plat-ue1-dev-c",
			wantVars: map[string]any{"x": "base"},
			wantBase: "tf-dir",
			wantWS:   "ws-from-base",
		},
		{
			name:  "metadata inheritance can be turned off",
			atmos: testAtmosYAML + "  inherit: {metadata: false}\n",
			comps: `
    base: {metadata: {type: abstract, component: tf-dir}, vars: {x: base}}
    c: {metadata: {inherits: [base]}}`,
			record:   "plat-ue1-dev-c",
			wantVars: map[string]any{"x": "base"},
			wantWS:   "plat-ue1-dev",
		},
		{
			name: "metadata.component sets the base component, not inheritance",
			comps: `
    eks/cluster: {vars: {x: unrelated}}
    c: {metadata: {component: eks/cluster}, vars: {y: c}}`,
			record:   "plat-ue1-dev-c",
			wantVars: map[string]any{"y": "c", "x": nil},
			wantBase: "eks/cluster",
			wantWS:   "plat-ue1-dev-c",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{devStack: ctxDev + "components:\n  terraform:" + tt.comps}
			if tt.atmos != "" {
				files["atmos.yaml"] = tt.atmos
			}
			r := record(t, mustExpand(t, files), tt.record)
			for k, v := range tt.wantVars {
				eq(t, "vars."+k, r.Vars[k], v)
			}
			eq(t, "base component", r.BaseComponent, tt.wantBase)
			eq(t, "workspace", r.Workspace, tt.wantWS)
		})
	}
}

func TestInheritanceErrors(t *testing.T) {
	tests := []struct {
		name, comps string
		fragments   []string
	}{
		{
			name:      "inherits from an undefined component",
			comps:     "\n    c: {metadata: {inherits: [nope]}}",
			fragments: []string{devStack, "components.terraform.c.metadata.inherits", `"nope"`, `component "c"`},
		},
		{
			name: "a base inherits from an undefined component",
			comps: `
    z-base: {metadata: {type: abstract, inherits: [nope]}}
    c: {metadata: {inherits: [z-base]}}`,
			fragments: []string{"components.terraform.c.metadata.inherits", `"z-base" inherits from "nope"`},
		},
		{
			name: "circular inheritance",
			comps: `
    a: {metadata: {type: abstract, inherits: [b]}}
    b: {metadata: {type: abstract, inherits: [a]}}
    c: {metadata: {inherits: [a]}}`,
			fragments: []string{"circular component inheritance"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Expand(tree(map[string]string{devStack: ctxDev + "components:\n  terraform:" + tt.comps}), Options{})
			wantError(t, err, tt.fragments...)
		})
	}
}

func TestOnlyEnabledConcreteSpaceliftComponents(t *testing.T) {
	recs := mustExpand(t, map[string]string{devStack: `
vars: {tenant: plat, environment: ue1, stage: dev}
components:
  terraform:
    abstract: {metadata: {type: abstract}, settings: {spacelift: {workspace_enabled: true}}}
    disabled: {metadata: {enabled: false}, settings: {spacelift: {workspace_enabled: true}}}
    inherits-disabled: {metadata: {inherits: [abstract-off]}, settings: {spacelift: {workspace_enabled: true}}}
    abstract-off: {metadata: {type: abstract, enabled: false}}
    spacelift-off: {settings: {spacelift: {workspace_enabled: false}}}
    spacelift-unset: {}
    spacelift-null: {settings: {spacelift: null}}
    enabled: {metadata: {enabled: true}, settings: {spacelift: {workspace_enabled: true}}}
    plain: {settings: {spacelift: {workspace_enabled: true}}}
`})
	eq(t, "names", names(recs), []string{"plat-ue1-dev-enabled", "plat-ue1-dev-plain"})
}

func TestListStrategies(t *testing.T) {
	files := func(atmos string) map[string]string {
		return map[string]string{
			"atmos.yaml":            atmos,
			"stacks/catalog/c.yaml": "components: {terraform: {c: {vars: {zones: [a, b, c]}}}}",
			devStack:                "import: [catalog/c]\n" + ctxDev + "components: {terraform: {c: {vars: {zones: [d]}}}}",
		}
	}
	tests := map[string][]any{
		"":       {"d"},
		"append": {"a", "b", "c", "d"},
		"merge":  {"a", "b", "c"},
	}
	for strategy, want := range tests {
		atmos := testAtmosYAML
		if strategy != "" {
			atmos += "settings: {list_merge_strategy: " + strategy + "}\n"
		}
		r := record(t, mustExpand(t, files(atmos)), "plat-ue1-dev-c")
		eq(t, "zones with strategy "+strategy, r.Vars["zones"], want)
	}
}

func TestNaming(t *testing.T) {
	tests := []struct {
		name      string
		atmos     string
		spacelift string
		component string
		wantName  string
		wantStack string
	}{
		{name: "default: stack and component, / as -", component: "eks/cluster", wantName: "plat-ue1-dev-eks-cluster", wantStack: "plat-ue1-dev"},
		{name: "stack_name", component: "c", spacelift: "stack_name: custom/name", wantName: "custom-name", wantStack: "plat-ue1-dev"},
		{
			name: "stack_name_pattern wins", component: "eks/cluster",
			spacelift: "{stack_name: ignored, stack_name_pattern: '{namespace}-{tenant}-{environment}-{stage}-{component}-{base-component}'}",
			wantName:  "acme-plat-ue1-dev-eks-cluster-eks-base", wantStack: "plat-ue1-dev",
		},
		{
			name: "name_template", component: "c",
			atmos:    "stacks:\n  base_path: stacks\n  included_paths: ['orgs/**/*']\n  name_template: '{{ .vars.tenant }}-{{ .vars.stage }}'\n",
			wantName: "plat-dev-c", wantStack: "plat-dev",
		},
		{
			name: "without name_pattern the stack is the file name", component: "c",
			atmos:    "stacks: {base_path: stacks, included_paths: ['orgs/**/*']}\n",
			wantName: "orgs-plat-dev-c", wantStack: "orgs-plat-dev",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sl := "{workspace_enabled: true}"
			if tt.spacelift != "" {
				sl = "{workspace_enabled: true, " + trimBraces(tt.spacelift) + "}"
			}
			files := map[string]string{devStack: ctxDev + "components:\n  terraform:\n    " + tt.component +
				": {metadata: {component: eks/base}, settings: {spacelift: " + sl + "}}"}
			if tt.atmos != "" {
				files["atmos.yaml"] = tt.atmos
			}
			recs := mustExpand(t, files)
			eq(t, "names", names(recs), []string{tt.wantName})
			eq(t, "stack", recs[0].Stack, tt.wantStack)
		})
	}
}

func trimBraces(s string) string {
	if len(s) > 1 && s[0] == '{' {
		return s[1 : len(s)-1]
	}
	return s
}

func TestNamingErrors(t *testing.T) {
	_, err := Expand(tree(map[string]string{devStack: `
vars: {tenant: plat, stage: dev}
components: {terraform: {c: {}}}
`}), Options{})
	wantError(t, err, devStack, "needs vars.environment", `component "c"`)

	_, err = Expand(tree(map[string]string{
		"atmos.yaml": "stacks: {base_path: stacks, included_paths: ['orgs/**/*'], name_template: '{{ .vars.nope }}'}\n",
		devStack:     ctxDev + "components: {terraform: {c: {}}}",
	}), Options{})
	wantError(t, err, devStack, "name_template")
}

func TestWorkspace(t *testing.T) {
	tests := []struct {
		name, atmos, metadata, want string
	}{
		{name: "no base component: the stack", metadata: "{}", want: "plat-ue1-dev"},
		{name: "same base component: the stack", metadata: "{component: c}", want: "plat-ue1-dev"},
		{name: "base component: stack and component", metadata: "{component: tf}", want: "plat-ue1-dev-c"},
		{name: "terraform_workspace", metadata: "{component: tf, terraform_workspace: ws/x}", want: "ws-x"},
		{name: "terraform_workspace_pattern", metadata: "{terraform_workspace_pattern: '{tenant}-{stage}-{component}'}", want: "plat-dev-c"},
		{name: "terraform_workspace_template", metadata: "{terraform_workspace_template: '{{ .vars.tenant }}-x'}", want: "plat-x"},
		{name: "workspaces disabled", atmos: testAtmosYAML + "components: {terraform: {workspaces_enabled: false}}\n", metadata: "{component: tf}", want: "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{devStack: ctxDev + "components: {terraform: {c: {metadata: " + tt.metadata + "}}}"}
			if tt.atmos != "" {
				files["atmos.yaml"] = tt.atmos
			}
			eq(t, "workspace", record(t, mustExpand(t, files), "plat-ue1-dev-c").Workspace, tt.want)
		})
	}
}

func TestLabels(t *testing.T) {
	recs := mustExpand(t, map[string]string{
		"stacks/catalog/c.yaml":      "components: {terraform: {c: {vars: {from_catalog: true}}}}",
		"stacks/orgs/plat/prod.yaml": ctx("prod") + "components: {terraform: {x: {}}}",
		devStack: "import: [catalog/c]\n" + ctxDev + `
components:
  terraform:
    a: {}
    b: {}
    c:
      vars: {from_stack: true}
      settings:
        spacelift:
          labels: [zeta, alpha, zeta]
          depends_on: [plat-ue1-prod-x, b]
        depends_on:
          2: {component: a}
          1: {component: b}
`,
	})
	eq(t, "labels", record(t, recs, "plat-ue1-dev-c").Labels, []string{
		"deps:stacks/catalog/c.yaml",
		"deps:stacks/orgs/plat/dev.yaml",
		"zeta",
		"alpha",
		"depends-on:plat-ue1-dev-b",
		"depends-on:plat-ue1-prod-x",
		"depends-on:plat-ue1-dev-a",
		"folder:component/c",
		"folder:plat/ue1/dev",
	})
	eq(t, "labels of a", record(t, recs, "plat-ue1-dev-a").Labels, []string{
		"deps:stacks/orgs/plat/dev.yaml",
		"folder:component/a",
		"folder:plat/ue1/dev",
	})

	custom, err := Expand(tree(map[string]string{devStack: ctxDev + "components: {terraform: {a: {}}}"}),
		Options{Overrides: Settings{StackConfigPathTemplate: "infra/stacks/%s.yml"}})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "custom deps label", custom[0].Labels[0], "deps:infra/stacks/orgs/plat/dev.yml")
}

func TestDeps(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name: "files that only import, or only hold metadata, are not deps",
			files: map[string]string{
				"stacks/orgs/plat/_defaults.yaml": "import: [mixins/ctx]",
				"stacks/mixins/ctx.yaml":          ctxDev,
				"stacks/catalog/meta.yaml":        "components: {terraform: {c: {metadata: {component: tf}}}}",
				devStack:                          "import: [orgs/plat/_defaults, catalog/meta]\ncomponents: {terraform: {c: {}}}",
			},
			want: []string{"mixins/ctx"},
		},
		{
			name: "a value the stack file also sets does not make the import a dep",
			files: map[string]string{
				"stacks/mixins/region.yaml": "vars: {region: us-east-1}",
				devStack:                    "import: [mixins/region]\n" + ctx("dev", "region: us-east-2") + "components: {terraform: {c: {}}}",
			},
			want: []string{"orgs/plat/dev"},
		},
		{
			name: "imports are searched by name, not in merge order (as atmos does)",
			files: map[string]string{
				"stacks/mixins/ctx.yaml": ctxDev,
				"stacks/catalog/a.yaml":  "components: {terraform: {c: {vars: {x: a}}}}",
				"stacks/catalog/b.yaml":  "components: {terraform: {c: {vars: {x: b}}}}",
				devStack:                 "import: [mixins/ctx, catalog/b, catalog/a]\n",
			},
			want: []string{"catalog/a", "mixins/ctx"},
		},
		{
			name: "component values beat terraform and global ones",
			files: map[string]string{
				"stacks/mixins/ctx.yaml":   ctxDev,
				"stacks/mixins/other.yaml": "terraform: {vars: {x: tf}}\nvars: {x: global}",
				"stacks/catalog/c.yaml":    "components: {terraform: {c: {vars: {x: c}}}}",
				devStack:                   "import: [mixins/ctx, mixins/other, catalog/c]\n",
			},
			want: []string{"catalog/c", "mixins/ctx"},
		},
		{
			name: "base components, env and backend count",
			files: map[string]string{
				"stacks/mixins/ctx.yaml":     ctxDev,
				"stacks/catalog/base.yaml":   "components: {terraform: {base: {metadata: {type: abstract}, vars: {x: base}}}}",
				"stacks/mixins/env.yaml":     "env: {TF_LOG: info}",
				"stacks/mixins/backend.yaml": "terraform: {backend_type: s3, backend: {s3: {bucket: b}, gcs: {bucket: g}}}",
				"stacks/mixins/gcs.yaml":     "terraform: {backend: {gcs: {prefix: p}}}",
				devStack:                     "import: [mixins/ctx, catalog/base, mixins/env, mixins/backend, mixins/gcs]\ncomponents: {terraform: {c: {metadata: {inherits: [base]}}}}",
			},
			want: []string{"catalog/base", "mixins/backend", "mixins/ctx", "mixins/env"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eq(t, "deps", record(t, mustExpand(t, tt.files), "plat-ue1-dev-c").Deps, tt.want)
		})
	}
}

func TestDependsOn(t *testing.T) {
	prod := ctx("prod") + "components: {terraform: {vpc: {}, nodb: {settings: {spacelift: {workspace_enabled: false}}}}}"
	tests := []struct {
		name, settings string // component c's settings body
		want           []string
		fragments      []string // when an error is expected
	}{
		{name: "defaults to the dependent's context", settings: "depends_on: {1: {component: vpc}}", want: []string{"depends-on:plat-ue1-dev-vpc"}},
		{name: "explicit context fields", settings: "depends_on: {1: {component: vpc, stage: prod}}", want: []string{"depends-on:plat-ue1-prod-vpc"}},
		{name: "fields outside the name pattern are ignored", settings: "depends_on: {1: {component: vpc, namespace: other, region: eu-west-1}}", want: []string{"depends-on:plat-ue1-dev-vpc"}},
		{name: "/ in the component name", settings: "depends_on: {1: {component: eks/cluster}}", want: []string{"depends-on:plat-ue1-dev-eks-cluster"}},
		{name: "sorted", settings: "depends_on: {a: {component: vpc, stage: prod}, b: {component: eks/cluster}}", want: []string{"depends-on:plat-ue1-dev-eks-cluster", "depends-on:plat-ue1-prod-vpc"}},
		{name: "an entry without component is skipped", settings: "depends_on: {1: {stage: prod}, 2: null}", want: nil},
		{name: "a target without Spacelift is still a target", settings: "depends_on: {1: {component: nodb, stage: prod}}", want: []string{"depends-on:plat-ue1-prod-nodb"}},
		{name: "legacy: a component of the same stack", settings: "spacelift: {workspace_enabled: true, depends_on: [vpc, eks/cluster]}", want: []string{"depends-on:plat-ue1-dev-eks-cluster", "depends-on:plat-ue1-dev-vpc"}},
		{name: "legacy: a Spacelift stack name", settings: "spacelift: {workspace_enabled: true, depends_on: [plat-ue1-prod-vpc]}", want: []string{"depends-on:plat-ue1-prod-vpc"}},
		{
			name: "missing target", settings: "depends_on: {1: {component: nope}}",
			fragments: []string{devStack, "components.terraform.c.settings.depends_on.1", `"plat-ue1-dev-nope"`},
		},
		{
			name: "missing target in another stack", settings: "depends_on: {1: {component: vpc, stage: qa}}",
			fragments: []string{"settings.depends_on.1", `"plat-ue1-qa-vpc"`},
		},
		{name: "not a map", settings: "depends_on: [vpc]", fragments: []string{"components.terraform.c.settings.depends_on", "want a mapping"}},
		{name: "a field that is not a string", settings: "depends_on: {1: {component: vpc, stage: 1}}", fragments: []string{"settings.depends_on.1.stage", "want a string"}},
		{name: "legacy: missing", settings: "spacelift: {workspace_enabled: true, depends_on: [nope]}", fragments: []string{"settings.spacelift.depends_on", `"nope" is neither`}},
		{name: "legacy: not a list", settings: "spacelift: {workspace_enabled: true, depends_on: vpc}", fragments: []string{"settings.spacelift.depends_on", "want a list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{
				"stacks/orgs/plat/prod.yaml": prod,
				devStack:                     ctxDev + "components:\n  terraform:\n    vpc: {}\n    eks/cluster: {}\n    c:\n      settings: " + "{" + tt.settings + "}",
			}
			recs, err := Expand(tree(files), Options{})
			if tt.fragments != nil {
				wantError(t, err, tt.fragments...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range record(t, recs, "plat-ue1-dev-c").Labels {
				if len(l) > 11 && l[:11] == "depends-on:" {
					got = append(got, l)
				}
			}
			eq(t, "depends-on labels", got, tt.want)
		})
	}
}

func TestValueErrors(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		fragments []string
	}{
		{
			name: "workspace_enabled not a bool, in a catalog",
			files: map[string]string{
				"stacks/catalog/c.yaml": "components: {terraform: {c: {settings: {spacelift: {workspace_enabled: 'yes'}}}}}",
				devStack:                "import: [catalog/c]\n" + ctxDev,
			},
			fragments: []string{"stacks/catalog/c.yaml: components.terraform.c.settings.spacelift.workspace_enabled: want a boolean, got string \"yes\"", `component "c" of stack manifest "orgs/plat/dev"`},
		},
		{
			name: "workspace_enabled not a bool, in a terraform section",
			files: map[string]string{
				"stacks/orgs/plat/_defaults.yaml": "terraform: {settings: {spacelift: {workspace_enabled: 1}}}",
				devStack:                          "import: [orgs/plat/_defaults]\nvars: {tenant: plat, environment: ue1, stage: dev}\ncomponents: {terraform: {c: {}}}",
			},
			fragments: []string{"stacks/orgs/plat/_defaults.yaml: terraform.settings.spacelift.workspace_enabled: want a boolean, got int 1"},
		},
		{
			name: "workspace_enabled not a bool, in an abstract base",
			files: map[string]string{
				devStack: "vars: {tenant: plat, environment: ue1, stage: dev}\ncomponents: {terraform: {b: {metadata: {type: abstract}, settings: {spacelift: {workspace_enabled: null}}}}}",
			},
			fragments: []string{devStack + ": components.terraform.b.settings.spacelift.workspace_enabled: want a boolean, got null"},
		},
		{
			name:      "settings.spacelift not a map",
			files:     map[string]string{devStack: "vars: {tenant: plat, environment: ue1, stage: dev}\nsettings: {spacelift: [x]}\ncomponents: {terraform: {c: {}}}"},
			fragments: []string{devStack + ": settings.spacelift: want a mapping"},
		},
		{
			name:      "administrative not a bool",
			files:     map[string]string{devStack: ctxDev + "components: {terraform: {c: {settings: {spacelift: {administrative: 'true'}}}}}"},
			fragments: []string{"components.terraform.c.settings.spacelift.administrative: want a boolean"},
		},
		{
			name:      "labels not strings",
			files:     map[string]string{devStack: ctxDev + "components: {terraform: {c: {settings: {spacelift: {labels: [a, {b: c}]}}}}}"},
			fragments: []string{"components.terraform.c.settings.spacelift.labels: item 1: want a string"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Expand(tree(tt.files), Options{})
			wantError(t, err, tt.fragments...)
		})
	}
}

func TestDuplicateNames(t *testing.T) {
	_, err := Expand(tree(map[string]string{devStack: ctxDev + `
components:
  terraform:
    a: {settings: {spacelift: {stack_name: same}}}
    b: {settings: {spacelift: {stack_name: same}}}
`}), Options{})
	wantError(t, err, `duplicate Spacelift stack name "same"`, `component "a"`, `component "b"`, devStack)

	// Two files resolving to the same stack name.
	_, err = Expand(tree(map[string]string{
		"stacks/orgs/plat/dev.yaml":   ctxDev + "components: {terraform: {vpc: {}}}",
		"stacks/orgs/plat/dev-2.yaml": ctxDev + "components: {terraform: {vpc: {}}}",
	}), Options{})
	wantError(t, err, `duplicate Spacelift stack name "plat-ue1-dev-vpc"`, "stacks/orgs/plat/dev.yaml", "stacks/orgs/plat/dev-2.yaml")

	// Disabled duplicates do not count.
	mustExpand(t, map[string]string{devStack: ctxDev + `
components:
  terraform:
    a: {settings: {spacelift: {stack_name: same}}}
    b: {metadata: {enabled: false}, settings: {spacelift: {stack_name: same}}}
`})
}

func TestOverrides(t *testing.T) {
	files := map[string]string{
		"stacks/catalog/a.yaml": "components: {terraform: {a: {vars: {o: catalog, t: catalog}}}}",
		"stacks/catalog/b.yaml": "components: {terraform: {b: {vars: {o: catalog}}}}",
		"stacks/teams/a.yaml": `
import: [catalog/a]
overrides: {vars: {o: team-a, t: team-a}}
terraform: {overrides: {vars: {t: team-a-terraform}}}
`,
		"stacks/teams/b.yaml": "import: [catalog/b]",
		devStack:              "import: [teams/a, teams/b]\n" + ctxDev + "components: {terraform: {s: {vars: {o: stack}}}}",
	}
	recs := mustExpand(t, files)
	eq(t, "a.o (team a's overrides)", record(t, recs, "plat-ue1-dev-a").Vars["o"], "team-a")
	eq(t, "a.t (terraform overrides win over global ones)", record(t, recs, "plat-ue1-dev-a").Vars["t"], "team-a-terraform")
	// atmos hands the overrides of an imported file back to its importer:
	// they apply to the importer's own components and to every later import.
	eq(t, "b.o (imported after team a)", record(t, recs, "plat-ue1-dev-b").Vars["o"], "team-a")
	eq(t, "s.o (defined by the importer)", record(t, recs, "plat-ue1-dev-s").Vars["o"], "team-a")

	files[devStack] = "import: [teams/b, teams/a]\n" + ctxDev + "components: {terraform: {s: {vars: {o: stack}}}}"
	recs = mustExpand(t, files)
	eq(t, "b.o (imported before team a)", record(t, recs, "plat-ue1-dev-b").Vars["o"], "catalog")

	files[devStack] = "import: [teams/a, teams/b]\n" + ctxDev + "components: {terraform: {s: {vars: {o: stack}}}}"

	files[devStack] = "import: [teams/a, teams/b]\n" + ctxDev + "overrides: {vars: {o: stack-override}}\ncomponents: {terraform: {s: {vars: {o: stack}}}}"
	recs = mustExpand(t, files)
	for _, n := range []string{"plat-ue1-dev-a", "plat-ue1-dev-b", "plat-ue1-dev-s"} {
		eq(t, n+" o (the importer's overrides win)", record(t, recs, n).Vars["o"], "stack-override")
	}
}

func TestRecordFields(t *testing.T) {
	recs := mustExpand(t, map[string]string{
		"atmos.yaml": testAtmosYAML + "env: {FROM_ATMOS: atmos, OVERRIDDEN: atmos}\n",
		devStack: ctx("dev", "region: us-east-1", "tags: {team: platform, cost: 12, on: true}") + `
env: {OVERRIDDEN: stack}
components:
  terraform:
    admin:
      metadata: {component: spacelift/admin-stack}
      settings: {spacelift: {administrative: true, root_administrative: true}}
    plain:
      vars: {tags: null}
`,
	})
	r := record(t, recs, "plat-ue1-dev-admin")
	eq(t, "context", []string{r.Namespace, r.Tenant, r.Environment, r.Stage, r.Region}, []string{"acme", "plat", "ue1", "dev", "us-east-1"})
	eq(t, "tags", r.Tags, map[string]string{"team": "platform"})
	eq(t, "administrative", []bool{r.Administrative, r.RootAdministrative}, []bool{true, true})
	eq(t, "component", []string{r.Component, r.BaseComponent, r.Stack, r.Workspace}, []string{"admin", "spacelift/admin-stack", "plat-ue1-dev", "plat-ue1-dev-admin"})
	eq(t, "env", r.Env, map[string]any{"FROM_ATMOS": "atmos", "OVERRIDDEN": "stack"})
	eq(t, "metadata", r.Metadata, map[string]any{"component": "spacelift/admin-stack"})

	p := record(t, recs, "plat-ue1-dev-plain")
	eq(t, "tags when vars.tags is null", p.Tags, map[string]string(nil))
	eq(t, "administrative", []bool{p.Administrative, p.RootAdministrative}, []bool{false, false})

	// Records do not share maps.
	r.Vars["tenant"] = "changed"
	r.Settings["spacelift"].(map[string]any)["administrative"] = false
	eq(t, "other record's tenant", p.Vars["tenant"], "plat")
	again := record(t, mustExpand(t, map[string]string{devStack: ctxDev + "components: {terraform: {plain: {}}}"}), "plat-ue1-dev-plain")
	eq(t, "fresh expansion", again.Vars["tenant"], "plat")
}

func TestCustomTagsAreKept(t *testing.T) {
	r := record(t, mustExpand(t, map[string]string{devStack: ctxDev + `components: {terraform: {c: {vars: {vpc_id: !terraform.output vpc vpc_id}}}}`}), "plat-ue1-dev-c")
	eq(t, "vars.vpc_id", r.Vars["vpc_id"], "!terraform.output vpc vpc_id")
}

func TestOptions(t *testing.T) {
	stack := map[string]string{devStack: ctxDev + "components: {terraform: {c: {}}}"}

	t.Run("overrides replace atmos.yaml", func(t *testing.T) {
		files := map[string]string{
			"atmos.yaml": "stacks: {base_path: elsewhere, included_paths: ['none/*'], name_pattern: '{stage}'}\n",
			devStack:     stack[devStack],
		}
		recs, err := Expand(tree(files), Options{Overrides: Settings{
			BasePath: "stacks", IncludedPaths: []string{"orgs/**/*"}, NamePattern: "{tenant}-{environment}-{stage}",
		}})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "names", names(recs), []string{"plat-ue1-dev-c"})
	})
	t.Run("no atmos.yaml", func(t *testing.T) {
		files := map[string]string{"atmos.yaml": "", devStack: stack[devStack]}
		recs, err := Expand(tree(files), Options{Overrides: Settings{BasePath: "stacks", IncludedPaths: []string{"orgs/**/*"}}})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "names", names(recs), []string{"orgs-plat-dev-c"})
	})
	t.Run("explicit config file missing", func(t *testing.T) {
		_, err := Expand(tree(stack), Options{ConfigFile: "infra/atmos.yaml"})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("err = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("paths are relative to atmos.yaml", func(t *testing.T) {
		files := map[string]string{
			"atmos.yaml":               "",
			"infra/atmos.yaml":         "base_path: ./config\nstacks: {base_path: stacks, included_paths: ['orgs/**/*'], name_pattern: '{tenant}-{environment}-{stage}'}\n",
			"infra/config/" + devStack: stack[devStack],
		}
		recs, err := Expand(tree(files), Options{ConfigFile: "infra/atmos.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "file", recs[0].File, "infra/config/stacks/orgs/plat/dev.yaml")
		eq(t, "stack file", recs[0].StackFile, "orgs/plat/dev")
	})
	t.Run("a path that leaves the tree and comes back resolves through RepoPath", func(t *testing.T) {
		files := map[string]string{
			"atmos.yaml":       "base_path: ../..\nstacks: {base_path: scenarios/acme/stacks, included_paths: ['orgs/**/*'], name_pattern: '{tenant}-{environment}-{stage}'}\n",
			devStack:           ctxDev + "components: {terraform: {c: {settings: {extra: !include scenarios/acme/stacks/tags.yaml}}}}",
			"stacks/tags.yaml": "team: platform\n",
		}
		recs, err := Expand(tree(files), Options{RepoPath: "/scenarios/acme/"})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "file", recs[0].File, "stacks/orgs/plat/dev.yaml")
		eq(t, "included", recs[0].Settings["extra"], any(map[string]any{"team": "platform"}))

		// Without RepoPath (a ConfigMap tree, or the whole repository) the
		// same path leaves the tree.
		for _, c := range []struct {
			repoPath, want string
		}{
			{"", `stacks base path "../../scenarios/acme/stacks" is not a path inside the tree`},
			// Elsewhere in the repository: outside the directory read.
			{"scenarios/other", `stacks base path "../../scenarios/acme/stacks" resolves to "scenarios/acme/stacks" in the repository, outside the directory read from it ("scenarios/other")`},
		} {
			_, err := Expand(tree(files), Options{RepoPath: c.repoPath})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("RepoPath %q: error %v, want %q", c.repoPath, err, c.want)
			}
		}
	})
	t.Run("invalid settings", func(t *testing.T) {
		for _, s := range []Settings{
			{BasePath: "stacks"},
			{BasePath: "../stacks", IncludedPaths: []string{"*"}},
			{BasePath: "stacks", IncludedPaths: []string{"*"}, ListMergeStrategy: "prepend"},
			{BasePath: "stacks", IncludedPaths: []string{"*"}, StackConfigPathTemplate: "no-verb"},
			{BasePath: "stacks", IncludedPaths: []string{"orgs/[*"}},
			{BasePath: "stacks", IncludedPaths: []string{"*"}, NameTemplate: "{{ .vars"},
		} {
			if _, err := ExpandSettings(tree(stack), s); err == nil {
				t.Errorf("ExpandSettings(%+v) succeeded", s)
			}
		}
	})
}

func TestLoadSettings(t *testing.T) {
	no := false
	fsys := tree(map[string]string{"atmos.yaml": `
base_path: ./infra
components:
  terraform:
    base_path: components/terraform
    workspaces_enabled: false
stacks:
  base_path: stacks
  included_paths: ["orgs/**/*"]
  excluded_paths: ["**/_defaults.yaml"]
  name_pattern: "{tenant}-{environment}-{stage}"
  name_template: "{{ .vars.stage }}"
  inherit: {metadata: false}
settings: {list_merge_strategy: append}
env: {A: b}
logs: {level: Info}
`})
	got, err := LoadSettings(fsys, "atmos.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "settings", got, Settings{
		BasePath:            "infra/stacks",
		IncludedPaths:       []string{"orgs/**/*"},
		ExcludedPaths:       []string{"**/_defaults.yaml"},
		NamePattern:         "{tenant}-{environment}-{stage}",
		NameTemplate:        "{{ .vars.stage }}",
		ListMergeStrategy:   "append",
		Root:                "infra",
		WorkspacesEnabled:   &no,
		MetadataInheritance: &no,
		Env:                 map[string]string{"A": "b"},
	})
	if _, err := LoadSettings(tree(map[string]string{"atmos.yaml": "stacks: [\n"}), "atmos.yaml"); err == nil {
		t.Error("LoadSettings of invalid YAML succeeded")
	}
	if _, err := LoadSettings(tree(map[string]string{"atmos.yaml": "base_path: /abs\n"}), "atmos.yaml"); err == nil {
		t.Error("LoadSettings with an absolute base_path succeeded")
	}
}

func TestErrorFields(t *testing.T) {
	_, err := Expand(tree(map[string]string{
		"stacks/catalog/c.yaml": "components: {terraform: {c: {settings: {spacelift: {workspace_enabled: 'yes'}}}}}",
		devStack:                "import: [catalog/c]\n" + ctxDev,
	}), Options{})
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an *Error", err)
	}
	eq(t, "error fields", []string{ae.File, ae.Key, ae.StackFile, ae.Component},
		[]string{"stacks/catalog/c.yaml", "components.terraform.c.settings.spacelift.workspace_enabled", "orgs/plat/dev", "c"})
}

func TestDeterministic(t *testing.T) {
	fsys := GenerateTree(57)
	first, err := Expand(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := Expand(fsys, Options{})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "records", again, first)
	}
	for i := 1; i < len(first); i++ {
		if first[i-1].Name >= first[i].Name {
			t.Fatalf("records not sorted by name: %q before %q", first[i-1].Name, first[i].Name)
		}
	}
}
