package spacelift

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"

	graphql "github.com/hasura/go-graphql-client"
)

// StackSnapshot is everything the operator compares with a Stack object: the
// stack's settings, config, attachments, dependencies and drift state.
// SearchStackSnapshotPage reads it for 50 stacks in one request, so checking
// many unchanged stacks costs one request per 50 of them.
type StackSnapshot struct {
	Stack          *Stack
	Config         []ConfigElement
	Policies       []StackPolicyAttachment
	Contexts       []ContextAttachment
	Dependencies   []StackDependency
	AWSIntegration []AWSIntegrationAttachment
	Drift          StackDrift
	// LatestTrackedRun is the newest tracked run (one page of runs, up to
	// 50, is read), nil when there is none.
	LatestTrackedRun *Run
	// LatestProposedRun is the newest proposed run that is not a drift
	// detection run, nil when there is none among the newest 50.
	LatestProposedRun *Run
}

type stackSnapshotFields struct {
	stackFields
	Config           []configFields            `graphql:"config" json:"config"`
	AttachedPolicies []policyAttachmentFields  `graphql:"attachedPolicies" json:"attachedPolicies"`
	AttachedContexts []contextAttachmentFields `graphql:"attachedContexts" json:"attachedContexts"`
	DependsOn        []dependencyFields        `graphql:"dependsOn" json:"dependsOn"`
	AttachedAWS      []attachedAWSFields       `graphql:"attachedAwsIntegrations" json:"attachedAwsIntegrations"`
	ProposedRuns     []runFields               `graphql:"proposedRuns" json:"proposedRuns"`
	Runs             []runFields               `graphql:"runs" json:"runs"`
	Entities         []struct {
		Address string `graphql:"address" json:"address"`
		Drifted *int64 `graphql:"drifted" json:"drifted"`
	} `graphql:"entities" json:"entities"`
}

func (f *stackSnapshotFields) snapshot() StackSnapshot {
	st := f.stack()
	s := StackSnapshot{
		Stack:          st,
		Config:         configElements(f.Config),
		Policies:       policyAttachments(f.AttachedPolicies),
		Contexts:       contextAttachments(st.ID, f.AttachedContexts),
		Dependencies:   dependencies(st.ID, f.DependsOn),
		AWSIntegration: awsAttachments(st.ID, f.AttachedAWS),
		Drift: StackDrift{StackID: st.ID, State: st.State, DriftDetection: st.DriftDetection,
			LatestRun: newestDriftDetectionRun(f.ProposedRuns), Resources: len(f.Entities)},
		LatestTrackedRun:  newestRun(f.Runs, func(r *runFields) bool { return RunType(r.Type) == RunTypeTracked }),
		LatestProposedRun: newestRun(f.ProposedRuns, func(r *runFields) bool { return !r.DriftDetection }),
	}
	for _, e := range f.Entities {
		if e.Drifted != nil {
			s.Drift.DriftedResources++
			s.Drift.DriftedAddresses = append(s.Drift.DriftedAddresses, e.Address)
		}
	}
	slices.Sort(s.Drift.DriftedAddresses)
	return s
}

// snapshotPageQuery is what SearchStackSnapshotPage decodes.
type snapshotPageQuery = searchStacksQuery[stackSnapshotFields]

// snapshotQuery is what ObserveStack decodes.
type snapshotQuery struct {
	Stack *stackSnapshotFields `graphql:"stack(id: $id)" json:"stack"`
}

// The snapshot documents are built once from the structs, as the GraphQL
// client would build them, and their answers are decoded with
// encoding/json: a snapshot page holds 50 stacks with every sub-resource,
// and the client's reflective decoder was the operator's largest CPU and
// allocation cost at 5000 stacks.
var (
	snapshotPageDocument = sync.OnceValues(func() (string, error) {
		return graphql.ConstructQuery(&snapshotPageQuery{}, map[string]any{"input": SearchInput{}}, graphql.OperationName("SearchStackSnapshot"))
	})
	snapshotDocument = sync.OnceValues(func() (string, error) {
		return graphql.ConstructQuery(&snapshotQuery{}, map[string]any{"id": graphql.ID("")}, graphql.OperationName("StackObserve"))
	})
)

// documentQuery is a query call that sends document, built by build.
func documentQuery(name string, build func() (string, error)) (call, error) {
	doc, err := build()
	if err != nil {
		return call{}, fmt.Errorf("building the %s document: %w", name, err)
	}
	cl := query(name)
	cl.document = doc
	return cl, nil
}

// SearchStackSnapshotPage reads the snapshots of one page of the stacks
// matching input in a single request.
func (c *Client) SearchStackSnapshotPage(ctx context.Context, input SearchInput) (*Page[StackSnapshot], error) {
	cl, err := documentQuery("SearchStackSnapshot", snapshotPageDocument)
	if err != nil {
		return nil, err
	}
	var q snapshotPageQuery
	if err := c.do(ctx, cl, &q, map[string]any{"input": withPageSize(input)}); err != nil {
		return nil, err
	}
	p := &Page[StackSnapshot]{EndCursor: deref(q.Search.PageInfo.EndCursor), HasNextPage: q.Search.PageInfo.HasNextPage}
	for i := range q.Search.Edges {
		p.Items = append(p.Items, q.Search.Edges[i].Node.snapshot())
	}
	return p, nil
}

// StackSnapshotPages iterates over SearchStackSnapshotPage pages for the
// stacks matching all predicates.
func (c *Client) StackSnapshotPages(ctx context.Context, predicates ...QueryPredicate) iter.Seq2[*Page[StackSnapshot], error] {
	return pages(ctx, SearchInput{Predicates: predicates}, c.SearchStackSnapshotPage)
}

// ObserveStack reads one stack with every sub-resource the operator compares
// (the fields of a snapshot page) in a single request. A missing stack is an
// error for which IsNotFound is true.
func (c *Client) ObserveStack(ctx context.Context, id string) (*StackSnapshot, error) {
	cl, err := documentQuery("StackObserve", snapshotDocument)
	if err != nil {
		return nil, err
	}
	var q snapshotQuery
	if err := c.do(ctx, cl, &q, map[string]any{"id": graphql.ID(id)}); err != nil {
		return nil, err
	}
	if q.Stack == nil {
		return nil, notFound(cl.name, "stack "+id)
	}
	s := q.Stack.snapshot()
	return &s, nil
}
