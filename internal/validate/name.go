package validate

import (
	"fmt"
	"strings"
	"unicode"
)

// Slug returns the Spacelift id Spacelift derives from a name: the name in
// lower case, with every run of characters other than ASCII letters and
// digits replaced by one "-", and no leading or trailing "-". It is empty when
// the name has no ASCII letter or digit.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// SpaceliftName checks that Spacelift can derive an id from name (see Slug)
// and that the name holds no control characters.
func SpaceliftName(name string) error {
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return fmt.Errorf("contains a control character such as a newline or tab: write the name on one line")
	}
	if Slug(name) == "" {
		return fmt.Errorf("has no ASCII letter or digit, so Spacelift cannot derive an id from it: add some, e.g. \"payments-db\" (emoji, punctuation and non-Latin letters are dropped)")
	}
	return nil
}
