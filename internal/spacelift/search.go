package spacelift

import (
	"context"
	"fmt"
	"iter"
)

// DefaultPageSize is the page size of searches that do not set one, the
// page size spacectl and the Terraform provider use.
const DefaultPageSize = 50

// Page is one page of search results.
type Page[T any] struct {
	Items []T
	// EndCursor is the cursor to pass as SearchInput.After for the next page.
	EndCursor   string
	HasNextPage bool
}

// searchStacksQuery is a page of searchStacks whose nodes select T.
type searchStacksQuery[T any] struct {
	Search struct {
		Edges []struct {
			Node T `graphql:"node" json:"node"`
		} `graphql:"edges" json:"edges"`
		PageInfo pageInfoFields `graphql:"pageInfo" json:"pageInfo"`
	} `graphql:"searchStacks(input: $input)" json:"searchStacks"`
}

type pageInfoFields struct {
	EndCursor   *string `graphql:"endCursor" json:"endCursor"`
	HasNextPage bool    `graphql:"hasNextPage" json:"hasNextPage"`
}

// SearchStacksPage reads one page of the stacks matching input. A nil
// input.First means DefaultPageSize.
func (c *Client) SearchStacksPage(ctx context.Context, input SearchInput) (*Page[Stack], error) {
	var q searchStacksQuery[stackFields]
	if err := c.do(ctx, query("SearchStacks"), &q, map[string]any{"input": withPageSize(input)}); err != nil {
		return nil, err
	}
	p := &Page[Stack]{EndCursor: deref(q.Search.PageInfo.EndCursor), HasNextPage: q.Search.PageInfo.HasNextPage}
	for i := range q.Search.Edges {
		p.Items = append(p.Items, *q.Search.Edges[i].Node.stack())
	}
	return p, nil
}

// StackPages iterates over the pages of the stacks matching all predicates,
// DefaultPageSize stacks at a time. Iteration stops after the first error.
func (c *Client) StackPages(ctx context.Context, predicates ...QueryPredicate) iter.Seq2[*Page[Stack], error] {
	return pages(ctx, SearchInput{Predicates: predicates}, c.SearchStacksPage)
}

// SearchStacks returns every stack matching all predicates, reading all
// pages.
func (c *Client) SearchStacks(ctx context.Context, predicates ...QueryPredicate) ([]Stack, error) {
	return collect(c.StackPages(ctx, predicates...))
}

// StackDrift is what the API knows about the drift of one stack.
type StackDrift struct {
	StackID string
	State   StackState
	// DriftDetection is nil when the stack has no drift detection.
	DriftDetection *DriftDetectionIntegration
	// LatestRun is the newest drift detection run among the stack's most
	// recent proposed runs (one page, up to 50), nil when there is none.
	LatestRun *Run
	// Resources counts the stack's managed entities, DriftedResources those
	// the last drift detection found drifted.
	Resources        int
	DriftedResources int
	// DriftedAddresses are the addresses of the drifted resources, sorted.
	DriftedAddresses []string
}

func withPageSize(in SearchInput) SearchInput {
	if in.First == nil {
		in.First = ptr(DefaultPageSize)
	}
	return in
}

// pages follows the cursors of a search until the last page.
func pages[T any](ctx context.Context, input SearchInput,
	fetch func(context.Context, SearchInput) (*Page[T], error)) iter.Seq2[*Page[T], error] {
	return func(yield func(*Page[T], error) bool) {
		in := input
		for {
			p, err := fetch(ctx, in)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(p, nil) || !p.HasNextPage {
				return
			}
			if p.EndCursor == "" || (in.After != nil && *in.After == p.EndCursor) {
				yield(nil, fmt.Errorf("search pagination did not advance past cursor %q", deref(in.After)))
				return
			}
			in.After = ptr(p.EndCursor)
		}
	}
}

func collect[T any](seq iter.Seq2[*Page[T], error]) ([]T, error) {
	var out []T
	for p, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
	}
	return out, nil
}
