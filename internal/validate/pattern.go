package validate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// atmosNameTokens are the tokens of atmos's stacks.name_pattern.
var atmosNameTokens = []string{"{namespace}", "{tenant}", "{environment}", "{stage}"}

// stackNameTokens are the tokens of atmos's settings.spacelift.stack_name_pattern
// (and metadata.terraform_workspace_pattern).
var stackNameTokens = []string{"{namespace}", "{tenant}", "{environment}", "{stage}", "{region}",
	"{component}", "{base-component}", "{attributes}"}

// AtmosNamePattern checks an atmos stacks.name_pattern, such as
// "{tenant}-{environment}-{stage}": atmos splits it on "-", replaces the
// tokens {namespace}, {tenant}, {environment} and {stage}, and silently drops
// every other part, so a misspelt token yields stack names without that value
// (and, typically, duplicate names). Every part must be a token; the error
// names the first that is not and suggests the token it resembles. The empty
// pattern (use atmos.yaml's) is accepted.
func AtmosNamePattern(pattern string) error {
	if pattern == "" {
		return nil
	}
	if strings.Contains(pattern, "{{") {
		return fmt.Errorf("is a Go template: a name pattern joins the tokens %s with \"-\"; a template belongs in stacks.name_template",
			strings.Join(atmosNameTokens, ", "))
	}
	for _, part := range strings.Split(pattern, "-") {
		if slices.Contains(atmosNameTokens, part) {
			continue
		}
		return fmt.Errorf("part %q is not a token%s: atmos joins the values of the tokens %s with \"-\" and ignores anything else",
			part, suggest(part, atmosNameTokens), strings.Join(atmosNameTokens, ", "))
	}
	return nil
}

// tokenRE finds {token} occurrences in a stack name pattern.
var tokenRE = regexp.MustCompile(`\{[^{}]*\}`)

// StackNamePattern checks an atmos settings.spacelift.stack_name_pattern,
// such as "{tenant}-{environment}-{stage}-{component}": literal text is kept
// as written, and every {token} must be one atmos replaces ({namespace},
// {tenant}, {environment}, {stage}, {region}, {component}, {base-component},
// {attributes}); an unknown one would end up verbatim in the Spacelift name.
func StackNamePattern(pattern string) error {
	for _, tok := range tokenRE.FindAllString(pattern, -1) {
		if !slices.Contains(stackNameTokens, tok) {
			return fmt.Errorf("token %q is not one atmos replaces%s: the tokens are %s",
				tok, suggest(tok, stackNameTokens), strings.Join(stackNameTokens, ", "))
		}
	}
	if rest := tokenRE.ReplaceAllString(pattern, ""); strings.ContainsAny(rest, "{}") {
		return fmt.Errorf("has an unbalanced brace: write tokens as {tenant}, {stage}, ...")
	}
	return nil
}

// suggest returns " (did you mean X?)" for the known value closest to s,
// when it is close enough to be a typo, else "".
func suggest(s string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
