package emulator

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/graph-gophers/graphql-go"
)

// searchWorkerPools, and stateDownloadUrl with the download it points at.

var workerPoolSearch = spacedSearch(func(w *workerPoolData) []string { return []string{deref(w.Description)} })

// SearchWorkerPools pages through private worker pools like searchStacks.
func (r *rootResolver) SearchWorkerPools(ctx context.Context, args searchArgs) (*connection[*workerPoolView], error) {
	return searchObjects(ctx, r.s, workerPoolObjects, args.Input, workerPoolSearch, r.s.workerPoolViewLocked)
}

type stateDownloadInput struct{ StackID graphql.ID }

type stateDownloadArgs struct{ Input stateDownloadInput }

type stateDownloadView struct{ URL string }

// stateURLTTL is how long a state download URL works, like a presigned URL.
const stateURLTTL = 5 * time.Minute

// StateDownloadUrl hands out a short-lived, signed URL under /state/.
func (r *rootResolver) StateDownloadUrl(ctx context.Context, args stateDownloadArgs) (*stateDownloadView, error) { //nolint:revive // name fixed by the schema
	return onStack(ctx, r.s, args.Input.StackID, func(st *stackRecord) (*stateDownloadView, error) {
		if !st.ManagesStateFile {
			return nil, fmt.Errorf("stack %q does not have its state managed by Spacelift", st.ID)
		}
		expires := r.s.nowLocked().Add(stateURLTTL).Unix()
		sig := b64.EncodeToString(sign(r.s.st.SigningKey, stateSigningString(st.ID, expires)))
		u := fmt.Sprintf("%s/state/%s?expires=%d&signature=%s", info(ctx).baseURL, st.ID, expires, sig)
		return &stateDownloadView{URL: u}, nil
	})
}

func stateSigningString(stack graphql.ID, expires int64) string {
	return "state:" + string(stack) + ":" + strconv.FormatInt(expires, 10)
}

// terraformState is the part of a Terraform state file the emulator can
// fill from what it knows: the managed entities, without attributes.
type terraformState struct {
	Version          int                 `json:"version"`
	TerraformVersion string              `json:"terraform_version"`
	Serial           int                 `json:"serial"`
	Lineage          string              `json:"lineage"`
	Outputs          map[string]any      `json:"outputs"`
	Resources        []terraformStateRes `json:"resources"`
}

type terraformStateRes struct {
	Mode      string `json:"mode"`
	Type      string `json:"type"`
	Name      string `json:"name"`
	Provider  string `json:"provider"`
	Instances []any  `json:"instances"`
}

// serveState answers GET /state/<stack> for a URL from stateDownloadUrl.
func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	stack := graphql.ID(strings.TrimPrefix(r.URL.Path, "/state/"))
	expires, err := strconv.ParseInt(r.URL.Query().Get("expires"), 10, 64)
	sig, sigErr := b64.DecodeString(r.URL.Query().Get("signature"))
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil || sigErr != nil || !hmac.Equal(sig, sign(s.st.SigningKey, stateSigningString(stack, expires))):
		http.Error(w, "signature does not match", http.StatusForbidden)
		return
	case s.nowLocked().Unix() > expires:
		http.Error(w, "the download URL has expired; ask stateDownloadUrl for a new one", http.StatusForbidden)
		return
	}
	st, ok := s.st.Stacks[stack]
	if !ok {
		http.NotFound(w, r)
		return
	}
	state := terraformState{Version: 4, TerraformVersion: "1.5.7", Serial: len(s.stackRunsLocked(stack)),
		Lineage: string(stack), Outputs: map[string]any{}, Resources: []terraformStateRes{}}
	for _, e := range st.Entities {
		state.Resources = append(state.Resources, terraformStateRes{Mode: "managed", Type: e.Type, Name: e.Name,
			Provider: `provider["registry.opentofu.org/hashicorp/null"]`, Instances: []any{}})
	}
	for _, o := range st.Outputs {
		state.Outputs[string(o.ID)] = map[string]any{"value": o.Val, "sensitive": o.Sensitive}
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(state); err != nil {
		s.log.Debug("writing state", "err", err)
	}
}
