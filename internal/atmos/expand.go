package atmos

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
)

// Options control Expand.
type Options struct {
	// ConfigFile is atmos.yaml's path in the tree; "" means DefaultConfigFile,
	// and then a tree without atmos.yaml is expanded with Overrides alone.
	ConfigFile string
	// Overrides replace the settings read from atmos.yaml, field by field.
	Overrides Settings
	// RepoPath is where fsys's root sits in the repository it was read from
	// (spec.source.git.path); "" when fsys is the whole repository or a tree
	// of its own. atmos resolves the paths in atmos.yaml and manifests
	// against real directories, so a path may go up out of fsys and come back
	// into it ("../../scenarios/x/stacks" in tests/fixtures/scenarios/x);
	// RepoPath is what such a path is resolved against. A path that ends
	// outside fsys is refused: expansion reads nothing else.
	RepoPath string
}

// Record is one component instance that atmos turns into a Spacelift stack.
type Record struct {
	// Name is the Spacelift stack name (the key atmos uses; "/" replaced by "-").
	// The admin-stack component passes a raw settings.spacelift.stack_name to
	// Spacelift instead when one is set; Settings holds it.
	Name string
	// Stack is the atmos stack name (name_template / name_pattern applied to
	// the instance's vars; the manifest name with "/" as "-" without either).
	Stack string
	// Component is the atmos component name.
	Component string
	// BaseComponent is the Terraform component (metadata.component or the
	// top-level component attribute) when it differs from Component.
	BaseComponent string
	// Workspace is the Terraform workspace.
	Workspace string
	// File is the top-level stack manifest's path in the tree.
	File string
	// StackFile is atmos's name for that manifest: relative to the stacks base
	// path, without the extension.
	StackFile string

	// Namespace, Tenant, Environment, Stage and Region are the string values
	// of the corresponding vars ("" when unset).
	Namespace, Tenant, Environment, Stage, Region string
	// Tags are the string-valued entries of vars.tags (the only ones a
	// context filter can match); nil when vars.tags is unset.
	Tags map[string]string
	// Administrative is settings.spacelift.administrative.
	Administrative bool
	// RootAdministrative is settings.spacelift.root_administrative.
	RootAdministrative bool

	// Labels are the labels atmos computes, in its order: deps:, then
	// settings.spacelift.labels, then depends-on: from the legacy
	// settings.spacelift.depends_on (sorted), then depends-on: from
	// settings.depends_on (sorted), then folder:component/<component> and
	// folder:<stack with "-" as "/">; duplicates removed.
	Labels []string
	// Deps are the manifests (stacks base path relative, no extension) that
	// supply a value of the instance's vars, settings, env or backend, sorted.
	Deps []string

	// Vars, Settings, Env and Metadata are the instance's merged sections.
	Vars, Settings, Env, Metadata map[string]any

	// Unevaluated lists, sorted, the dotted paths (e.g. "vars.vpc_id") of the
	// values in Vars, Settings and Env that atmos's Spacelift processing
	// leaves unevaluated because they need live infrastructure or a
	// component run: YAML functions such as "!terraform.output vpc .id",
	// "!terraform.state", "!store", "!exec", and templates that call
	// atmos.Component, atmos.Store or atmos.GomplateDatasource. They reach
	// Spacelift as those literal strings; atmos evaluates them when it runs
	// the component inside the stack. Nil when there are none.
	Unevaluated []string
}

// Expand reads the atmos tree in fsys and returns its Spacelift-enabled
// component instances sorted by Name. Every error but a failure to read
// fsys is a problem in the configuration, which retrying cannot fix;
// problems located in a manifest are *Error values naming the file and key.
func Expand(fsys fs.FS, opts Options) ([]Record, error) {
	name := opts.ConfigFile
	if name == "" {
		name = DefaultConfigFile
	}
	s, err := LoadSettings(fsys, name)
	if err != nil && (opts.ConfigFile != "" || !errors.Is(err, fs.ErrNotExist)) {
		return nil, err
	}
	return expand(fsys, s.Override(opts.Overrides), cleanRepoPath(opts.RepoPath))
}

// ExpandSettings is Expand with the settings given instead of read from
// atmos.yaml, for a tree that is a whole repository.
func ExpandSettings(fsys fs.FS, s Settings) ([]Record, error) {
	return expand(fsys, s, "")
}

func expand(fsys fs.FS, s Settings, repoPath string) ([]Record, error) {
	e, err := newExpander(fsys, s, repoPath)
	if err != nil {
		return nil, err
	}
	return e.run()
}

// expander holds the state of one expansion.
type expander struct {
	l           *loader
	ls          ListMergeStrategy
	namer       *namer
	metaInherit bool
	workspaces  bool
	depsFormat  string
	env         map[string]any
	s           Settings
}

// effectiveStrategy returns the list merge strategy in effect for a
// component: the last settings.list_merge_strategy among the settings
// layers, else base (atmos's effectiveAtmosConfig). An unknown value is
// skipped here; checkStrategies reports it, as atmos refuses it when it merges.
func effectiveStrategy(base ListMergeStrategy, settingsLayers ...map[string]any) ListMergeStrategy {
	out := base
	for _, l := range settingsLayers {
		if v, ok := l["list_merge_strategy"].(string); ok && v != "" {
			if ls, err := parseListMergeStrategy(v); err == nil {
				out = ls
			}
		}
	}
	return out
}

// checkStrategies reports a settings.list_merge_strategy that atmos would
// refuse in any of the settings layers.
func checkStrategies(settingsLayers ...map[string]any) error {
	for _, l := range settingsLayers {
		if v, ok := l["list_merge_strategy"].(string); ok && v != "" {
			if _, err := parseListMergeStrategy(v); err != nil {
				return err
			}
		}
	}
	return nil
}

func newExpander(fsys fs.FS, s Settings, repoPath string) (*expander, error) {
	base, err := s.validate(repoPath)
	if err != nil {
		return nil, err
	}
	ls, _ := parseListMergeStrategy(s.ListMergeStrategy)
	n, err := newNamer(s, templateFuncs(s.Environment))
	if err != nil {
		return nil, err
	}
	l, err := newLoader(fsys, base, repoPath, s, ls)
	if err != nil {
		return nil, err
	}
	e := &expander{
		l:           l,
		ls:          ls,
		namer:       n,
		metaInherit: s.MetadataInheritance == nil || *s.MetadataInheritance,
		workspaces:  s.WorkspacesEnabled == nil || *s.WorkspacesEnabled,
		depsFormat:  "deps:" + s.StackConfigPathTemplate,
		env:         map[string]any{},
		s:           s,
	}
	if s.StackConfigPathTemplate == "" {
		e.depsFormat = "deps:" + DefaultStackConfigPathTemplate
	}
	for k, v := range s.Env {
		e.env[k] = v
	}
	return e, nil
}

func (e *expander) run() ([]Record, error) {
	files, err := e.l.discover(e.s.IncludedPaths, e.s.ExcludedPaths)
	if err != nil {
		return nil, err
	}
	var all []*instance
	for _, f := range files {
		st, err := e.stack(f)
		if err != nil {
			return nil, err
		}
		for _, c := range st.componentNames {
			in, err := e.resolve(st, c)
			if err != nil {
				return nil, err
			}
			all = append(all, in)
		}
	}
	// Every component of every stack has a Spacelift name, whether or not it
	// becomes a stack; depends_on targets are checked against all of them.
	allNames := make(map[string]bool, len(all))
	for _, in := range all {
		allNames[in.spaceliftName] = true
	}
	var records []Record
	byName := map[string]*instance{}
	for _, in := range all {
		if !in.workspaceEnabled || in.abstract || !in.enabled {
			continue
		}
		if prev, dup := byName[in.spaceliftName]; dup {
			return nil, &Error{
				File: in.st.m.file, Key: "components.terraform." + in.component, StackFile: in.st.m.name, Component: in.component,
				Err: fmt.Errorf("duplicate Spacelift stack name %q: also used by component %q in stack %q (%s); make settings.spacelift.stack_name_pattern or stack_name specific enough",
					in.spaceliftName, prev.component, prev.st.m.name, prev.st.m.file),
			}
		}
		byName[in.spaceliftName] = in
		r, err := e.record(in, allNames)
		if err != nil {
			return nil, err
		}
		records = append(records, r)
	}
	sort.Slice(records, func(i, j int) bool { return records[i].Name < records[j].Name })
	return records, nil
}

// stack is a top-level stack manifest merged with its imports.
type stack struct {
	m      *manifest
	merged map[string]any
	// depsOrder is the order atmos searches for the source of a value: the
	// stack manifest, then its imports sorted by name.
	depsOrder []*manifest
	// precedence is the stack manifest, then its imports, the one merged
	// last first (for locating the winning value in error messages).
	precedence []*manifest

	components     map[string]any  // merged components.terraform
	componentNames []string        // sorted
	componentSet   map[string]bool // names with "/" as "-" (legacy depends_on)

	vars, settings, env map[string]any // global merged with the terraform section
	backendType         string         // terraform.backend_type
	backend             map[string]any // terraform.backend
}

func (e *expander) stack(rel string) (*stack, error) {
	p, err := e.l.process(rel, processArgs{}, nil)
	if err != nil {
		return nil, err
	}
	m := p.self()
	st := &stack{m: m, merged: p.merged}

	imports := slices.Clone(p.imports)
	sort.Slice(imports, func(i, j int) bool { return imports[i].name < imports[j].name })
	st.depsOrder = append([]*manifest{m}, imports...)

	seen := map[*manifest]bool{}
	for i := len(p.order) - 1; i >= 0; i-- {
		if f := p.order[i]; !seen[f] {
			seen[f] = true
			st.precedence = append(st.precedence, f)
		}
	}

	st.components = mapAt(mapAt(p.merged, "components"), "terraform")
	st.componentSet = make(map[string]bool, len(st.components))
	for name := range st.components {
		st.componentNames = append(st.componentNames, name)
		st.componentSet[strings.ReplaceAll(name, "/", "-")] = true
	}
	sort.Strings(st.componentNames)

	tf := mapAt(p.merged, "terraform")
	st.vars = merged(e.ls, mapAt(p.merged, "vars"), mapAt(tf, "vars"))
	st.settings = merged(e.ls, mapAt(p.merged, "settings"), mapAt(tf, "settings"))
	st.env = merged(e.ls, e.env, mapAt(p.merged, "env"), mapAt(tf, "env"))
	st.backendType, _ = tf["backend_type"].(string)
	st.backend = mapAt(tf, "backend")
	return st, nil
}

// instance is one component of one stack, resolved.
type instance struct {
	st        *stack
	component string
	base      string
	chain     []string // base components, highest priority first

	vars, settings, env, metadata map[string]any
	backendType                   string
	backend                       map[string]any
	backendKeys                   map[string]bool
	// ls is the list merge strategy of the instance (atmos.yaml's, or the
	// last settings.list_merge_strategy among its settings layers).
	ls ListMergeStrategy

	// h and cm are kept to finish the instance (env, backend) only when it
	// becomes a record: most instances never do.
	h  *inheritance
	cm map[string]any

	ctx              Context
	prefix           string
	spacelift        map[string]any
	spaceliftName    string
	abstract         bool
	enabled          bool
	workspaceEnabled bool
}

// errorf builds an *Error for the instance, located at the manifest that
// supplies keys (a path below the component, e.g. settings.spacelift.labels).
func (in *instance) errorf(keys []string, format string, args ...any) error {
	file, key := in.st.origin(in.component, in.chain, keys...)
	return &Error{File: file, Key: key, StackFile: in.st.m.name, Component: in.component, Err: fmt.Errorf(format, args...)}
}

// inheritance accumulates the sections of base components, as atmos's
// processBaseComponentConfig does.
type inheritance struct {
	e                             *expander
	st                            *stack
	vars, settings, env, metadata map[string]any
	backend                       map[string]any
	backendType                   string
	chain                         []string
	visiting                      map[string]bool
	// final is the first base component found defined in the stack: the
	// deepest of the first inheritance branch (atmos's final base component).
	final string
	// ls is the list merge strategy the component's own settings select.
	ls ListMergeStrategy
	// remoteType and remote are the bases' remote_state_backend_type and
	// remote_state_backend.
	remoteType string
	remote     map[string]any
}

// inherit folds base into the accumulated sections on behalf of component:
// first the base's own top-level component attribute (unless the base is
// abstract), then its metadata.inherits in order, then the base itself.
func (h *inheritance) inherit(component, base string) error {
	if component == base {
		return nil
	}
	key := component + "\x00" + base
	if h.visiting[key] {
		return fmt.Errorf("circular component inheritance: %q -> %q", component, base)
	}
	h.visiting[key] = true
	defer delete(h.visiting, key)

	raw, exists := h.st.components[base]
	if !exists {
		// A top-level component attribute may name a Terraform directory
		// rather than an atmos component; there is nothing to inherit then.
		return nil
	}
	bm, _ := raw.(map[string]any)
	md := mapAt(bm, "metadata")
	if t, _ := md["type"].(string); t != "abstract" {
		if c, ok := bm["component"].(string); ok {
			if err := h.inherit(base, c); err != nil {
				return err
			}
		}
	}
	inherits, _ := md["inherits"].([]any)
	for _, x := range inherits {
		name := x.(string) // validated
		if _, ok := h.st.components[name]; !ok {
			return fmt.Errorf("component %q inherits from %q (metadata.inherits), which is not defined in the stack", base, name)
		}
		if err := h.inherit(component, name); err != nil {
			return err
		}
	}
	if h.final == "" {
		h.final = base
	}
	ls := effectiveStrategy(h.ls, mapAt(bm, "settings"))
	mergeInto(h.vars, mapAt(bm, "vars"), ls)
	mergeInto(h.settings, mapAt(bm, "settings"), ls)
	mergeInto(h.env, mapAt(bm, "env"), ls)
	mergeInto(h.backend, mapAt(bm, "backend"), ls)
	if h.e.metaInherit && len(md) > 0 {
		inheritable := make(map[string]any, len(md))
		for k, v := range md {
			if k != "inherits" && k != "type" {
				inheritable[k] = v
			}
		}
		mergeInto(h.metadata, inheritable, ls)
	}
	h.backendType, _ = bm["backend_type"].(string)
	h.remoteType, _ = bm["remote_state_backend_type"].(string)
	mergeInto(h.remote, mapAt(bm, "remote_state_backend"), ls)
	h.chain = append([]string{base}, slices.DeleteFunc(h.chain, func(s string) bool { return s == base })...)
	return nil
}

// resolve merges one component's sections and computes its names.
func (e *expander) resolve(st *stack, component string) (*instance, error) {
	in := &instance{st: st, component: component}
	cm, _ := st.components[component].(map[string]any)
	md := mapAt(cm, "metadata")

	ov := mapAt(cm, "overrides")
	h := &inheritance{
		e: e, st: st,
		vars: map[string]any{}, settings: map[string]any{}, env: map[string]any{},
		metadata: map[string]any{}, backend: map[string]any{}, remote: map[string]any{},
		visiting: map[string]bool{},
		ls:       effectiveStrategy(e.ls, mapAt(cm, "settings"), mapAt(ov, "settings")),
	}
	// The base component, as atmos's processMetadataInheritance settles it:
	// metadata.component when set, else the final base component of the
	// top-level component attribute, else none.
	var topFinal string
	if c, ok := cm["component"].(string); ok {
		if err := h.inherit(component, c); err != nil {
			return nil, in.errorf([]string{"component"}, "%v", err)
		}
		topFinal = h.final
	}
	inherits, _ := md["inherits"].([]any)
	for _, x := range inherits {
		name := x.(string) // validated
		if _, ok := st.components[name]; !ok {
			in.chain = h.chain
			return nil, in.errorf([]string{"metadata", "inherits"}, "inherits from %q, which is not defined in the stack", name)
		}
		if err := h.inherit(component, name); err != nil {
			in.chain = h.chain
			return nil, in.errorf([]string{"metadata", "inherits"}, "%v", err)
		}
	}
	in.chain = h.chain

	if err := checkStrategies(st.settings, h.settings, mapAt(cm, "settings"), mapAt(ov, "settings")); err != nil {
		return nil, in.errorf([]string{"settings", "list_merge_strategy"}, "%v", err)
	}
	in.ls = effectiveStrategy(e.ls, st.settings, h.settings, mapAt(cm, "settings"), mapAt(ov, "settings"))
	in.vars = merged(in.ls, st.vars, h.vars, mapAt(cm, "vars"), mapAt(ov, "vars"))
	in.settings = merged(in.ls, st.settings, h.settings, mapAt(cm, "settings"), mapAt(ov, "settings"))
	if gh := e.s.IntegrationsGitHub; len(gh) > 0 || len(mapAt(mapAt(in.settings, "integrations"), "github")) > 0 {
		integrations, ok := in.settings["integrations"].(map[string]any)
		if !ok {
			integrations = map[string]any{}
		}
		integrations["github"] = merged(in.ls, gh, mapAt(integrations, "github"))
		in.settings["integrations"] = integrations
	}
	if e.metaInherit && len(h.metadata) > 0 {
		in.metadata = merged(in.ls, h.metadata, md)
	} else {
		in.metadata = merged(in.ls, md)
	}
	base := component
	if c, ok := md["component"].(string); ok {
		base = c
	} else if topFinal != "" {
		base = topFinal
	}
	in.h, in.cm = h, cm
	if err := in.checkBackendTypes(); err != nil {
		return nil, err
	}

	in.base = base
	if c, ok := in.metadata["component"].(string); ok {
		in.base = c
	}
	if in.base == component {
		in.base = ""
	}
	t, _ := in.metadata["type"].(string)
	in.abstract = t == "abstract"
	enabled, isBool := in.metadata["enabled"].(bool)
	in.enabled = !isBool || enabled

	in.ctx = contextFromVars(in.vars)
	in.ctx.Component = component
	in.ctx.BaseComponent = in.base
	prefix, err := e.namer.prefix(st.m.name, in.ctx, in.vars)
	if err != nil {
		return nil, &Error{File: st.m.file, StackFile: st.m.name, Component: component, Err: err}
	}
	in.prefix = prefix

	switch sl := in.settings["spacelift"].(type) {
	case nil:
		in.spacelift = map[string]any{}
	case map[string]any:
		in.spacelift = sl
	default:
		return nil, in.errorf([]string{"settings", "spacelift"}, "want a mapping, got %s", kindOf(sl))
	}
	if v, ok := in.spacelift["workspace_enabled"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return nil, in.errorf([]string{"settings", "spacelift", "workspace_enabled"}, "want a boolean, got %s", kindOf(v))
		}
		in.workspaceEnabled = b
	}
	in.spaceliftName = SpaceliftStackName(in.spacelift, in.ctx, in.prefix)
	return in, nil
}

// checkBackendTypes refuses a backend_type (or remote_state_backend_type)
// that names none of the keys configured under backend (or
// remote_state_backend), as atmos does.
func (in *instance) checkBackendTypes() error {
	st, h, cm := in.st, in.h, in.cm
	bt := st.backendType
	if h.backendType != "" {
		bt = h.backendType
	}
	if t, _ := cm["backend_type"].(string); t != "" {
		bt = t
	}
	keys := map[string]bool{}
	for _, b := range []map[string]any{st.backend, h.backend, mapAt(cm, "backend")} {
		for k := range b {
			keys[k] = true
		}
	}
	if bt != "" && len(keys) > 0 && !keys[bt] {
		return in.errorf([]string{"backend_type"}, "backend_type %q does not match any key configured under backend (%s); atmos needs backend.%s", bt, sortedKeys(keys), bt)
	}
	rt := bt
	tf := mapAt(st.merged, "terraform")
	if t, _ := tf["remote_state_backend_type"].(string); t != "" {
		rt = t
	}
	if h.remoteType != "" {
		rt = h.remoteType
	}
	if t, _ := cm["remote_state_backend_type"].(string); t != "" {
		rt = t
	}
	rkeys := map[string]bool{}
	for _, b := range []map[string]any{mapAt(tf, "remote_state_backend"), h.remote, mapAt(cm, "remote_state_backend")} {
		for k := range b {
			rkeys[k] = true
		}
	}
	if rt != "" && len(rkeys) > 0 && !rkeys[rt] {
		return in.errorf([]string{"remote_state_backend_type"}, "remote_state_backend_type %q does not match any key configured under remote_state_backend (%s); atmos needs remote_state_backend.%s", rt, sortedKeys(rkeys), rt)
	}
	return nil
}

// sortedKeys lists a set's keys, sorted and comma-separated.
func sortedKeys(set map[string]bool) string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// finish computes the sections that only records need: env and the backend
// keys (for deps).
func (in *instance) finish(e *expander) {
	st, h, cm := in.st, in.h, in.cm
	in.env = merged(in.ls, st.env, h.env, mapAt(cm, "env"), mapAt(mapAt(cm, "overrides"), "env"))
	in.backendType = st.backendType
	if h.backendType != "" {
		in.backendType = h.backendType
	}
	if t, _ := cm["backend_type"].(string); t != "" {
		in.backendType = t
	}
	if in.backendType != "" {
		in.backendKeys = map[string]bool{}
		for _, b := range []map[string]any{st.backend, h.backend, mapAt(cm, "backend")} {
			for k := range mapAt(b, in.backendType) {
				in.backendKeys[k] = true
			}
		}
		in.backend = merged(in.ls, mapAt(st.backend, in.backendType), mapAt(h.backend, in.backendType), mapAt(mapAt(cm, "backend"), in.backendType))
	}
}

// record builds the Record of a Spacelift-enabled instance.
func (e *expander) record(in *instance, allNames map[string]bool) (Record, error) {
	in.finish(e)
	r := Record{
		Name:          in.spaceliftName,
		Stack:         in.prefix,
		Component:     in.component,
		BaseComponent: in.base,
		File:          in.st.m.file,
		StackFile:     in.st.m.name,
		Namespace:     in.ctx.Namespace,
		Tenant:        in.ctx.Tenant,
		Environment:   in.ctx.Environment,
		Stage:         in.ctx.Stage,
		Region:        in.ctx.Region,
		Vars:          in.vars,
		Settings:      in.settings,
		Env:           in.env,
		Metadata:      in.metadata,
	}
	var err error
	if r.Workspace, err = e.workspace(in); err != nil {
		return Record{}, err
	}
	if r.Administrative, err = in.flag("administrative"); err != nil {
		return Record{}, err
	}
	if r.RootAdministrative, err = in.flag("root_administrative"); err != nil {
		return Record{}, err
	}
	if r.Tags, err = in.tags(); err != nil {
		return Record{}, err
	}
	r.Unevaluated = unevaluated(map[string]any{"vars": r.Vars, "settings": r.Settings, "env": r.Env})
	r.Deps = in.st.deps(in)
	if r.Labels, err = e.labels(in, r.Deps, allNames); err != nil {
		return Record{}, err
	}
	return r, nil
}

// flag reads an optional boolean settings.spacelift.<key>.
func (in *instance) flag(key string) (bool, error) {
	v, ok := in.spacelift[key]
	if !ok {
		return false, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, in.errorf([]string{"settings", "spacelift", key}, "want a boolean, got %s", kindOf(v))
	}
	return b, nil
}

// tags returns the string-valued entries of vars.tags.
func (in *instance) tags() (map[string]string, error) {
	v, ok := in.vars["tags"]
	if !ok || v == nil {
		return nil, nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		// atmos does not check vars; a context filter on tags cannot match.
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, tv := range m {
		if s, ok := tv.(string); ok {
			out[k] = s
		}
	}
	return out, nil
}

// workspace computes the Terraform workspace as atmos does.
func (e *expander) workspace(in *instance) (string, error) {
	if !e.workspaces || in.backendType == "http" {
		// Terraform's http backend has no workspaces.
		return "default", nil
	}
	var ws string
	if t, ok := in.metadata["terraform_workspace_template"].(string); ok {
		backend := in.backend
		if backend == nil {
			backend = map[string]any{}
		}
		data := map[string]any{
			"vars": in.vars, "settings": in.settings, "env": in.env, "metadata": in.metadata,
			"backend": backend, "backend_type": in.backendType,
		}
		out, err := renderTemplate("terraform_workspace_template", t, data, e.namer.funcs, false)
		if err != nil {
			return "", in.errorf([]string{"metadata", "terraform_workspace_template"}, "%v (atmos renders it over the component's vars, settings, env, metadata, backend and backend_type)", err)
		}
		ws = out
	} else if p, ok := in.metadata["terraform_workspace_pattern"].(string); ok {
		ws = ReplaceTokens(in.ctx, p)
	} else if w, ok := in.metadata["terraform_workspace"].(string); ok {
		ws = w
	} else if in.base == "" {
		ws = in.prefix
	} else {
		ws = in.prefix + "-" + in.component
	}
	return strings.ReplaceAll(ws, "/", "-"), nil
}

// labels computes the instance's labels in atmos's order.
func (e *expander) labels(in *instance, deps []string, allNames map[string]bool) ([]string, error) {
	var labels []string
	for _, d := range deps {
		labels = append(labels, fmt.Sprintf(e.depsFormat, d))
	}

	switch l := in.spacelift["labels"].(type) {
	case nil:
	case []any:
		for i, v := range l {
			s, ok := v.(string)
			if !ok {
				return nil, in.errorf([]string{"settings", "spacelift", "labels"}, "item %d: want a string, got %s", i, kindOf(v))
			}
			labels = append(labels, s)
		}
	default:
		return nil, in.errorf([]string{"settings", "spacelift", "labels"}, "want a list of strings, got %s", kindOf(l))
	}

	legacy, err := e.legacyDependsOn(in, allNames)
	if err != nil {
		return nil, err
	}
	labels = append(labels, legacy...)

	deps2, err := e.dependsOn(in, allNames)
	if err != nil {
		return nil, err
	}
	labels = append(labels, deps2...)

	labels = append(labels,
		"folder:component/"+in.component,
		"folder:"+strings.ReplaceAll(in.prefix, "-", "/"),
	)
	return unique(labels), nil
}

// legacyDependsOn resolves settings.spacelift.depends_on: each entry is a
// Spacelift stack name, or a component of the same stack.
func (e *expander) legacyDependsOn(in *instance, allNames map[string]bool) ([]string, error) {
	keys := []string{"settings", "spacelift", "depends_on"}
	var list []any
	switch l := in.spacelift["depends_on"].(type) {
	case nil:
		return nil, nil
	case []any:
		list = l
	default:
		return nil, in.errorf(keys, "want a list of stack or component names, got %s", kindOf(l))
	}
	out := make([]string, 0, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if !ok {
			return nil, in.errorf(keys, "item %d: want a string, got %s", i, kindOf(v))
		}
		dep := strings.ReplaceAll(s, "/", "-")
		switch {
		case allNames[dep]:
		case in.st.componentSet[dep]:
			dep = in.prefix + "-" + dep
		default:
			return nil, in.errorf(keys, "%q is neither a Spacelift stack nor a component in stack %q", s, in.prefix)
		}
		out = append(out, "depends-on:"+dep)
	}
	sort.Strings(out)
	return out, nil
}

// dependsOn resolves settings.depends_on: a map whose entries name a
// component and optionally the namespace, tenant, environment, stage and
// region of its stack, each defaulting to the dependent instance's own.
func (e *expander) dependsOn(in *instance, allNames map[string]bool) ([]string, error) {
	keys := []string{"settings", "depends_on"}
	var entries map[string]any
	switch d := in.settings["depends_on"].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		entries = d
	default:
		return nil, in.errorf(keys, "want a mapping of dependencies, got %s", kindOf(d))
	}
	ids := make([]string, 0, len(entries))
	for id := range entries {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []string
	for _, id := range ids {
		entryKeys := append(slices.Clip(keys), id)
		em, ok := entries[id].(map[string]any)
		if !ok {
			if entries[id] == nil {
				continue
			}
			return nil, in.errorf(entryKeys, "want a mapping, got %s", kindOf(entries[id]))
		}
		field := func(name, def string) (string, error) {
			v, ok := em[name]
			if !ok || v == nil {
				return def, nil
			}
			s, isStr := v.(string)
			if !isStr {
				return "", in.errorf(append(entryKeys, name), "want a string, got %s", kindOf(v))
			}
			if s == "" {
				return def, nil
			}
			return s, nil
		}
		comp, err := field("component", "")
		if err != nil {
			return nil, err
		}
		if comp == "" {
			continue
		}
		var c Context
		for _, f := range []struct {
			name string
			dst  *string
			def  string
		}{
			{"namespace", &c.Namespace, in.ctx.Namespace},
			{"tenant", &c.Tenant, in.ctx.Tenant},
			{"environment", &c.Environment, in.ctx.Environment},
			{"stage", &c.Stage, in.ctx.Stage},
			{"region", &c.Region, in.ctx.Region},
		} {
			if *f.dst, err = field(f.name, f.def); err != nil {
				return nil, err
			}
		}
		vars := map[string]any{
			"namespace": c.Namespace, "tenant": c.Tenant, "environment": c.Environment,
			"stage": c.Stage, "region": c.Region,
		}
		prefix, err := e.namer.prefix(in.st.m.name, c, vars)
		if err != nil {
			return nil, in.errorf(entryKeys, "%v", err)
		}
		dep := strings.ReplaceAll(prefix+"-"+comp, "/", "-")
		if !allNames[dep] {
			return nil, in.errorf(entryKeys, "depends on component %q in stack %q, but no stack %q defines it (no Spacelift stack %q)", comp, prefix, prefix, dep)
		}
		out = append(out, "depends-on:"+dep)
	}
	sort.Strings(out)
	return out, nil
}

// unique removes repeated strings, keeping the first of each.
func unique(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// unevaluated returns the sorted dotted paths of the strings below v that
// hold a live-infrastructure YAML function or template call.
func unevaluated(v map[string]any) []string {
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, e := range t {
				walk(prefix+"."+k, e)
			}
		case []any:
			for i, e := range t {
				walk(fmt.Sprintf("%s[%d]", prefix, i), e)
			}
		case string:
			if isLiveFunction(t) || strings.Contains(t, "{{") && liveTemplateCall(t) {
				out = append(out, prefix[1:])
			}
		}
	}
	for k, e := range v {
		walk("."+k, e)
	}
	sort.Strings(out)
	return out
}

// liveTemplateCall reports whether the template text calls an atmos function
// that needs live infrastructure.
func liveTemplateCall(s string) bool {
	return strings.Contains(s, "atmos.Component") || strings.Contains(s, "atmos.Store") || strings.Contains(s, "atmos.GomplateDatasource")
}
