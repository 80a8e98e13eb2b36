package runmeta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// Encode returns m as compact JSON suitable for the HeaderName header value:
// one line, printable ASCII only (non-ASCII characters are written as \u
// escapes), no insignificant whitespace. Unsigned documents are encoded too;
// every other field must be valid.
func Encode(m *Metadata) (string, error) {
	if m == nil {
		return "", errors.New("encoding run metadata: nil metadata")
	}
	if err := m.validate(); err != nil {
		return "", fmt.Errorf("encoding run metadata: %w", err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encoding run metadata: %w", err)
	}
	return asciiJSON(b), nil
}

// asciiJSON rewrites the non-ASCII characters of a JSON text as \u escapes.
// encoding/json leaves them as UTF-8 but already escapes control characters,
// so the result is printable ASCII. Outside strings a JSON text is ASCII, so
// every rewritten character is inside a string, where the escape is
// equivalent.
func asciiJSON(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, r := range string(b) {
		if r < 0x80 {
			sb.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&sb, `\u%04x`, u)
		}
	}
	return sb.String()
}

// Parse decodes a document produced by Encode. It fails with ErrMalformed
// when s is longer than MaxEncodedLen, is not a single JSON object, has
// unknown keys, or has invalid fields. A document without a signature parses;
// Verify then reports ErrUnsigned. Parse does not check the signature.
func Parse(s string) (*Metadata, error) {
	if len(s) > MaxEncodedLen {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d allowed", ErrMalformed, len(s), MaxEncodedLen)
	}
	trimmed := strings.TrimSpace(s)
	if !strings.HasPrefix(trimmed, "{") {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.DisallowUnknownFields()
	var m Metadata
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: decoding JSON: %s", ErrMalformed, jsonErrorSummary(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrMalformed)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// jsonErrorSummary describes a decoding error without quoting the input.
func jsonErrorSummary(err error) string {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("syntax error at byte %d", syntaxErr.Offset)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("field %q has the wrong type", typeErr.Field)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "unexpected end of input"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	default:
		return "invalid document"
	}
}

// SourceOf returns the "src" string of s when s is a JSON object that has
// one, and "" otherwise. It lets a verifier tell documents from a given
// producer apart from other user-provided metadata without fully parsing them.
func SourceOf(s string) string {
	if len(s) > MaxEncodedLen || !bytes.HasPrefix(bytes.TrimSpace([]byte(s)), []byte("{")) {
		return ""
	}
	var probe struct {
		Source any `json:"src"`
	}
	if err := json.Unmarshal([]byte(s), &probe); err != nil {
		return ""
	}
	src, _ := probe.Source.(string)
	return src
}
