package spacelift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"
)

// coalescer merges the mutation groups that concurrent callers hand to
// Apply into shared documents. A group is queued under its operation name;
// up to maxDispatchers requests per name are under way at once, and each
// takes every group queued when its turn at the rate limiter comes, up to
// MaxBatch mutations. While requests wait for the rate limiter or for the
// API, later groups gather, so the request count falls as load rises, and
// an idle client sends each group at once. Groups never split: a group's mutations stay in order in
// one document.
type coalescer struct {
	mu      sync.Mutex
	queues  map[string][]*group
	running map[string]int
}

// maxDispatchers bounds the requests per operation name under way at once.
const maxDispatchers = 2

// group is one caller's mutations and their outcome.
type group struct {
	muts    []Mutation
	answers []json.RawMessage
	err     error
	done    chan struct{}
}

// errSharedFailure is the outcome of a group whose own mutations raised no
// error in a document that failed elsewhere: they ran, but the answer is
// gone (GraphQL empties it when a non-null field fails).
var errSharedFailure = errors.New("another change in the same request failed, so this change's answer was lost; it was executed")

// submit queues muts as one group and waits for its outcome. When ctx ends
// first, the group may still be sent; the caller's next observation tells.
func (co *coalescer) submit(ctx context.Context, c *Client, name string, muts []Mutation) ([]json.RawMessage, error) {
	g := &group{muts: muts, done: make(chan struct{})}
	co.mu.Lock()
	if co.queues == nil {
		co.queues, co.running = map[string][]*group{}, map[string]int{}
	}
	co.queues[name] = append(co.queues[name], g)
	start := co.running[name] < maxDispatchers
	if start {
		co.running[name]++
	}
	co.mu.Unlock()
	if start {
		go co.dispatch(c, name)
	}
	select {
	case <-g.done:
		return g.answers, g.err
	case <-ctx.Done():
		return nil, &BatchError{Descs: descs(muts), Err: &Error{Operation: name, Kind: KindTransient, Err: ctx.Err()}}
	}
}

// dispatch sends the queued groups of name until none is left. It waits
// for the rate limiter's token before it takes the groups, so that a
// request carries everything queued up to the moment it can go.
func (co *coalescer) dispatch(c *Client, name string) {
	for {
		if !co.pending(name) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.callTimeout)
		err := c.waitTurn(ctx)
		cancel()
		batch := co.take(name)
		if batch == nil {
			return
		}
		co.send(c, name, batch, err == nil)
	}
}

// pending reports whether groups of name wait; when none does, the
// dispatcher is counted out.
func (co *coalescer) pending(name string) bool {
	co.mu.Lock()
	defer co.mu.Unlock()
	if len(co.queues[name]) == 0 {
		co.running[name]--
		return false
	}
	return true
}

// take removes the groups the next document carries: the oldest first,
// while they fit in MaxBatch mutations (always at least one). It returns
// nil, and counts the dispatcher out, when the queue is empty.
func (co *coalescer) take(name string) []*group {
	co.mu.Lock()
	defer co.mu.Unlock()
	q := co.queues[name]
	if len(q) == 0 {
		// Another dispatcher took them while this one waited: the
		// token goes unused.
		co.running[name]--
		return nil
	}
	n, size := 1, len(q[0].muts)
	for n < len(q) && size+len(q[n].muts) <= MaxBatch {
		size += len(q[n].muts)
		n++
	}
	batch := slices.Clone(q[:n])
	co.queues[name] = q[n:]
	return batch
}

// send makes one request of the groups' mutations and hands each group its
// answers or the errors of its own fields.
func (co *coalescer) send(c *Client, name string, batch []*group, admitted bool) {
	var muts []Mutation
	for _, g := range batch {
		muts = append(muts, g.muts...)
	}
	doc, vars, idempotent := batchDocument(name, muts)
	cl := mutation(name, idempotent)
	cl.document = doc
	cl.admitted = admitted
	var data map[string]json.RawMessage
	// The request serves several callers: it runs under its own deadline
	// (do applies the call timeout), not under any one caller's.
	err := c.do(context.Background(), cl, &data, vars)
	i := 0
	for _, g := range batch {
		first := i
		i += len(g.muts)
		if err != nil {
			g.err = &BatchError{Descs: descs(g.muts), Err: ownError(err, first, i)}
		} else {
			g.answers = make([]json.RawMessage, len(g.muts))
			for j := range g.muts {
				g.answers[j] = data[fmt.Sprintf("m%d", first+j)]
			}
		}
		close(g.done)
	}
}

// ownError is the part of a failed document's error that belongs to the
// fields m<first> … m<end-1>: the messages whose path names one of them, or
// that name one of their variables ($m<i>_…, as validation errors do).
// Messages that name other fields never reach this group, so one caller's
// values never show up in another caller's errors. When every message names
// other fields, the group's mutations ran but their answer is lost (a
// transient error: the caller observes again). Messages that name no field
// (a refused token, a rate limit, a failed request) belong to everyone.
func ownError(err error, first, end int) error {
	var e *Error
	if !errors.As(err, &e) || len(e.Messages) == 0 {
		return err
	}
	own := *e
	own.Messages, own.Aliases = nil, nil
	attributed := false
	for k, msg := range e.Messages {
		alias := ""
		if k < len(e.Aliases) {
			alias = e.Aliases[k]
		}
		n, ok := fieldIndex(alias, msg)
		attributed = attributed || ok
		if !ok || (n >= first && n < end) {
			own.Messages = append(own.Messages, msg)
			own.Aliases = append(own.Aliases, alias)
		}
	}
	if !attributed {
		return err
	}
	if len(own.Messages) == 0 {
		return &Error{Operation: e.Operation, Kind: KindTransient, StatusCode: e.StatusCode, Err: errSharedFailure}
	}
	return &own
}

// fieldVariable finds a batch document's variable, $m<i>_<argument>.
var fieldVariable = regexp.MustCompile(`\$m(\d+)_`)

// fieldIndex tells which field of a batch document a message is about: the
// alias of its path, else a variable it names.
func fieldIndex(alias, msg string) (int, bool) {
	var n int
	if _, err := fmt.Sscanf(alias, "m%d", &n); err == nil {
		return n, true
	}
	if m := fieldVariable.FindStringSubmatch(msg); m != nil {
		n, err := strconv.Atoi(m[1])
		return n, err == nil
	}
	return 0, false
}

func descs(muts []Mutation) []string {
	out := make([]string, len(muts))
	for i, m := range muts {
		out[i] = m.Desc
	}
	return out
}
