package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// opInfo describes the operation a request will execute, as far as the
// emulator needs it before execution: for auth and for the operation log.
type opInfo struct {
	name   string
	Type   string
	Fields []string
	// secretVars are variables passed to a secret-looking argument, such as
	// apiKeyUser's secret; their values are never recorded.
	secretVars []string
}

// needsToken reports whether the operation selects a top-level field that
// needs a token. Only apiKeyUser, viewer (null for an anonymous caller),
// __typename and introspection do not. A document that does not parse needs
// none: the executor reports its syntax errors.
func (o opInfo) needsToken() bool {
	for _, f := range o.Fields {
		if f != "apiKeyUser" && f != "viewer" && !strings.HasPrefix(f, "__") {
			return true
		}
	}
	return false
}

// analyze finds the operation to execute and its top-level fields. A document
// that does not parse yields an empty opInfo; the executor reports the error.
func analyze(query, operationName string) opInfo {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return opInfo{name: operationName, Type: "query"}
	}
	var op *ast.OperationDefinition
	for _, o := range doc.Operations {
		if operationName == "" || o.Name == operationName {
			op = o
			break
		}
	}
	if op == nil {
		return opInfo{name: operationName, Type: "query"}
	}
	out := opInfo{name: operationName, Type: string(op.Operation)}
	var walk func(set ast.SelectionSet, top bool)
	walk = func(set ast.SelectionSet, top bool) {
		for _, sel := range set {
			switch t := sel.(type) {
			case *ast.Field:
				if top {
					out.Fields = append(out.Fields, t.Name)
				}
				for _, arg := range t.Arguments {
					if arg.Value != nil && arg.Value.Kind == ast.Variable && secretName(arg.Name) {
						out.secretVars = append(out.secretVars, arg.Value.Raw)
					}
				}
				walk(t.SelectionSet, false)
			case *ast.InlineFragment:
				walk(t.SelectionSet, top)
			case *ast.FragmentSpread:
				if def := doc.Fragments.ForName(t.Name); def != nil {
					walk(def.SelectionSet, top)
				}
			}
		}
	}
	walk(op.SelectionSet, true)
	if out.name == "" {
		out.name = op.Name
	}
	if out.name == "" {
		out.name = strings.Join(out.Fields, ",")
	}
	return out
}

// jwtClaims mirror the registered claims Spacelift puts in its tokens;
// spacectl reads aud (the API endpoint) and exp without verifying.
type jwtClaims struct {
	Audience  []string `json:"aud"`
	Subject   string   `json:"sub"`
	Issuer    string   `json:"iss"`
	IssuedAt  int64    `json:"iat"`
	NotBefore int64    `json:"nbf"`
	ExpiresAt int64    `json:"exp"`
	ID        string   `json:"jti"`
}

var b64 = base64.RawURLEncoding

// mintToken signs an HS256 JWT for the API key, valid for Options.TokenTTL of
// emulator time.
func (s *Server) mintToken(audience string) (token string, validUntil time.Time) {
	return s.mintTokenFor("api::"+s.opts.APIKeyID, audience)
}

// IssueToken is the token apiKeyUser would return for the emulator's API key
// and audience (the base URL the client talks to). Tools and test harnesses
// use it to skip the login round trip.
func (s *Server) IssueToken(audience string) string {
	token, _ := s.mintToken(audience)
	return token
}

// mintTokenFor signs a token for any subject.
func (s *Server) mintTokenFor(subject, audience string) (token string, validUntil time.Time) {
	s.mu.Lock()
	now := s.nowLocked()
	key := s.st.SigningKey
	s.mu.Unlock()
	validUntil = now.Add(s.opts.TokenTTL)
	claims := jwtClaims{
		Audience:  []string{audience},
		Subject:   subject,
		Issuer:    "api-key",
		IssuedAt:  now.Unix(),
		NotBefore: now.Unix(),
		ExpiresAt: validUntil.Unix(),
		ID:        randomHex(8),
	}
	header, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	signing := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	return signing + "." + b64.EncodeToString(sign(key, signing)), validUntil
}

func sign(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

var (
	errNoToken      = errors.New("no bearer token")
	errBadToken     = errors.New("malformed or forged token")
	errExpiredToken = errors.New("token expired")
)

// verifyBearer checks an Authorization header and returns the token subject.
func (s *Server) verifyBearer(header string) (string, error) {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || raw == "" {
		return "", errNoToken
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", errBadToken
	}
	got, err := b64.DecodeString(parts[2])
	if err != nil {
		return "", errBadToken
	}
	s.mu.Lock()
	key := s.st.SigningKey
	now := s.nowLocked()
	s.mu.Unlock()
	if !hmac.Equal(got, sign(key, parts[0]+"."+parts[1])) {
		return "", errBadToken
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return "", errBadToken
	}
	var c jwtClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", fmt.Errorf("decoding claims: %w", errBadToken)
	}
	if now.Unix() >= c.ExpiresAt {
		return "", errExpiredToken
	}
	return c.Subject, nil
}

// checkAPIKey compares credentials in constant time.
func (s *Server) checkAPIKey(id, secret string) bool {
	okID := subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.APIKeyID)) == 1
	okSecret := subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.APIKeySecret)) == 1
	return okID && okSecret
}
