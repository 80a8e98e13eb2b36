package atmos

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
)

// ListMergeStrategy says how a list in a later layer combines with a list in
// an earlier one (atmos.yaml settings.list_merge_strategy).
type ListMergeStrategy string

const (
	// ListReplace replaces the earlier list (the atmos default).
	ListReplace ListMergeStrategy = "replace"
	// ListAppend appends the later list to the earlier one.
	ListAppend ListMergeStrategy = "append"
	// ListMerge deep-merges maps at the same index; other items keep the
	// earlier value, and a longer later list extends the result.
	ListMerge ListMergeStrategy = "merge"
)

// parseListMergeStrategy validates s; the empty string means ListReplace.
func parseListMergeStrategy(s string) (ListMergeStrategy, error) {
	switch ListMergeStrategy(s) {
	case "", ListReplace:
		return ListReplace, nil
	case ListAppend, ListMerge:
		return ListMergeStrategy(s), nil
	default:
		return "", fmt.Errorf("list_merge_strategy %q: want replace, append or merge", s)
	}
}

// mergeInto deep-merges src into dst in place: maps merge key by key, a
// later value of any other kind (including null) replaces the earlier one,
// and lists follow ls. dst never aliases src afterwards, so shared (cached)
// inputs may be passed as src.
func mergeInto(dst, src map[string]any, ls ListMergeStrategy) {
	for k, sv := range src {
		dv, exists := dst[k]
		if al, ok := appendList(sv); ok {
			dst[k] = appended(dv, al, true)
			continue
		}
		if !exists {
			dst[k] = deepCopy(sv)
			continue
		}
		if sm, ok := sv.(map[string]any); ok {
			if dm, ok := dv.(map[string]any); ok {
				mergeInto(dm, sm, ls)
				continue
			}
			dst[k] = deepCopy(sv)
			continue
		}
		if ls != ListReplace {
			if dl, ok := dv.([]any); ok {
				if sl, ok := sv.([]any); ok {
					if ls == ListAppend {
						out := make([]any, 0, len(dl)+len(sl))
						out = append(out, dl...)
						for _, e := range sl {
							out = append(out, deepCopy(e))
						}
						dst[k] = out
					} else {
						dst[k] = mergeLists(dl, sl, ls)
					}
					continue
				}
			}
		}
		dst[k] = deepCopy(sv)
	}
}

// appendList reports whether v is a list tagged !append, and returns it.
func appendList(v any) ([]any, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, false
	}
	l, ok := m[appendKey].([]any)
	return l, ok
}

// appended returns the list dv (when it is one; else an empty list) with al
// appended; copy deep-copies al's items.
func appended(dv any, al []any, copy bool) []any {
	if w, ok := appendList(dv); ok {
		dv = w
	}
	dl, _ := dv.([]any)
	out := make([]any, 0, len(dl)+len(al))
	out = append(out, dl...)
	for _, e := range al {
		if copy {
			e = deepCopy(e)
		}
		out = append(out, e)
	}
	return out
}

// unwrapAppends returns v with every !append list that had nothing to append
// to replaced by the plain list, as atmos does once a manifest is merged. It
// copies only the maps and lists on the way to a change; v is not modified.
func unwrapAppends(v any) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		if l, ok := appendList(t); ok {
			out, _ := unwrapAppends(l)
			return out, true
		}
		var out map[string]any
		for k, e := range t {
			if ne, changed := unwrapAppends(e); changed {
				if out == nil {
					out = maps.Clone(t)
				}
				out[k] = ne
			}
		}
		if out == nil {
			return t, false
		}
		return out, true
	case []any:
		var out []any
		for i, e := range t {
			if ne, changed := unwrapAppends(e); changed {
				if out == nil {
					out = slices.Clone(t)
				}
				out[i] = ne
			}
		}
		if out == nil {
			return t, false
		}
		return out, true
	default:
		return v, false
	}
}

// mergeLists merges two lists index by index (ListMerge).
func mergeLists(dst, src []any, ls ListMergeStrategy) []any {
	n := max(len(dst), len(src))
	out := make([]any, n)
	for i := range n {
		switch {
		case i >= len(src):
			out[i] = dst[i]
		case i >= len(dst):
			out[i] = deepCopy(src[i])
		default:
			sm, sok := src[i].(map[string]any)
			dm, dok := dst[i].(map[string]any)
			if sok && dok {
				mergeInto(dm, sm, ls)
			}
			out[i] = dst[i]
		}
	}
	return out
}

// merged returns a new map holding the layers deep-merged in order.
func merged(ls ListMergeStrategy, layers ...map[string]any) map[string]any {
	out := make(map[string]any)
	for _, l := range layers {
		mergeInto(out, l, ls)
	}
	return out
}

// deepCopy copies maps and lists recursively; other values are immutable.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = deepCopy(e)
		}
		return l
	default:
		return v
	}
}

// mapAt returns m[key] when it is a map; nil otherwise.
func mapAt(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// lookupPath follows keys through nested maps and reports whether the last
// key is present (its value may be null).
func lookupPath(m map[string]any, keys ...string) (any, bool) {
	var cur any = m
	for _, k := range keys {
		cm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = cm[k]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// cowMerger deep-merges shared, never-modified maps (parsed manifests and
// cached merge results) into a result without copying them up front: a
// nested map is copied only when a later layer changes something below it.
// The result therefore shares structure with its inputs and must be treated
// as read-only too.
type cowMerger struct {
	ls    ListMergeStrategy
	owned map[uintptr]bool
}

func newCOWMerger(ls ListMergeStrategy) *cowMerger {
	return &cowMerger{ls: ls, owned: map[uintptr]bool{}}
}

// newMap returns an empty map that the merger may modify.
func (c *cowMerger) newMap() map[string]any {
	m := map[string]any{}
	c.owned[reflect.ValueOf(m).Pointer()] = true
	return m
}

// own returns m if the merger may modify it, else a shallow copy it may.
func (c *cowMerger) own(m map[string]any) map[string]any {
	if c.owned[reflect.ValueOf(m).Pointer()] {
		return m
	}
	n := maps.Clone(m)
	if n == nil {
		n = map[string]any{}
	}
	c.owned[reflect.ValueOf(n).Pointer()] = true
	return n
}

// merge merges src into dst, which must be owned; it follows mergeInto's rules.
func (c *cowMerger) merge(dst, src map[string]any) {
	for k, sv := range src {
		dv, exists := dst[k]
		if al, ok := appendList(sv); ok {
			dst[k] = appended(dv, al, false)
			continue
		}
		if !exists {
			dst[k] = sv
			continue
		}
		if sm, ok := sv.(map[string]any); ok {
			if dm, ok := dv.(map[string]any); ok {
				dm = c.own(dm)
				c.merge(dm, sm)
				dst[k] = dm
				continue
			}
			dst[k] = sv
			continue
		}
		if c.ls != ListReplace {
			if dl, ok := dv.([]any); ok {
				if sl, ok := sv.([]any); ok {
					dst[k] = c.mergeLists(dl, sl)
					continue
				}
			}
		}
		dst[k] = sv
	}
}

func (c *cowMerger) mergeLists(dst, src []any) []any {
	if c.ls == ListAppend {
		return append(slices.Clip(dst), src...)
	}
	out := make([]any, max(len(dst), len(src)))
	for i := range out {
		switch {
		case i >= len(src):
			out[i] = dst[i]
		case i >= len(dst):
			out[i] = src[i]
		default:
			sm, sok := src[i].(map[string]any)
			dm, dok := dst[i].(map[string]any)
			if sok && dok {
				dm = c.own(dm)
				c.merge(dm, sm)
			}
			out[i] = dst[i]
			if sok && dok {
				out[i] = dm
			}
		}
	}
	return out
}
