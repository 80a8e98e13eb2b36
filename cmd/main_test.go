package main

import (
	"strings"
	"testing"

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
