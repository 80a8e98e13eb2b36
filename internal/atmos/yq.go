package atmos

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// This file evaluates the yq query of "!include <file> <query>". atmos hands
// the query to yq (github.com/mikefarah/yq/v4); expansion evaluates the part
// of yq's language that atmos's fixtures and documentation use, paths:
//
//	.            the whole value
//	.key         a mapping key (letters, digits, "_" and "-"; not starting with a digit)
//	[n] .[n]     a list element; negative counts from the end
//	["key"]      a mapping key written as a string
//
// chained in any order (.components.terraform.vpc.vars.zones[2]). Other yq
// expressions (pipes, //, select, [], slices, functions) are refused with an
// error that names the query. yq itself is not used: it would add some 20
// modules (HCL, a Lua interpreter, TOML, INI), process-wide settings, and
// operators that read the operator's own environment and files.

// includeArgs splits the argument of !include into the file and the query
// as atmos's function argument parser does: the first word (a quoted word
// may hold spaces; a doubled quote stands for one) is the file, the rest of
// the text is the query, unquoted when it is quoted as a whole.
func includeArgs(arg string) (file, query string, err error) {
	s := strings.TrimSpace(arg)
	if s == "" {
		return "", "", errors.New("needs a file path")
	}
	end := 0
	switch q := s[0]; q {
	case '"', '\'':
		end = -1
		for i := 1; i < len(s); i++ {
			if s[i] == '\r' || s[i] == '\n' {
				break
			}
			if s[i] == q {
				if i+1 < len(s) && s[i+1] == q {
					i++
					continue
				}
				end = i + 1
				break
			}
		}
		if end < 0 {
			return "", "", fmt.Errorf("unterminated quoted value %s", s)
		}
	case '|':
		end = 1
	default:
		end = strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '|' })
		if end < 0 {
			end = len(s)
		}
	}
	return unquoteArg(s[:end]), unquoteArg(s[end:]), nil
}

// unquoteArg removes the quotes around a quoted argument, as atmos does.
func unquoteArg(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != s[len(s)-1] {
		return s
	}
	switch q := s[0]; q {
	case '\'', '"':
		return strings.ReplaceAll(s[1:len(s)-1], string(q)+string(q), string(q))
	}
	return s
}

// yqStep is one step of a yq path: a mapping key, or a list index.
type yqStep struct {
	key   string
	index int
	isIdx bool
}

// parseYQPath parses a yq path query (see the file comment).
func parseYQPath(query string) ([]yqStep, error) {
	q := strings.TrimSpace(query)
	unsupported := func() ([]yqStep, error) {
		return nil, fmt.Errorf(`yq query %q: only paths such as .a.b, .list[0] and .["a key"] are evaluated here (atmos evaluates any yq expression); include a file that holds the value, or reach it with a path`, query)
	}
	if q == "" || q[0] != '.' {
		return unsupported()
	}
	if q == "." {
		return nil, nil
	}
	var steps []yqStep
	for i := 0; i < len(q); {
		switch {
		case q[i] == '.' && i+1 < len(q) && q[i+1] == '[':
			i++ // ".[" is "["
		case q[i] == '.':
			j := i + 1
			for j < len(q) && (q[j] == '_' || q[j] == '-' || q[j] < unicode.MaxASCII && (unicode.IsLetter(rune(q[j])) || unicode.IsDigit(rune(q[j])))) {
				j++
			}
			key := q[i+1 : j]
			if key == "" || unicode.IsDigit(rune(key[0])) || key[0] == '-' {
				return unsupported()
			}
			steps = append(steps, yqStep{key: key})
			i = j
		case q[i] == '[' && len(steps) > 0 || q[i] == '[' && i == 1:
			end := strings.IndexByte(q[i:], ']')
			if end < 0 {
				return unsupported()
			}
			inner := q[i+1 : i+end]
			switch {
			case len(inner) >= 2 && inner[0] == '"' && inner[len(inner)-1] == '"' && !strings.ContainsAny(inner[1:len(inner)-1], `"\`):
				steps = append(steps, yqStep{key: inner[1 : len(inner)-1]})
			default:
				n, err := strconv.Atoi(inner)
				if err != nil || strings.HasPrefix(inner, "+") {
					return unsupported()
				}
				steps = append(steps, yqStep{key: inner, index: n, isIdx: true})
			}
			i += end + 1
		default:
			return unsupported()
		}
	}
	return steps, nil
}

// yqQuery evaluates the path query over v, the included value, and returns
// the result the way atmos's !include does: yq prints the result as YAML
// (a string unquoted) and atmos reads that text back as YAML, so a string
// result such as "123" or "a: b" becomes a number or a mapping, and an empty
// string becomes null. A key of a missing value or of a scalar is null; a
// key of a list, or a negative index beyond the list's start, is an error,
// as in yq.
func yqQuery(v any, query string) (any, error) {
	steps, err := parseYQPath(query)
	if err != nil {
		return nil, err
	}
	for _, st := range steps {
		switch t := v.(type) {
		case map[string]any:
			v = t[st.key]
		case []any:
			if !st.isIdx {
				return nil, fmt.Errorf("yq query %q: cannot index a list with %q", query, st.key)
			}
			i := st.index
			if i < 0 {
				i += len(t)
				if i < 0 {
					return nil, fmt.Errorf("yq query %q: index [%d] out of range, the list has %d items", query, st.index, len(t))
				}
			}
			v = nil
			if i < len(t) {
				v = t[i]
			}
		default:
			v = nil
		}
	}
	return yqResult(v)
}

// yqResult reads a query result back as atmos does (see yqQuery).
func yqResult(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		// yq prints the value as YAML, which atmos parses again.
		out, err := yaml.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encoding the query result: %w", err)
		}
		var back any
		if err := yaml.Unmarshal(out, &back); err != nil {
			return nil, fmt.Errorf("reading the query result: %w", err)
		}
		return normalize(back), nil
	}
	trimmed := strings.TrimSpace(s)
	if scalarText(trimmed) {
		return trimmed, nil
	}
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(s), &node); err != nil {
		if !strings.Contains(trimmed, "\n") {
			return trimmed, nil
		}
		return nil, fmt.Errorf("the query result is a string that atmos reads as YAML, and it is not YAML: %w", err)
	}
	if node.Kind == 0 {
		return nil, nil // empty text is null
	}
	if misreadScalar(&node, trimmed) {
		return trimmed, nil
	}
	var back any
	if err := node.Decode(&back); err != nil {
		return nil, fmt.Errorf("reading the query result: %w", err)
	}
	return normalize(back), nil
}

// scalarText reports whether atmos keeps a one-line query result as a
// string instead of reading it as YAML: text starting with "#" (a YAML
// comment otherwise) and text ending in ":" without ": " (an ARN, which YAML
// would read as a mapping key).
func scalarText(s string) bool {
	if s == "" || strings.Contains(s, "\n") {
		return false
	}
	if strings.HasPrefix(s, "#") {
		return true
	}
	if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
		return false
	}
	return strings.HasSuffix(s, ":") && !strings.Contains(s, ": ")
}

// misreadScalar reports whether YAML read the text s as a one-key mapping
// with a null value where the text was the key followed by ":" or "::".
func misreadScalar(n *yaml.Node, s string) bool {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return false
	}
	k, val := n.Content[0], n.Content[1]
	if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode || (val.Value != "" && val.Tag != "!!null") {
		return false
	}
	return k.Value+":" == s || k.Value+"::" == s
}
