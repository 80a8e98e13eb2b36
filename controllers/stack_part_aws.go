package controllers

import (
	spaceliftv1alpha1 "github.com/stackwright/spacelift-operator/api/v1alpha1"
	"github.com/stackwright/spacelift-operator/internal/spacelift"
)

// awsPart is the stack's AWS integration attachment.
type awsPart struct{}

func (awsPart) name() string { return "AWS integration" }

func (awsPart) changes(in *partInput) []partChange {
	return awsChanges(in.id, in.obj.Spec.AWSIntegration, in.observed.AWSIntegration)
}

// awsChanges keeps the one wanted attachment (updating its access) and
// detaches every other.
func awsChanges(stackID string, want *spaceliftv1alpha1.AWSIntegrationAttachment, got []spacelift.AWSIntegrationAttachment) []partChange {
	var out []partChange
	for _, a := range got {
		if want != nil && a.IntegrationID == want.ID {
			if a.Read != want.Read || a.Write != want.Write {
				out = append(out, partChange{mutation: spacelift.UpdateAWSIntegrationAttachmentMutation(a.ID, want.Read, want.Write)})
			}
			want = nil
			continue
		}
		out = append(out, partChange{mutation: spacelift.DetachAWSIntegrationMutation(a.ID)})
	}
	if want != nil {
		out = append(out, partChange{mutation: spacelift.AttachAWSIntegrationMutation(want.ID, stackID, want.Read, want.Write)})
	}
	return out
}
