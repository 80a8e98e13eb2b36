package atmos

import "testing"

func TestFilter(t *testing.T) {
	yes, no := true, false
	records := []Record{
		{Name: "dev", Namespace: "acme", Tenant: "plat", Environment: "ue2", Stage: "dev", Tags: map[string]string{"team": "platform"}},
		{Name: "root", Namespace: "acme", Tenant: "core", Environment: "gbl", Stage: "auto", Administrative: true, RootAdministrative: true},
		{Name: "prod", Namespace: "acme", Tenant: "plat", Environment: "uw2", Stage: "prod", Tags: map[string]string{"team": "data", "tier": "1"}},
		{Name: "admin", Namespace: "acme", Tenant: "core", Environment: "gbl", Stage: "auto", Administrative: true, Tags: map[string]string{}},
		{Name: "bare"},
	}
	tests := []struct {
		name    string
		include ContextFilters
		exclude ExcludedContextFilters
		want    []string
	}{
		{name: "no filters select everything", want: []string{"dev", "root", "prod", "admin", "bare"}},
		{name: "one value", include: ContextFilters{Tenants: []string{"plat"}}, want: []string{"dev", "prod"}},
		{name: "values in a list are ORed", include: ContextFilters{Stages: []string{"dev", "auto"}}, want: []string{"dev", "root", "admin"}},
		{name: "criteria are ANDed", include: ContextFilters{Tenants: []string{"plat"}, Stages: []string{"prod", "auto"}}, want: []string{"prod"}},
		{name: "namespaces", include: ContextFilters{Namespaces: []string{"other"}}, want: nil},
		{name: "environments", include: ContextFilters{Environments: []string{"ue2", "uw2"}}, want: []string{"dev", "prod"}},
		{name: "unset vars match the empty string", include: ContextFilters{Tenants: []string{""}}, want: []string{"bare"}},
		{name: "tags: one pair", include: ContextFilters{Tags: map[string]string{"team": "data"}}, want: []string{"prod"}},
		{name: "tags: at least one pair", include: ContextFilters{Tags: map[string]string{"team": "platform", "tier": "1"}}, want: []string{"dev", "prod"}},
		{name: "tags: a key with another value does not match", include: ContextFilters{Tags: map[string]string{"team": "ops"}}, want: nil},
		{name: "administrative unset selects any", include: ContextFilters{Administrative: nil}, want: []string{"dev", "root", "prod", "admin", "bare"}},
		{name: "administrative false: absent or false", include: ContextFilters{Administrative: &no}, want: []string{"dev", "prod", "bare"}},
		{name: "administrative true", include: ContextFilters{Administrative: &yes}, want: []string{"root", "admin"}},
		{name: "root_administrative true", include: ContextFilters{RootAdministrative: &yes}, want: []string{"root"}},
		{name: "root_administrative false", include: ContextFilters{RootAdministrative: &no}, want: []string{"dev", "prod", "admin", "bare"}},
		{name: "the root admin stack's filters", include: ContextFilters{Administrative: &yes, RootAdministrative: &no}, want: []string{"admin"}},
		{name: "excluded values", exclude: ExcludedContextFilters{Tenants: []string{"core"}, Environments: []string{"uw2"}}, want: []string{"dev", "bare"}},
		{name: "excluded namespaces and stages", exclude: ExcludedContextFilters{Namespaces: []string{"acme"}, Stages: []string{""}}, want: nil},
		{name: "excluded tags: any pair, records without tags stay", exclude: ExcludedContextFilters{Tags: map[string]string{"team": "platform", "tier": "1"}}, want: []string{"root", "admin", "bare"}},
		{
			name:    "include and exclude",
			include: ContextFilters{Tenants: []string{"plat", "core"}},
			exclude: ExcludedContextFilters{Tags: map[string]string{"team": "data"}, Stages: []string{"auto"}},
			want:    []string{"dev"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range Filter(records, tt.include, tt.exclude) {
				got = append(got, r.Name)
			}
			eq(t, "selected", got, tt.want)
		})
	}
}
