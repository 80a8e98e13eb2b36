package emulator

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/graph-gophers/graphql-go"
)

// rootResolver serves both Query and Mutation.
type rootResolver struct{ s *Server }

// authorized is false for a request without a valid token. serveGraphQL
// answers those before execution unless they select only viewer or
// introspection; locked checks again, so that no resolver depends on that.
func authorized(ctx context.Context) bool { return info(ctx).authenticated }

type viewerView struct {
	ID   graphql.ID
	Name string
}

func (r *rootResolver) Viewer(ctx context.Context) *viewerView {
	ri := info(ctx)
	if !ri.authenticated {
		return nil
	}
	return &viewerView{ID: graphql.ID(ri.subject), Name: ri.subject}
}

// debugInfoView is the DebugInfo type; the emulator stands in for the SaaS,
// which reports no self-hosted version.
type debugInfoView struct {
	SelfHostedVersion *string
}

// DebugInfo resolves debugInfo. It needs a token, as on the real service.
func (r *rootResolver) DebugInfo(ctx context.Context) (*debugInfoView, error) {
	return locked(ctx, r.s, func() (*debugInfoView, error) { return &debugInfoView{}, nil })
}

func (r *rootResolver) Stack(ctx context.Context, args idArg) (*stackView, error) {
	return findObject(ctx, r.s, stackObjects, args.ID, r.s.stackViewLocked)
}

func (r *rootResolver) Stacks(ctx context.Context) ([]*stackView, error) {
	return listObjects(ctx, r.s, stackObjects, r.s.stackViewLocked)
}

type runStackArgs struct{ RunID graphql.ID }

// errRunNotFound is the error text spacectl looks for to tell a missing
// run from a failed request.
var errRunNotFound = errors.New("not found")

// RunStack finds the stack a run belongs to.
func (r *rootResolver) RunStack(ctx context.Context, args runStackArgs) (*stackView, error) {
	return findBy(ctx, r.s, func(st *state) (*stackRecord, bool) {
		run, ok := st.Runs[args.RunID]
		if !ok {
			return nil, false
		}
		rec, ok := st.Stacks[run.StackID]
		return rec, ok
	}, errRunNotFound, r.s.stackViewLocked)
}

type searchArgs struct{ Input searchInput }

type searchInput struct {
	First          *int32
	After          *string
	FullTextSearch *string
	Predicates     *[]queryPredicate
	OrderBy        *queryOrder
}

type queryPredicate struct {
	Field      string
	Constraint queryFieldConstraint
	Exclude    *bool
}

type queryFieldConstraint struct {
	BooleanEquals *[]bool
	EnumEquals    *[]string
	StringMatches *[]string
}

type queryOrder struct {
	Field     string
	Direction string
}

type pageInfo struct {
	EndCursor       *string
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
}

// searchField extracts the searchable values of one field of an item;
// isBool marks fields that take booleanEquals.
type searchField[T any] struct {
	strings func(T) []string
	boolean func(T) bool
}

var stackSearchFields = map[string]searchField[*stackRecord]{
	"id":             {strings: func(s *stackRecord) []string { return []string{string(s.ID)} }},
	"name":           {strings: func(s *stackRecord) []string { return []string{s.Name} }},
	"label":          {strings: func(s *stackRecord) []string { return s.Labels }},
	"space":          {strings: func(s *stackRecord) []string { return []string{string(s.Space)} }},
	"state":          {strings: func(s *stackRecord) []string { return []string{s.State} }},
	"branch":         {strings: func(s *stackRecord) []string { return []string{s.Branch} }},
	"repository":     {strings: func(s *stackRecord) []string { return []string{s.Repository} }},
	"projectRoot":    {strings: func(s *stackRecord) []string { return []string{deref(s.ProjectRoot)} }},
	"workerPool":     {strings: func(s *stackRecord) []string { return []string{string(derefID(s.WorkerPoolID))} }},
	"administrative": {boolean: func(s *stackRecord) bool { return s.Administrative }},
	"autodeploy":     {boolean: func(s *stackRecord) bool { return s.Autodeploy }},
	"locked":         {boolean: func(s *stackRecord) bool { return s.LockedBy != nil }},
	"starred":        {boolean: func(s *stackRecord) bool { return s.Starred }},
	"isDisabled":     {boolean: func(s *stackRecord) bool { return s.IsDisabled }},
	"deleting":       {boolean: func(s *stackRecord) bool { return s.Deleting }},
	"driftDetection": {boolean: func(s *stackRecord) bool { return s.Drift != nil }},
	"commit": {strings: func(s *stackRecord) []string {
		if s.TrackedCommit == nil {
			return nil
		}
		return []string{s.TrackedCommit.Hash}
	}},
	// The spacelift_stacks data source filters on the IaC vendor; its value
	// names are not public, so both the spelling spacectl shows (Terraform)
	// and the enum-like one (TERRAFORM) match.
	"vendor": {strings: func(s *stackRecord) []string {
		name := vendorName(s.Vendor)
		return []string{name, strings.ToUpper(name)}
	}},
}

// vendorName is the vendor as spacectl shows it: the StackConfigVendor
// member without its prefix.
func vendorName(v vendorConfig) string {
	switch {
	case v.Ansible != nil:
		return "Ansible"
	case v.CloudFormation != nil:
		return "CloudFormation"
	case v.Kubernetes != nil:
		return "Kubernetes"
	case v.OpenTofu != nil:
		return "OpenTofu"
	case v.Pulumi != nil:
		return "Pulumi"
	case v.Terragrunt != nil:
		return "Terragrunt"
	}
	return "Terraform"
}

// searchable is how a search* query filters and orders the items of one
// kind.
type searchable[T any] struct {
	// fields are what predicates may name.
	fields map[string]searchField[T]
	// orders are what orderBy may name; another field leaves the order by id.
	orders map[string]func(a, b T) int
	id     func(T) graphql.ID
	// text is what a full-text search looks in.
	text func(T) string
}

var stackSearch = searchable[*stackRecord]{
	fields: stackSearchFields,
	orders: map[string]func(a, b *stackRecord) int{
		"name":      by(func(s *stackRecord) string { return s.Name }),
		"createdAt": by(func(s *stackRecord) int32 { return s.CreatedAt }),
		"state":     by(func(s *stackRecord) string { return s.State }),
		"starred":   func(a, b *stackRecord) int { return compareBool(a.Starred, b.Starred) },
	},
	id: func(s *stackRecord) graphql.ID { return s.ID },
	text: func(s *stackRecord) string {
		return strings.Join(append([]string{string(s.ID), s.Name, deref(s.Description)}, s.Labels...), " ")
	},
}

var policySearch = spacedSearch(func(*policyData) []string { return nil }).with(map[string]searchField[*policyData]{
	"type": {strings: func(p *policyData) []string { return []string{p.Type} }},
}, nil)

// spacedSearch is the search of objects in a space: predicates on id, name,
// label and space, ordered by name or createdAt, and a full-text search in
// the id, name, what more says and the labels.
func spacedSearch[T interface{ common() *spaced }](more func(T) []string) searchable[T] {
	return searchable[T]{
		fields: map[string]searchField[T]{
			"id":    {strings: func(o T) []string { return []string{string(o.common().ID)} }},
			"name":  {strings: func(o T) []string { return []string{o.common().Name} }},
			"label": {strings: func(o T) []string { return o.common().Labels }},
			"space": {strings: func(o T) []string { return []string{string(o.common().Space)} }},
		},
		orders: map[string]func(a, b T) int{
			"name":      by(func(o T) string { return o.common().Name }),
			"createdAt": by(func(o T) int32 { return o.common().CreatedAt }),
		},
		id: func(o T) graphql.ID { return o.common().ID },
		text: func(o T) string {
			c := o.common()
			return strings.Join(slices.Concat([]string{string(c.ID), c.Name}, more(o), c.Labels), " ")
		},
	}
}

// with adds predicate fields and orders to a search.
func (s searchable[T]) with(fields map[string]searchField[T], orders map[string]func(a, b T) int) searchable[T] {
	s.fields, s.orders = maps.Clone(s.fields), maps.Clone(s.orders)
	maps.Copy(s.fields, fields)
	maps.Copy(s.orders, orders)
	return s
}

// by orders items by the key it takes from each.
func by[T any, K cmp.Ordered](key func(T) K) func(a, b T) int {
	return func(a, b T) int { return cmp.Compare(key(a), key(b)) }
}

// matchPredicate applies one predicate. stringMatches takes globs (* and ?);
// enumEquals and booleanEquals compare exactly. A list matches when any value
// matches.
func matchPredicate[T any](fields map[string]searchField[T], item T, p queryPredicate) (bool, error) {
	f, ok := fields[p.Field]
	if !ok {
		return false, fmt.Errorf("unsupported search field %q", p.Field)
	}
	var hit bool
	c := p.Constraint
	switch {
	case c.BooleanEquals != nil:
		if f.boolean == nil {
			return false, fmt.Errorf("field %q does not take booleanEquals", p.Field)
		}
		hit = slices.Contains(*c.BooleanEquals, f.boolean(item))
	case c.EnumEquals != nil, c.StringMatches != nil:
		if f.strings == nil {
			return false, fmt.Errorf("field %q takes booleanEquals", p.Field)
		}
		values := f.strings(item)
		if c.EnumEquals != nil {
			hit = slices.ContainsFunc(*c.EnumEquals, func(want string) bool { return slices.Contains(values, want) })
		} else {
			hit = slices.ContainsFunc(*c.StringMatches, func(pattern string) bool {
				return slices.ContainsFunc(values, func(v string) bool { return globMatch(pattern, v) })
			})
		}
	default:
		return false, fmt.Errorf("predicate on %q has no constraint", p.Field)
	}
	if p.Exclude != nil && *p.Exclude {
		hit = !hit
	}
	return hit, nil
}

func globMatch(pattern, v string) bool {
	if !strings.ContainsAny(pattern, "*?[") {
		return pattern == v
	}
	ok, err := path.Match(pattern, v)
	return err == nil && ok
}

const defaultPageSize = 50

// edge and connection are the answer of a search* query.
type edge[V any] struct {
	Cursor string
	Node   V
}

type connection[V any] struct {
	Edges    []*edge[V]
	PageInfo pageInfo
}

// searchPage is page for a search* query: the page's items as views.
func searchPage[T, V any](in searchInput, items []T, how searchable[T], view func(T) V) (*connection[V], error) {
	got, cursors, pi, err := page(in, items, how)
	if err != nil {
		return nil, err
	}
	conn := &connection[V]{Edges: make([]*edge[V], len(got)), PageInfo: pi}
	for i, it := range got {
		conn.Edges[i] = &edge[V]{Cursor: cursors[i], Node: view(it)}
	}
	return conn, nil
}

// page filters, orders and cuts items the way Spacelift's search* queries do.
func page[T any](in searchInput, items []T, how searchable[T]) ([]T, []string, pageInfo, error) {
	id := how.id
	var kept []T
	for _, it := range items {
		ok := true
		if in.FullTextSearch != nil && *in.FullTextSearch != "" {
			ok = strings.Contains(strings.ToLower(how.text(it)), strings.ToLower(*in.FullTextSearch))
		}
		if in.Predicates != nil {
			for _, p := range *in.Predicates {
				if !ok {
					break
				}
				hit, err := matchPredicate(how.fields, it, p)
				if err != nil {
					return nil, nil, pageInfo{}, err
				}
				ok = hit
			}
		}
		if ok {
			kept = append(kept, it)
		}
	}
	field, desc := "id", false
	if in.OrderBy != nil {
		field, desc = in.OrderBy.Field, in.OrderBy.Direction == "DESC"
	}
	less := how.orders[field]
	if less == nil {
		less = func(T, T) int { return 0 }
	}
	order := func(a, b T) int {
		c := cmp.Or(less(a, b), cmp.Compare(id(a), id(b)))
		if desc {
			return -c
		}
		return c
	}
	slices.SortStableFunc(kept, order)
	start := 0
	if in.After != nil && *in.After != "" {
		raw, err := base64.RawURLEncoding.DecodeString(*in.After)
		if err != nil {
			return nil, nil, pageInfo{}, fmt.Errorf("invalid cursor %q", *in.After)
		}
		// The cursor's item may no longer match the predicates (its labels
		// changed between two pages); the page then starts after where it
		// sorts. A cursor of an item that is gone altogether is refused.
		at := slices.IndexFunc(items, func(t T) bool { return string(id(t)) == string(raw) })
		if at < 0 {
			return nil, nil, pageInfo{}, fmt.Errorf("invalid cursor %q", *in.After)
		}
		start = len(kept)
		if i := slices.IndexFunc(kept, func(t T) bool { return order(t, items[at]) > 0 }); i >= 0 {
			start = i
		}
	}
	size := defaultPageSize
	if in.First != nil {
		if *in.First < 0 {
			return nil, nil, pageInfo{}, fmt.Errorf("first must not be negative")
		}
		size = int(*in.First)
	}
	end := min(start+size, len(kept))
	out := kept[start:end]
	cursors := make([]string, len(out))
	for i, it := range out {
		cursors[i] = base64.RawURLEncoding.EncodeToString([]byte(id(it)))
	}
	pi := pageInfo{HasNextPage: end < len(kept), HasPreviousPage: start > 0}
	if len(cursors) > 0 {
		pi.StartCursor, pi.EndCursor = &cursors[0], &cursors[len(cursors)-1]
	}
	return out, cursors, pi, nil
}

func (r *rootResolver) SearchStacks(ctx context.Context, args searchArgs) (*connection[*stackView], error) {
	return searchObjects(ctx, r.s, stackObjects, args.Input, stackSearch, r.s.stackViewLocked)
}

func (r *rootResolver) Policy(ctx context.Context, args idArg) (*policyView, error) {
	return findObject(ctx, r.s, policyObjects, args.ID, r.s.policyViewLocked)
}

func (r *rootResolver) Policies(ctx context.Context) ([]*policyView, error) {
	return listObjects(ctx, r.s, policyObjects, r.s.policyViewLocked)
}

func (r *rootResolver) SearchPolicies(ctx context.Context, args searchArgs) (*connection[*policyView], error) {
	return searchObjects(ctx, r.s, policyObjects, args.Input, policySearch, r.s.policyViewLocked)
}

func (r *rootResolver) Space(ctx context.Context, args idArg) (*spaceData, error) {
	return findObject(ctx, r.s, spaceObjects, args.ID, r.s.spaceViewLocked)
}

func (r *rootResolver) Spaces(ctx context.Context) ([]*spaceData, error) {
	return listObjects(ctx, r.s, spaceObjects, r.s.spaceViewLocked)
}

func (r *rootResolver) WorkerPool(ctx context.Context, args idArg) (*workerPoolView, error) {
	return findObject(ctx, r.s, workerPoolObjects, args.ID, r.s.workerPoolViewLocked)
}

func (r *rootResolver) WorkerPools(ctx context.Context) ([]*workerPoolView, error) {
	return listObjects(ctx, r.s, workerPoolObjects, r.s.workerPoolViewLocked)
}

func (r *rootResolver) Context(ctx context.Context, args idArg) (*contextView, error) {
	return findObject(ctx, r.s, contextObjects, args.ID, r.s.contextViewLocked)
}

func (r *rootResolver) Contexts(ctx context.Context) ([]*contextView, error) {
	return listObjects(ctx, r.s, contextObjects, r.s.contextViewLocked)
}

func (s *Server) awsViewLocked(in *awsIntegration) *awsIntegrationView {
	c := *in
	c.Labels = cloneStrings(c.Labels)
	return &awsIntegrationView{awsIntegration: c, s: s}
}

func (r *rootResolver) AwsIntegration(ctx context.Context, args idArg) (*awsIntegrationView, error) {
	return findObject(ctx, r.s, awsObjects, args.ID, r.s.awsViewLocked)
}

func (r *rootResolver) AwsIntegrations(ctx context.Context) ([]*awsIntegrationView, error) {
	return listObjects(ctx, r.s, awsObjects, r.s.awsViewLocked)
}

func (s *Server) roleViewLocked(role *roleData) *roleView {
	c := *role
	c.Actions = cloneStrings(c.Actions)
	return &roleView{roleData: c, s: s}
}

func (r *rootResolver) Role(ctx context.Context, args idArg) (*roleView, error) {
	return findObject(ctx, r.s, roleObjects, args.ID, r.s.roleViewLocked)
}

func (r *rootResolver) Roles(ctx context.Context) ([]*roleView, error) {
	return listObjects(ctx, r.s, roleObjects, r.s.roleViewLocked)
}

func (r *rootResolver) StackRoleBinding(ctx context.Context, args idArg) (*roleBindingView, error) {
	return findObject(ctx, r.s, roleBindingObjects, args.ID, r.s.roleBindingViewLocked)
}

// sortedValues returns map values ordered by key.
func sortedValues[V any](m map[graphql.ID]V) []V {
	keys := make([]graphql.ID, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]V, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func derefID(p *graphql.ID) graphql.ID {
	if p == nil {
		return ""
	}
	return *p
}
