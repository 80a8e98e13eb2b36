package spacelift

import (
	"fmt"
	"net/url"
	"strings"
)

// Keys of the credentials Secret. They are the names of the environment
// variables spacectl reads an API key from, so that one Secret can feed both
// the operator and spacectl (for example with envFrom).
const (
	// SecretKeyEndpoint holds the account URL, such as
	// https://acme.app.spacelift.io.
	SecretKeyEndpoint = "SPACELIFT_API_KEY_ENDPOINT"
	// SecretKeyID holds the API key ID.
	SecretKeyID = "SPACELIFT_API_KEY_ID"
	// SecretKeySecret holds the API key secret.
	SecretKeySecret = "SPACELIFT_API_KEY_SECRET" //nolint:gosec // a key name, not a credential
)

// Credentials identify a Spacelift account and an API key in it.
type Credentials struct {
	// Endpoint is the account URL, such as https://acme.app.spacelift.io.
	// A trailing "/graphql" is accepted and ignored.
	Endpoint string
	// KeyID is the API key ID.
	KeyID string
	// KeySecret is the API key secret. String and GoString never print it.
	KeySecret string
}

// String describes the credentials without the secret.
func (c Credentials) String() string {
	return fmt.Sprintf("spacelift.Credentials{Endpoint: %q, KeyID: %q, KeySecret: <redacted>}", c.Endpoint, c.KeyID)
}

// GoString describes the credentials without the secret, for %#v.
func (c Credentials) GoString() string { return c.String() }

// Validate checks that every field is set and that the endpoint is an
// absolute http(s) URL.
func (c Credentials) Validate() error {
	var missing []string
	if strings.TrimSpace(c.Endpoint) == "" {
		missing = append(missing, "endpoint")
	}
	if strings.TrimSpace(c.KeyID) == "" {
		missing = append(missing, "key ID")
	}
	if c.KeySecret == "" {
		missing = append(missing, "key secret")
	}
	if len(missing) > 0 {
		return fmt.Errorf("spacelift credentials: missing %s", strings.Join(missing, ", "))
	}
	if _, err := graphQLURL(c.Endpoint); err != nil {
		return fmt.Errorf("spacelift credentials: %w", err)
	}
	return nil
}

// GraphQLURL returns the URL of the account's GraphQL API: the endpoint
// without trailing slashes, followed by /graphql, as spacectl forms it.
func (c Credentials) GraphQLURL() (string, error) { return graphQLURL(c.Endpoint) }

func graphQLURL(endpoint string) (string, error) {
	trimmed := strings.TrimRight(strings.TrimSpace(endpoint), "/")
	trimmed = strings.TrimSuffix(trimmed, "/graphql")
	u, err := url.Parse(trimmed)
	if err != nil {
		return "", fmt.Errorf("endpoint %q is not a URL: %w", endpoint, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("endpoint %q must be an http(s) URL such as https://acme.app.spacelift.io", endpoint)
	}
	if u.Host == "" {
		return "", fmt.Errorf("endpoint %q has no host", endpoint)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("endpoint %q must not carry user info, a query or a fragment", u.Redacted())
	}
	return trimmed + "/graphql", nil
}

// CredentialsFromSecretData reads credentials from the data of a Kubernetes
// Secret holding the keys SecretKeyEndpoint, SecretKeyID and
// SecretKeySecret. Surrounding whitespace, such as the trailing newline left
// by `kubectl create secret --from-file`, is removed. The error names the
// missing or empty keys; it never contains a value.
func CredentialsFromSecretData(data map[string][]byte) (Credentials, error) {
	var missing []string
	get := func(key string) string {
		v := strings.TrimSpace(string(data[key]))
		if v == "" {
			missing = append(missing, key)
		}
		return v
	}
	creds := Credentials{
		Endpoint:  get(SecretKeyEndpoint),
		KeyID:     get(SecretKeyID),
		KeySecret: get(SecretKeySecret),
	}
	if len(missing) > 0 {
		return Credentials{}, fmt.Errorf("credentials Secret is missing or has empty keys: %s", strings.Join(missing, ", "))
	}
	if _, err := graphQLURL(creds.Endpoint); err != nil {
		return Credentials{}, fmt.Errorf("credentials Secret key %s: %w", SecretKeyEndpoint, err)
	}
	return creds, nil
}
