package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/graph-gophers/graphql-go"
)

// save writes the state file atomically: a temporary file in the same
// directory, synced, then renamed over the old one.
func (s *Server) save() error {
	if s.opts.StateFile == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	data, err := json.MarshalIndent(s.st, "", "  ")
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encoding emulator state: %w", err)
	}
	dir := filepath.Dir(s.opts.StateFile)
	tmp, err := os.CreateTemp(dir, ".emulator-state-*")
	if err != nil {
		return fmt.Errorf("creating temporary state file in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), s.opts.StateFile); err != nil {
		return fmt.Errorf("replacing state file %s: %w", s.opts.StateFile, err)
	}
	return nil
}

// load reads the state file; a missing file means a fresh start.
func (s *Server) load() error {
	data, err := os.ReadFile(s.opts.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading state file %s: %w", s.opts.StateFile, err)
	}
	st := newState()
	if err := json.Unmarshal(data, st); err != nil {
		return fmt.Errorf("decoding state file %s: %w", s.opts.StateFile, err)
	}
	fillMaps(st)
	for _, msg := range repairState(st) {
		s.log.Warn("repaired state file", "file", s.opts.StateFile, "change", msg)
	}
	s.mu.Lock()
	s.st = st
	s.mu.Unlock()
	return nil
}

// fillMaps replaces maps a hand-edited or older state file left out.
func fillMaps(st *state) {
	if st.Stacks == nil {
		st.Stacks = map[graphql.ID]*stackRecord{}
	}
	if st.Runs == nil {
		st.Runs = map[graphql.ID]*runRecord{}
	}
	if st.Policies == nil {
		st.Policies = map[graphql.ID]*policyData{}
	}
	if st.PolicyAttach == nil {
		st.PolicyAttach = map[graphql.ID]*attachment{}
	}
	if st.Spaces == nil {
		st.Spaces = map[graphql.ID]*spaceData{}
	}
	if st.WorkerPools == nil {
		st.WorkerPools = map[graphql.ID]*workerPoolData{}
	}
	if st.Contexts == nil {
		st.Contexts = map[graphql.ID]*contextRecord{}
	}
	if st.ContextAttach == nil {
		st.ContextAttach = map[graphql.ID]*attachment{}
	}
	if st.AwsIntegrations == nil {
		st.AwsIntegrations = map[graphql.ID]*awsIntegration{}
	}
	if st.AwsAttach == nil {
		st.AwsAttach = map[graphql.ID]*attachment{}
	}
	if st.Dependencies == nil {
		st.Dependencies = map[graphql.ID]*dependencyRec{}
	}
	if st.Roles == nil {
		st.Roles = map[graphql.ID]*roleData{}
	}
	if st.RoleBindings == nil {
		st.RoleBindings = map[graphql.ID]*roleBindingData{}
	}
}

// repairState fixes what older emulator versions could write but the current
// one never serves: a stack state outside StackState (a stack used to show
// READY while its run waited for a worker) becomes the state of its blocking
// run when that is a stack state, NONE otherwise. It returns what it changed.
func repairState(st *state) []string {
	var changes []string
	for _, rec := range sortedValues(st.Stacks) {
		if enumHas("StackState", rec.State) {
			continue
		}
		fixed := "NONE"
		var blocker *runRecord
		for _, r := range st.Runs {
			if r.StackID == rec.ID && blocksStack(r.Type) && !terminalRunStates[r.State] && (blocker == nil || r.Seq < blocker.Seq) {
				blocker = r
			}
		}
		if blocker != nil {
			if s, ok := stackStateOf(blocker.State); ok {
				fixed = s
			}
		}
		changes = append(changes, fmt.Sprintf("stack %s: state %q is not a StackState, now %s", rec.ID, rec.State, fixed))
		rec.State = fixed
	}
	return changes
}
