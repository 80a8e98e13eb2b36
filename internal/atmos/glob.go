package atmos

import (
	"fmt"
	"path"
	"strings"
)

// globMatcher matches slash-separated paths with doublestar semantics: "**"
// as a whole segment matches zero or more segments, other segments follow
// path.Match ("*", "?", "[...]"), and "{a,b}" alternatives are expanded.
type globMatcher struct {
	alternatives [][]string
}

// compileGlob validates pattern and prepares it for matching.
func compileGlob(pattern string) (*globMatcher, error) {
	expanded, err := expandBraces(pattern)
	if err != nil {
		return nil, fmt.Errorf("glob %q: %w", pattern, err)
	}
	g := &globMatcher{}
	for _, p := range expanded {
		segs := strings.Split(p, "/")
		for _, s := range segs {
			if s == "**" {
				continue
			}
			if _, err := path.Match(s, ""); err != nil {
				return nil, fmt.Errorf("glob %q: %w", pattern, err)
			}
		}
		g.alternatives = append(g.alternatives, segs)
	}
	return g, nil
}

// match reports whether name matches the pattern.
func (g *globMatcher) match(name string) bool {
	parts := strings.Split(name, "/")
	for _, segs := range g.alternatives {
		if matchSegments(segs, parts) {
			return true
		}
	}
	return false
}

func matchSegments(pat, parts []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for i := 0; i <= len(parts); i++ {
				if matchSegments(rest, parts[i:]) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], parts[0]); !ok {
			return false
		}
		pat, parts = pat[1:], parts[1:]
	}
	return len(parts) == 0
}

// hasGlobMeta reports whether p contains glob syntax.
func hasGlobMeta(p string) bool {
	return strings.ContainsAny(p, "*?[{")
}

// expandBraces expands the first {a,b,...} group and recurses.
func expandBraces(p string) ([]string, error) {
	open := strings.IndexByte(p, '{')
	if open < 0 {
		if strings.IndexByte(p, '}') >= 0 {
			return nil, fmt.Errorf("unmatched '}'")
		}
		return []string{p}, nil
	}
	depth, end := 0, -1
	var commas []int
	for i := open; i < len(p) && end < 0; i++ {
		switch p[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				end = i
			}
		case ',':
			if depth == 1 {
				commas = append(commas, i)
			}
		}
	}
	if end < 0 {
		return nil, fmt.Errorf("unmatched '{'")
	}
	var out []string
	start := open + 1
	for _, c := range append(commas, end) {
		sub, err := expandBraces(p[:open] + p[start:c] + p[end+1:])
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
		start = c + 1
	}
	return out, nil
}
