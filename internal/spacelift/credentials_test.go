package spacelift

import (
	"fmt"
	"strings"
	"testing"
)

func TestCredentialsFromSecretData(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string][]byte
		want    Credentials
		wantErr []string
	}{
		{
			name: "complete, with trailing newlines",
			data: map[string][]byte{
				SecretKeyEndpoint: []byte("https://acme.app.spacelift.io\n"),
				SecretKeyID:       []byte("01HKEY\n"),
				SecretKeySecret:   []byte("s3cr3t\n"),
			},
			want: Credentials{Endpoint: "https://acme.app.spacelift.io", KeyID: "01HKEY", KeySecret: "s3cr3t"},
		},
		{
			name:    "everything missing",
			data:    map[string][]byte{},
			wantErr: []string{SecretKeyEndpoint, SecretKeyID, SecretKeySecret},
		},
		{
			name: "empty secret",
			data: map[string][]byte{
				SecretKeyEndpoint: []byte("https://acme.app.spacelift.io"),
				SecretKeyID:       []byte("01HKEY"),
				SecretKeySecret:   []byte("  "),
			},
			wantErr: []string{SecretKeySecret},
		},
		{
			name: "endpoint without scheme",
			data: map[string][]byte{
				SecretKeyEndpoint: []byte("acme.app.spacelift.io"),
				SecretKeyID:       []byte("01HKEY"),
				SecretKeySecret:   []byte("s3cr3t"),
			},
			wantErr: []string{SecretKeyEndpoint, "http(s) URL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CredentialsFromSecretData(tt.data)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func TestGraphQLURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://acme.app.spacelift.io":          "https://acme.app.spacelift.io/graphql",
		"https://acme.app.spacelift.io/":         "https://acme.app.spacelift.io/graphql",
		"https://acme.app.spacelift.io/graphql":  "https://acme.app.spacelift.io/graphql",
		"https://acme.app.spacelift.io/graphql/": "https://acme.app.spacelift.io/graphql",
		"http://127.0.0.1:8080":                  "http://127.0.0.1:8080/graphql",
	} {
		got, err := Credentials{Endpoint: in}.GraphQLURL()
		if err != nil || got != want {
			t.Errorf("GraphQLURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "acme", "ftp://acme", "https://user:pw@acme.io", "https://acme.io?x=1"} {
		if _, err := (Credentials{Endpoint: bad}).GraphQLURL(); err == nil {
			t.Errorf("GraphQLURL(%q) accepted", bad)
		}
	}
}

func TestCredentialsNeverPrintTheSecret(t *testing.T) {
	c := Credentials{Endpoint: "https://acme.app.spacelift.io", KeyID: "01HKEY", KeySecret: "s3cr3t"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), c.String()} {
		if strings.Contains(s, "s3cr3t") {
			t.Errorf("%q contains the secret", s)
		}
		if !strings.Contains(s, "01HKEY") {
			t.Errorf("%q does not name the key", s)
		}
	}
	if err := (Credentials{Endpoint: c.Endpoint, KeyID: c.KeyID}).Validate(); err == nil || !strings.Contains(err.Error(), "key secret") {
		t.Errorf("Validate without secret: %v", err)
	}
}
