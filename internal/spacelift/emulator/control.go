package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/graph-gophers/graphql-go"
)

// The control API drives the emulator from tests and scripts. It needs no
// token and lives under /_emulator/, apart from /graphql. Every endpoint
// takes and returns JSON; each has a Go method of the same purpose.
//
//	GET    /_emulator/clock                 {"now"}
//	POST   /_emulator/clock/advance         {"duration":"90s"}
//	POST   /_emulator/faults/fail-next      {"count":2,"status":429,"retryAfter":"3s"}
//	POST   /_emulator/faults/latency        {"latency":"200ms"}
//	GET    /_emulator/operations            recorded GraphQL requests
//	DELETE /_emulator/operations            forget them
//	POST   /_emulator/drift                 DriftSeed
//	POST   /_emulator/drift-detection       {"stack":"id"} starts a drift detection run now
//	POST   /_emulator/plan                  {"stack":"id", PlanSpec...}
//	POST   /_emulator/seed                  Seed
//	POST   /_emulator/stack-token           {"stack":"id"} a token to act as the stack's runs do
//	GET    /_emulator/runs?stack=id         RunInfo list, newest first
//	GET    /_emulator/webhooks              webhook delivery attempts
//	POST   /_emulator/reset                 forget everything but the signing key

// Duration is a time.Duration written as a Go duration string ("1m30s") or
// a number of seconds in JSON.
type Duration time.Duration

// UnmarshalJSON accepts "90s" or 90.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var secs float64
	if err := json.Unmarshal(b, &secs); err == nil {
		*d = Duration(time.Duration(secs * float64(time.Second)))
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("duration must be a string or a number of seconds: %w", err)
	}
	v, err := time.ParseDuration(str)
	if err != nil {
		return fmt.Errorf("parsing duration %q: %w", str, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// DriftSeed makes a stack's real infrastructure drift from its state.
type DriftSeed struct {
	Stack string `json:"stack"`
	// Entities, when given, replace the stack's managed entities.
	Entities []SeedEntity `json:"entities,omitempty"`
	// Drifted is how many of the entities (the first ones) have drifted; the
	// next drift detection run marks them and plans that many changes.
	Drifted int `json:"drifted"`
	// RunDriftDetection starts a drift detection run at once.
	RunDriftDetection bool `json:"runDriftDetection,omitempty"`
}

// SeedEntity is a managed resource of a stack.
type SeedEntity struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Name    string `json:"name,omitempty"`
}

// Seed adds or replaces objects the operator only reads.
type Seed struct {
	Spaces          []SeedSpace          `json:"spaces,omitempty"`
	WorkerPools     []SeedWorkerPool     `json:"workerPools,omitempty"`
	Contexts        []SeedContext        `json:"contexts,omitempty"`
	AWSIntegrations []SeedAWSIntegration `json:"awsIntegrations,omitempty"`
	Roles           []SeedRole           `json:"roles,omitempty"`
	Outputs         []SeedOutput         `json:"outputs,omitempty"`
	// AdministrativeStacks are existing stacks to mark with the legacy
	// administrative flag, as stacks created before Spacelift stopped
	// accepting it carry it; stackUpdate clears it.
	AdministrativeStacks []string `json:"administrativeStacks,omitempty"`
}

// SeedSpace is a space.
type SeedSpace struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Description     string   `json:"description,omitempty"`
	ParentSpace     string   `json:"parentSpace,omitempty"`
	InheritEntities bool     `json:"inheritEntities,omitempty"`
	Labels          []string `json:"labels,omitempty"`
}

// SeedWorkerPool is a private worker pool.
type SeedWorkerPool struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Labels      []string `json:"labels,omitempty"`
	Space       string   `json:"space,omitempty"`
}

// SeedContext is a context with its config elements.
type SeedContext struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Labels      []string     `json:"labels,omitempty"`
	Space       string       `json:"space,omitempty"`
	Config      []SeedConfig `json:"config,omitempty"`
}

// SeedConfig is an environment variable or mounted file.
type SeedConfig struct {
	ID        string `json:"id"`
	Type      string `json:"type,omitempty"`
	Value     string `json:"value"`
	WriteOnly bool   `json:"writeOnly,omitempty"`
}

// SeedAWSIntegration is a cloud integration stacks can attach.
type SeedAWSIntegration struct {
	ID                          string   `json:"id"`
	Name                        string   `json:"name"`
	RoleArn                     string   `json:"roleArn"`
	ExternalID                  string   `json:"externalId,omitempty"`
	DurationSeconds             int32    `json:"durationSeconds,omitempty"`
	GenerateCredentialsInWorker bool     `json:"generateCredentialsInWorker,omitempty"`
	Labels                      []string `json:"labels,omitempty"`
	Space                       string   `json:"space,omitempty"`
	Region                      string   `json:"region,omitempty"`
	AutoattachEnabled           bool     `json:"autoattachEnabled,omitempty"`
}

// SeedRole is a custom role; the system roles space-admin, space-writer,
// space-reader and worker-pool-controller always exist. Actions are
// Spacelift's action names, such as SPACE_ADMIN.
type SeedRole struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Actions     []string `json:"actions,omitempty"`
}

// SeedOutput is a stack output, as a finished run would leave it.
type SeedOutput struct {
	Stack       string `json:"stack"`
	ID          string `json:"id"`
	Value       string `json:"value"`
	Sensitive   bool   `json:"sensitive,omitempty"`
	Description string `json:"description,omitempty"`
}

// RunInfo is a run as the control API reports it.
type RunInfo struct {
	ID                   string   `json:"id"`
	StackID              string   `json:"stackId"`
	Type                 string   `json:"type"`
	State                string   `json:"state"`
	DriftDetection       bool     `json:"driftDetection"`
	States               []string `json:"states"`
	UserProvidedMetadata []string `json:"userProvidedMetadata"`
}

var errNotFound = errors.New("not found")

func orRoot(space string) graphql.ID {
	if space == "" {
		return "root"
	}
	return graphql.ID(space)
}

// Seed adds or replaces spaces, worker pools, contexts, AWS integrations,
// roles and stack outputs.
func (s *Server) Seed(seed Seed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := unix(s.nowLocked())
	for _, sp := range seed.Spaces {
		if sp.ID == "" {
			return errors.New("seeded space needs an id")
		}
		d := &spaceData{ID: graphql.ID(sp.ID), Name: cmpOr(sp.Name, sp.ID), Description: sp.Description,
			InheritEntities: sp.InheritEntities, Labels: cloneStrings(sp.Labels)}
		if sp.ParentSpace != "" {
			p := graphql.ID(sp.ParentSpace)
			d.ParentSpace = &p
		} else if sp.ID != "root" {
			p := graphql.ID("root")
			d.ParentSpace = &p
		}
		s.st.Spaces[d.ID] = d
	}
	for _, wp := range seed.WorkerPools {
		if wp.ID == "" {
			return errors.New("seeded worker pool needs an id")
		}
		d := &workerPoolData{described: described{Description: unlessEmpty(wp.Description),
			spaced: spaced{ID: graphql.ID(wp.ID), Name: cmpOr(wp.Name, wp.ID), Labels: cloneStrings(wp.Labels), Space: orRoot(wp.Space), CreatedAt: now, UpdatedAt: now}}}
		s.st.WorkerPools[d.ID] = d
	}
	for _, c := range seed.Contexts {
		if c.ID == "" {
			return errors.New("seeded context needs an id")
		}
		rec := &contextRecord{described: described{Description: unlessEmpty(c.Description),
			spaced: spaced{ID: graphql.ID(c.ID), Name: cmpOr(c.Name, c.ID), Labels: cloneStrings(c.Labels), Space: orRoot(c.Space), CreatedAt: now, UpdatedAt: now}}, Config: []*configRecord{}}
		for _, el := range c.Config {
			if err := checkEnum("seeded config element "+el.ID+" type", "ConfigType", cmpOr(el.Type, "ENVIRONMENT_VARIABLE")); err != nil {
				return err
			}
			rec.Config = append(rec.Config, &configRecord{ID: graphql.ID(el.ID), Type: cmpOr(el.Type, "ENVIRONMENT_VARIABLE"),
				Val: el.Value, WriteOnly: el.WriteOnly, CreatedAt: now, Checksum: checksum(el.Value)})
		}
		s.st.Contexts[rec.ID] = rec
	}
	for _, in := range seed.AWSIntegrations {
		if in.ID == "" || in.RoleArn == "" {
			return errors.New("seeded aws integration needs an id and a roleArn")
		}
		d := &awsIntegration{ID: graphql.ID(in.ID), Name: cmpOr(in.Name, in.ID), RoleArn: in.RoleArn, ExternalId: in.ExternalID,
			DurationSeconds: cmpOr(in.DurationSeconds, 900), GenerateCredentialsInWorker: in.GenerateCredentialsInWorker,
			Labels: cloneStrings(in.Labels), Space: orRoot(in.Space), AutoattachEnabled: in.AutoattachEnabled, Region: unlessEmpty(in.Region)}
		s.st.AwsIntegrations[d.ID] = d
	}
	for _, r := range seed.Roles {
		if r.ID == "" {
			return errors.New("seeded role needs an id")
		}
		s.st.Roles[graphql.ID(r.ID)] = &roleData{ID: graphql.ID(r.ID), Slug: Slug(cmpOr(r.Name, r.ID)), Name: cmpOr(r.Name, r.ID),
			Description: r.Description, Actions: cloneStrings(r.Actions)}
	}
	for _, id := range seed.AdministrativeStacks {
		st, ok := s.st.Stacks[graphql.ID(id)]
		if !ok {
			return fmt.Errorf("administrative stack %q: %w", id, errNotFound)
		}
		st.Administrative = true
	}
	for _, o := range seed.Outputs {
		st, ok := s.st.Stacks[graphql.ID(o.Stack)]
		if !ok {
			return fmt.Errorf("stack %q: %w", o.Stack, errNotFound)
		}
		out := outputData{ID: graphql.ID(o.ID), Sensitive: o.Sensitive, Val: o.Value, Description: unlessEmpty(o.Description)}
		outs := slices.DeleteFunc(slices.Clone(st.Outputs), func(x outputData) bool { return x.ID == out.ID })
		st.Outputs = append(outs, out)
	}
	return nil
}

func cmpOr[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}

// SeedDrift sets how far a stack's real infrastructure has drifted and, when
// asked, starts a drift detection run; it returns that run's id.
func (s *Server) SeedDrift(seed DriftSeed) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.st.Stacks[graphql.ID(seed.Stack)]
	if !ok {
		return "", fmt.Errorf("stack %q: %w", seed.Stack, errNotFound)
	}
	if seed.Drifted < 0 {
		return "", errors.New("drifted must not be negative")
	}
	if seed.Entities != nil {
		entities := make([]*entityRecord, 0, len(seed.Entities))
		for _, e := range seed.Entities {
			if e.Address == "" {
				return "", errors.New("seeded entity needs an address")
			}
			typ, name, _ := strings.Cut(e.Address, ".")
			entities = append(entities, &entityRecord{entityData: entityData{ID: graphql.ID(e.Address), Address: e.Address,
				Type: cmpOr(e.Type, typ), Name: cmpOr(e.Name, name), Parent: string(st.ID)}})
		}
		st.Entities = entities
	}
	st.RealDrift = seed.Drifted
	if !seed.RunDriftDetection {
		return "", nil
	}
	return s.startDriftDetectionLocked(st)
}

// TriggerDriftDetection starts a drift detection run on a stack now,
// whatever its schedule; it returns the run id.
func (s *Server) TriggerDriftDetection(stack string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.st.Stacks[graphql.ID(stack)]
	if !ok {
		return "", fmt.Errorf("stack %q: %w", stack, errNotFound)
	}
	return s.startDriftDetectionLocked(st)
}

func (s *Server) startDriftDetectionLocked(st *stackRecord) (string, error) {
	if s.driftRunActiveLocked(st.ID) {
		return "", fmt.Errorf("stack %q already has a drift detection run in progress", st.ID)
	}
	reconcile := st.Drift != nil && st.Drift.Reconcile
	r := s.newRunLocked(st, "PROPOSED", s.nowLocked(), runOptions{driftDetection: true, reconcile: reconcile, triggeredBy: "drift detection"})
	return string(r.ID), nil
}

// SetNextPlan decides what the next tracked run of a stack finds when it plans.
func (s *Server) SetNextPlan(stack string, p PlanSpec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.st.Stacks[graphql.ID(stack)]
	if !ok {
		return fmt.Errorf("stack %q: %w", stack, errNotFound)
	}
	st.NextPlan = &p
	return nil
}

// Runs lists a stack's runs (all stacks when stack is empty), newest first.
func (s *Server) Runs(stack string) []RunInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []RunInfo
	for _, r := range sortedValues(s.st.Runs) {
		if stack != "" && string(r.StackID) != stack {
			continue
		}
		info := RunInfo{ID: string(r.ID), StackID: string(r.StackID), Type: r.Type, State: r.State,
			DriftDetection: r.DriftDetection, UserProvidedMetadata: cloneStrings(r.UserProvidedMetadata)}
		for _, h := range r.History {
			info.States = append(info.States, h.State)
		}
		out = append(out, info)
	}
	slices.Reverse(out)
	return orEmpty(out)
}

// Reset forgets every object, run, recorded operation and injected fault;
// the token signing key survives so issued tokens stay valid.
func (s *Server) Reset() {
	s.mu.Lock()
	key, offset := s.st.SigningKey, s.st.ClockOffset
	s.st = newState()
	s.st.SigningKey, s.st.ClockOffset = key, offset
	s.ops = nil
	s.mu.Unlock()
	s.faultMu.Lock()
	s.failNext, s.extraLatency = 0, 0
	s.faultMu.Unlock()
}

// ClearOperations forgets the recorded GraphQL requests.
func (s *Server) ClearOperations() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops = nil
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + strings.TrimPrefix(r.URL.Path, "/_emulator")
	var (
		result any
		err    error
	)
	switch route {
	case "GET /clock":
		result = map[string]any{"now": s.now()}
	case "POST /clock/advance":
		var req struct {
			Duration Duration `json:"duration"`
		}
		if err = decode(r, &req); err == nil {
			result = map[string]any{"now": s.Advance(time.Duration(req.Duration))}
		}
	case "POST /faults/fail-next":
		var req struct {
			Count      int      `json:"count"`
			Status     int      `json:"status"`
			RetryAfter Duration `json:"retryAfter"`
		}
		if err = decode(r, &req); err == nil {
			s.FailNext(req.Count, req.Status, time.Duration(req.RetryAfter))
			result = req
		}
	case "POST /faults/latency":
		var req struct {
			Latency Duration `json:"latency"`
		}
		if err = decode(r, &req); err == nil {
			s.SetLatency(time.Duration(req.Latency))
			result = req
		}
	case "GET /operations":
		result = orEmpty(s.Operations())
	case "DELETE /operations":
		s.ClearOperations()
		result = map[string]any{}
	case "POST /drift":
		var req DriftSeed
		if err = decode(r, &req); err == nil {
			var runID string
			if runID, err = s.SeedDrift(req); err == nil {
				result = map[string]any{"runId": runID}
			}
		}
	case "POST /drift-detection":
		var req struct {
			Stack string `json:"stack"`
		}
		if err = decode(r, &req); err == nil {
			var runID string
			if runID, err = s.TriggerDriftDetection(req.Stack); err == nil {
				result = map[string]any{"runId": runID}
			}
		}
	case "POST /plan":
		var req struct {
			Stack string `json:"stack"`
			PlanSpec
		}
		if err = decode(r, &req); err == nil {
			err = s.SetNextPlan(req.Stack, req.PlanSpec)
			result = req
		}
	case "POST /seed":
		var req Seed
		if err = decode(r, &req); err == nil {
			err = s.Seed(req)
			result = map[string]any{}
		}
	case "POST /stack-token":
		var req struct {
			Stack string `json:"stack"`
		}
		if err = decode(r, &req); err == nil {
			if req.Stack == "" {
				err = errors.New("stack-token needs a stack id")
			} else {
				result = map[string]any{"token": s.StackToken(req.Stack, baseURL(r))}
			}
		}
	case "GET /runs":
		result = s.Runs(r.URL.Query().Get("stack"))
	case "GET /webhooks":
		result = orEmpty(s.WebhookDeliveries())
	case "POST /reset":
		s.Reset()
		result = map[string]any{}
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no control endpoint " + route})
		return
	}
	switch {
	case errors.Is(err, errNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	case err != nil:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if r.Method != http.MethodGet {
		if err := s.save(); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, result)
}

func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("reading request body: %w", err)
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding request body: %w", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// unlessEmpty is a seed's optional string: nil when it is empty.
func unlessEmpty(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}
