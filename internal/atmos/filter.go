package atmos

import "slices"

// ContextFilters select records the way the context_filters variable of
// Cloud Posse's spacelift/admin-stack component does (its
// spacelift-stacks-from-atmos-config module): within one list any value
// matches, across criteria all must match, and an empty list or map matches
// everything.
type ContextFilters struct {
	// Namespaces, Environments, Tenants and Stages list accepted values of
	// the corresponding var.
	Namespaces, Environments, Tenants, Stages []string
	// Tags accept a record when at least one pair equals an entry of its
	// vars.tags; a record without vars.tags is rejected.
	Tags map[string]string
	// Administrative: nil accepts any record, false those whose
	// settings.spacelift.administrative is absent or false, true those where
	// it is true.
	Administrative *bool
	// RootAdministrative is like Administrative for
	// settings.spacelift.root_administrative.
	RootAdministrative *bool
}

// ExcludedContextFilters reject records the way the admin-stack component's
// excluded_context_filters variable does: a record is rejected when its
// value is listed, or when any tag pair equals an entry of its vars.tags.
type ExcludedContextFilters struct {
	// Namespaces, Environments, Tenants and Stages list rejected values.
	Namespaces, Environments, Tenants, Stages []string
	// Tags reject a record when any pair matches its vars.tags.
	Tags map[string]string
}

// Match reports whether r passes the filters.
func (f ContextFilters) Match(r *Record) bool {
	return listAccepts(f.Namespaces, r.Namespace) &&
		listAccepts(f.Environments, r.Environment) &&
		listAccepts(f.Tenants, r.Tenant) &&
		listAccepts(f.Stages, r.Stage) &&
		flagAccepts(f.Administrative, r.Administrative) &&
		flagAccepts(f.RootAdministrative, r.RootAdministrative) &&
		(len(f.Tags) == 0 || anyTagMatches(f.Tags, r.Tags))
}

// Excludes reports whether the filters reject r.
func (f ExcludedContextFilters) Excludes(r *Record) bool {
	return slices.Contains(f.Namespaces, r.Namespace) ||
		slices.Contains(f.Environments, r.Environment) ||
		slices.Contains(f.Tenants, r.Tenant) ||
		slices.Contains(f.Stages, r.Stage) ||
		anyTagMatches(f.Tags, r.Tags)
}

// Filter returns the records that include matches and exclude does not
// reject, in their original order.
func Filter(records []Record, include ContextFilters, exclude ExcludedContextFilters) []Record {
	var out []Record
	for i := range records {
		if include.Match(&records[i]) && !exclude.Excludes(&records[i]) {
			out = append(out, records[i])
		}
	}
	return out
}

func listAccepts(list []string, v string) bool {
	return len(list) == 0 || slices.Contains(list, v)
}

func flagAccepts(want *bool, v bool) bool {
	return want == nil || *want == v
}

// anyTagMatches reports whether any pair of want is in have.
func anyTagMatches(want, have map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; ok && hv == v {
			return true
		}
	}
	return false
}
