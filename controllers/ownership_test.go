package controllers

import (
	"testing"

	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

func TestClaimOf(t *testing.T) {
	tests := []struct {
		name   string
		labels []string
		want   claim
		owner  string
	}{
		{"ours", []string{"team:a", "k8s-owner:team-a/db"}, claimOwned, ""},
		{"no label", []string{"team:a"}, claimUnowned, ""},
		{"same name, other namespace", []string{"k8s-owner:team-b/db"}, claimForeign, "team-b/db"},
		{"other name, same namespace", []string{"k8s-owner:team-a/web"}, claimForeign, "team-a/web"},
		{"labelled for us and another", []string{"k8s-owner:team-a/db", "k8s-owner:evil/db"}, claimForeign, "evil/db"},
		{"prefix look-alike", []string{"k8s-owner-team-a/db"}, claimUnowned, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, owner := claimOf(tt.labels, "team-a", "db")
			if got != tt.want || owner != tt.owner {
				t.Errorf("claimOf = %v, %q; want %v, %q", got, owner, tt.want, tt.owner)
			}
		})
	}
}

func TestAlreadyBound(t *testing.T) {
	refused := &spacelift.Error{Operation: "StackRoleBindingCreate", Kind: spacelift.KindInvalidInput,
		Messages: []string{`stack "faults-admin" already has role "space-admin" in space "root"`}}
	other := &spacelift.Error{Operation: "StackRoleBindingCreate", Kind: spacelift.KindInvalidInput, Messages: []string{`space "nope" not found`}}
	transient := &spacelift.Error{Operation: "StackRoleBindingCreate", Kind: spacelift.KindTransient, Messages: []string{"already has role"}}
	if !alreadyBound(refused) || alreadyBound(other) || alreadyBound(transient) || alreadyBound(nil) {
		t.Errorf("alreadyBound: refused %v, other %v, transient %v", alreadyBound(refused), alreadyBound(other), alreadyBound(transient))
	}
}
