package atmos

import (
	"fmt"
	"strings"
	"testing/fstest"
)

// generatedKinds is the number of component kinds in a generated catalog;
// every generated stack holds one instance of each (the last one fewer).
const generatedKinds = 10

// GenerateTree returns a synthetic atmos tree whose expansion yields exactly
// n records (n >= 1), for benchmarks and load tests. It has the shape of a real
// repository: a catalog with an abstract base and a concrete component per
// kind, region and stage mixins, organization and tenant _defaults, and
// stacks orgs/acme/<tenant>/<stage>/<region>.yaml of ten instances each
// that import all of it and set a few vars. Every instance but the first
// kind depends on the first kind's instance in its stack (settings.depends_on).
func GenerateTree(n int) fstest.MapFS {
	fsys := fstest.MapFS{}
	put := func(name, body string) { fsys[name] = &fstest.MapFile{Data: []byte(body)} }

	put("atmos.yaml", `base_path: "."
stacks:
  base_path: stacks
  included_paths: ["orgs/**/*"]
  excluded_paths: ["**/_defaults.yaml"]
  name_pattern: "{tenant}-{environment}-{stage}"
`)
	put("stacks/orgs/acme/_defaults.yaml", `vars:
  namespace: acme
terraform:
  vars:
    label_order: [namespace, tenant, environment, stage, name, attributes]
  backend_type: s3
  backend:
    s3:
      bucket: acme-tfstate
      region: us-east-2
  settings:
    spacelift:
      workspace_enabled: true
      autodeploy: false
`)
	regions := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2"}
	envs := []string{"ue1", "ue2", "uw1", "uw2"}
	stages := []string{"dev", "staging", "prod"}
	for i, r := range regions {
		put("stacks/mixins/region/"+r+".yaml", fmt.Sprintf("vars:\n  region: %s\n  environment: %s\n", r, envs[i]))
	}
	for _, s := range stages {
		put("stacks/mixins/stage/"+s+".yaml", fmt.Sprintf("vars:\n  stage: %s\n", s))
	}
	for k := range generatedKinds {
		var b strings.Builder
		fmt.Fprintf(&b, `components:
  terraform:
    c%[1]d/defaults:
      metadata:
        type: abstract
        component: c%[1]d
      settings:
        spacelift:
          labels: [kind-%[1]d]
`, k)
		if k > 0 {
			b.WriteString("        depends_on:\n          1:\n            component: c0\n")
		}
		fmt.Fprintf(&b, `      vars:
        enabled: true
        name: c%[1]d
        size: %[1]d
        zones: [a, b, c]
        tags:
          kind: c%[1]d
    c%[1]d:
      metadata:
        component: c%[1]d
        inherits: [c%[1]d/defaults]
`, k)
		put(fmt.Sprintf("stacks/catalog/c%d.yaml", k), b.String())
	}

	stacks := (n + generatedKinds - 1) / generatedKinds
	for s := range stacks {
		region := s % len(regions)
		stage := (s / len(regions)) % len(stages)
		tenant := fmt.Sprintf("t%d", s/(len(regions)*len(stages)))
		kinds := generatedKinds
		if s == stacks-1 && n%generatedKinds != 0 {
			kinds = n % generatedKinds
		}
		tdir := "stacks/orgs/acme/" + tenant
		if _, ok := fsys[tdir+"/_defaults.yaml"]; !ok {
			put(tdir+"/_defaults.yaml", fmt.Sprintf("import:\n  - orgs/acme/_defaults\nvars:\n  tenant: %s\n  tags:\n    tenant: %s\n", tenant, tenant))
		}
		sdir := tdir + "/" + stages[stage]
		if _, ok := fsys[sdir+"/_defaults.yaml"]; !ok {
			put(sdir+"/_defaults.yaml", fmt.Sprintf("import:\n  - orgs/acme/%s/_defaults\n  - mixins/stage/%s\n", tenant, stages[stage]))
		}
		var b strings.Builder
		fmt.Fprintf(&b, "import:\n  - orgs/acme/%s/%s/_defaults\n  - mixins/region/%s\n", tenant, stages[stage], regions[region])
		for k := range kinds {
			fmt.Fprintf(&b, "  - catalog/c%d\n", k)
		}
		b.WriteString("components:\n  terraform:\n")
		for k := range kinds {
			fmt.Fprintf(&b, "    c%d:\n      vars:\n        size: %d\n        cidr: 10.%d.%d.0/24\n", k, s+k, s%256, k)
		}
		put(fmt.Sprintf("%s/%s.yaml", sdir, regions[region]), b.String())
	}
	return fsys
}
