package main

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/stackwright/spacelift-operator/internal/source"
)

func TestCheckGitFlags(t *testing.T) {
	defaults := source.GitOptions{MaxFileBytes: source.DefaultMaxFileBytes,
		MaxCheckoutBytes: source.DefaultMaxCheckoutBytes, MaxFetchBytes: source.DefaultMaxFetchBytes}
	for _, tc := range []struct {
		name   string
		change func(*source.GitOptions)
		want   string
	}{
		{"defaults", func(*source.GitOptions) {}, ""},
		{"zero file limit", func(g *source.GitOptions) { g.MaxFileBytes = 0 }, "--git-max-file-bytes must be a positive number of bytes, not 0"},
		{"negative checkout limit", func(g *source.GitOptions) { g.MaxCheckoutBytes = -1 }, "--git-max-checkout-bytes must be a positive"},
		{"zero fetch limit", func(g *source.GitOptions) { g.MaxFetchBytes = 0 }, "--git-max-fetch-bytes must be a positive"},
		{"file limit above the checkout limit", func(g *source.GitOptions) { g.MaxFileBytes = g.MaxCheckoutBytes + 1 }, "must not exceed --git-max-checkout-bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := defaults
			tc.change(&g)
			err := checkGitFlags(g)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("error = %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestManagerOptionsReadSecretsDirectly(t *testing.T) {
	for _, ns := range []string{"", "team-a,team-b"} {
		o := managerOptions(managerFlags{watchNamespaces: ns})
		if o.Client.Cache == nil || len(o.Client.Cache.DisableFor) != 1 {
			t.Fatalf("--watch-namespaces=%q: client cache options = %+v, want Secrets read directly", ns, o.Client.Cache)
		}
		if _, ok := o.Client.Cache.DisableFor[0].(*corev1.Secret); !ok {
			t.Errorf("--watch-namespaces=%q: DisableFor = %T, want *v1.Secret", ns, o.Client.Cache.DisableFor[0])
		}
	}
	if o := managerOptions(managerFlags{watchNamespaces: "team-a, team-b"}); len(o.Cache.DefaultNamespaces) != 2 {
		t.Errorf("cache namespaces = %v, want team-a and team-b", o.Cache.DefaultNamespaces)
	}
}

func TestControllerOptionsTenancy(t *testing.T) {
	o, err := controllerOptions(managerFlags{tenancy: "enforce", tenancySpaces: "sandbox, team-*", tenancyGrants: "default-credentials",
		credentialsSecret: "spacelift-system/spacelift-credentials", signingKeySecret: "spacelift-system/run-key"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Tenancy.Enforced || len(o.Tenancy.Spaces) != 2 || !o.Tenancy.Grants["default-credentials"] || len(o.ProtectedSecrets) != 2 {
		t.Errorf("options = %+v", o)
	}
	for _, f := range []managerFlags{{tenancy: "strict"}, {tenancy: "enforce", tenancyGrants: "admin"}, {tenancy: "enforce", tenancySpaces: "team-[a"}} {
		if _, err := controllerOptions(f); err == nil {
			t.Errorf("flags %+v accepted", f)
		}
	}
	if o, err := controllerOptions(managerFlags{tenancy: "off"}); err != nil || o.Tenancy.Enforced {
		t.Errorf("off: %+v, %v", o, err)
	}
}
