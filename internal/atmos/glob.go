package atmos

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// globMatcher matches slash-separated paths the way atmos does, with
// github.com/bmatcuk/doublestar/v4 (the library atmos uses): "**" matches
// any number of directories, "*", "?", "[...]" and "{a,b}" as in doublestar.
type globMatcher struct {
	pattern string
}

// compileGlob validates pattern and prepares it for matching.
func compileGlob(pattern string) (*globMatcher, error) {
	if !doublestar.ValidatePattern(pattern) {
		return nil, fmt.Errorf("glob %q: invalid pattern", pattern)
	}
	return &globMatcher{pattern: pattern}, nil
}

// match reports whether name matches the pattern.
func (g *globMatcher) match(name string) bool {
	ok, _ := doublestar.Match(g.pattern, name)
	return ok
}

// hasGlobMeta reports whether p contains glob syntax.
func hasGlobMeta(p string) bool {
	return strings.ContainsAny(p, "*?[{")
}
