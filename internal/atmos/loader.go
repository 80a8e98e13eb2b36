package atmos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"text/template"

	"gopkg.in/yaml.v3"
)

// manifest is one parsed stack manifest.
type manifest struct {
	// name is atmos's name for the file: relative to the stacks base path,
	// without the extension (what deps: labels and the deps list use).
	name string
	// rel is the path relative to the stacks base path, with the extension.
	rel string
	// file is the path in the tree, used in error messages and Record.File.
	file string
	// raw is the file's own content; it is shared and never modified.
	raw map[string]any
	// components is raw's components.terraform.
	components map[string]any
	// data is the file's text.
	data []byte
	// hasAppend is set when the file uses !append.
	hasAppend bool
	// unparsed is set for a template file that is not YAML as written.
	unparsed bool
}

// isTemplate reports whether atmos always renders the file as a template
// (its name ends in .tmpl).
func (m *manifest) isTemplate() bool { return strings.HasSuffix(m.rel, ".tmpl") }

// processed is a manifest merged with everything it imports.
type processed struct {
	// merged is the deep-merge of the imports (in order) and the file itself.
	// It may be shared with the cache and is never modified.
	merged map[string]any
	// imports are the transitively imported manifests, each once.
	imports []*manifest
	// order lists the merged manifests in merge order (later wins), the file
	// itself last; a manifest imported twice appears twice.
	order []*manifest
	// inline and importedOverrides are atmos's two layers of overrides that
	// a processed file hands back to its importer: its own overrides merged
	// with those it inherited, and those its imports handed back.
	inline, importedOverrides map[string]any
}

// loader reads and merges manifests below one stacks base path.
type loader struct {
	fsys fs.FS
	base string
	ls   ListMergeStrategy

	files   []string        // base-relative paths of *.yaml / *.yml, in walk order
	fileSet map[string]bool // the same, for lookups

	manifests map[string]*manifest    // by rel
	globs     map[string][]string     // glob pattern -> matches
	cache     map[string]*processed   // by rel, for files processed without context or overrides
	compiled  map[string]*globMatcher // compiled globs

	root          string            // atmos base path in the tree (for !include); may start with ".."
	repoPath      string            // fsys's place in its repository (see Options.RepoPath)
	env           map[string]string // environment for !env, env and getenv
	funcs         template.FuncMap  // functions of manifest templates
	localsFuncs   template.FuncMap  // functions of locals
	templates     bool              // templates.settings.enabled
	ignoreMissing bool              // templates.settings.ignore_missing_template_values
}

func newLoader(fsys fs.FS, base, repoPath string, s Settings, ls ListMergeStrategy) (*loader, error) {
	l := &loader{
		fsys:          fsys,
		base:          base,
		repoPath:      repoPath,
		ls:            ls,
		root:          path.Clean(s.Root),
		env:           s.Environment,
		funcs:         templateFuncs(s.Environment),
		localsFuncs:   localsFuncs(s.Environment),
		templates:     s.TemplatesEnabled,
		ignoreMissing: s.IgnoreMissingTemplateValues,
		fileSet:       map[string]bool{},
		manifests:     map[string]*manifest{},
		globs:         map[string][]string{},
		cache:         map[string]*processed{},
		compiled:      map[string]*globMatcher{},
	}
	err := fs.WalkDir(fsys, base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if ext := path.Ext(p); ext != ".yaml" && ext != ".yml" && ext != ".tmpl" {
			return nil
		}
		rel := p
		if base != "." {
			rel = strings.TrimPrefix(p, base+"/")
		}
		l.files = append(l.files, rel)
		l.fileSet[rel] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing stack manifests under %q: %w", base, err)
	}
	return l, nil
}

// fsPath is the tree path of a base-relative path.
func (l *loader) fsPath(rel string) string {
	return path.Join(l.base, rel)
}

// glob returns the base-relative files matching pattern, in walk order.
func (l *loader) glob(pattern string) ([]string, error) {
	if m, ok := l.globs[pattern]; ok {
		return m, nil
	}
	var out []string
	if !hasGlobMeta(pattern) {
		if l.fileSet[pattern] {
			out = []string{pattern}
		}
	} else {
		g, err := l.matcher(pattern)
		if err != nil {
			return nil, err
		}
		for _, f := range l.files {
			if g.match(f) {
				out = append(out, f)
			}
		}
	}
	l.globs[pattern] = out
	return out, nil
}

func (l *loader) matcher(pattern string) (*globMatcher, error) {
	if g, ok := l.compiled[pattern]; ok {
		return g, nil
	}
	g, err := compileGlob(pattern)
	if err != nil {
		return nil, err
	}
	l.compiled[pattern] = g
	return g, nil
}

// discover returns the top-level stack manifests: files matching an included
// glob (with ".yaml" and ".yml" tried when it has no extension) and no
// excluded glob, sorted.
func (l *loader) discover(included, excluded []string) ([]string, error) {
	var excl []*globMatcher
	for _, p := range excluded {
		g, err := l.matcher(p)
		if err != nil {
			return nil, fmt.Errorf("stacks.excluded_paths: %w", err)
		}
		excl = append(excl, g)
	}
	seen := map[string]bool{}
	var out []string
	for _, inc := range included {
		patterns := []string{inc}
		if path.Ext(inc) == "" {
			patterns = []string{inc + ".yaml", inc + ".yml"}
		}
		for _, p := range patterns {
			matches, err := l.glob(path.Clean(p))
			if err != nil {
				return nil, fmt.Errorf("stacks.included_paths: %w", err)
			}
			for _, m := range matches {
				if seen[m] || slices.ContainsFunc(excl, func(g *globMatcher) bool { return g.match(m) }) {
					continue
				}
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no stack manifests under %q match included_paths %q (excluded_paths %q)", l.base, included, excluded)
	}
	sort.Strings(out)
	return out, nil
}

// manifest reads and parses the base-relative file rel as written, once.
// It is validated only after templating (see variant).
func (l *loader) manifest(rel string) (*manifest, error) {
	if m, ok := l.manifests[rel]; ok {
		return m, nil
	}
	file := l.fsPath(rel)
	data, err := fs.ReadFile(l.fsys, file)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	m := &manifest{name: strings.TrimSuffix(rel, path.Ext(rel)), rel: rel, file: file, data: data}
	raw, err := parseManifest(data, file, l.include)
	if err != nil {
		if !m.isTemplate() {
			return nil, &Error{File: file, Err: fmt.Errorf("parsing YAML: %w", err)}
		}
		// A template file need not be YAML before it is rendered.
		raw, m.unparsed = map[string]any{}, true
	}
	m.raw = raw
	m.hasAppend = bytes.Contains(data, []byte("!append"))
	m.components = mapAt(mapAt(raw, "components"), "terraform")
	l.manifests[rel] = m
	return m, nil
}

// include resolves "!include <path> [query]" and "!include.raw <path>
// [query]" in the manifest file as atmos does for local files: a path
// starting with "." or ".." is relative to the manifest's directory, any
// other path is relative to the tree root, then to the atmos base path. YAML
// and JSON files are parsed, other files are text. A yq query selects a part
// of the value (see yqQuery for the queries evaluated). Remote files are
// refused: expansion reads nothing outside the tree.
func (l *loader) include(file, arg string, raw bool) (any, error) {
	p, query, err := includeArgs(arg)
	if err != nil {
		return nil, err
	}
	if strings.Contains(p, "://") || strings.Contains(p, "::") {
		return nil, fmt.Errorf("remote file %q: expansion reads only files inside the tree; atmos would download it", p)
	}
	if query != "" {
		// Refuse a query we cannot evaluate before reading the file.
		if _, err := parseYQPath(query); err != nil {
			return nil, err
		}
	}
	v, err := l.includeFile(file, p, raw)
	if err != nil || query == "" {
		return v, err
	}
	return yqQuery(v, query)
}

// includeFile reads the file p of "!include" in the manifest file (see
// include).
func (l *loader) includeFile(file, p string, raw bool) (any, error) {
	var candidates []string
	if first, _, _ := strings.Cut(p, "/"); first == "." || first == ".." {
		candidates = append(candidates, path.Join(path.Dir(file), p))
	} else if !path.IsAbs(p) {
		candidates = append(candidates, path.Clean(p), path.Join(l.root, p))
	}
	for _, c := range candidates {
		c, ok := inTree(l.repoPath, c)
		if !ok {
			continue
		}
		data, err := fs.ReadFile(l.fsys, c)
		if err != nil {
			continue
		}
		if raw {
			return string(data), nil
		}
		switch strings.ToLower(path.Ext(c)) {
		case ".yaml", ".yml":
			var v any
			if err := yaml.Unmarshal(data, &v); err != nil {
				return nil, fmt.Errorf("parsing %s: %w", c, err)
			}
			return normalize(v), nil
		case ".json":
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				return nil, fmt.Errorf("parsing %s: %w", c, err)
			}
			return normalize(v), nil
		case ".hcl", ".tf", ".tfvars", ".env":
			return nil, fmt.Errorf("%s: including %s files is not supported; atmos would parse them, here use YAML or JSON", c, path.Ext(c))
		default:
			return string(data), nil
		}
	}
	return nil, fmt.Errorf("no file %q in the tree (tried %s)", p, strings.Join(candidates, ", "))
}

// importSpec is one entry of an import list.
type importSpec struct {
	path                        string
	skipIfMissing               bool
	context                     map[string]any
	skipTemplates               bool
	ignoreMissingTemplateValues bool
}

// imports reads m's import list.
func imports(m *manifest) ([]importSpec, error) {
	list, _ := m.raw["import"].([]any)
	specs := make([]importSpec, 0, len(list))
	for i, e := range list {
		key := fmt.Sprintf("import[%d]", i)
		switch t := e.(type) {
		case string:
			if t == "" {
				return nil, &Error{File: m.file, Key: key, Err: fmt.Errorf("empty import")}
			}
			specs = append(specs, importSpec{path: t})
		case map[string]any:
			p, ok := t["path"].(string)
			if !ok || p == "" {
				return nil, &Error{File: m.file, Key: key + ".path", Err: fmt.Errorf("want a non-empty string, got %s", kindOf(t["path"]))}
			}
			spec := importSpec{path: p}
			if ctx, ok := t["context"]; ok && ctx != nil {
				cm, ok := ctx.(map[string]any)
				if !ok {
					return nil, &Error{File: m.file, Key: key + ".context", Err: fmt.Errorf("want a mapping of template values, got %s", kindOf(ctx))}
				}
				spec.context = cm
			}
			for _, f := range []struct {
				name string
				dst  *bool
			}{
				{"skip_if_missing", &spec.skipIfMissing},
				{"skip_templates_processing", &spec.skipTemplates},
				{"ignore_missing_template_values", &spec.ignoreMissingTemplateValues},
			} {
				if v, ok := t[f.name]; ok && v != nil {
					b, ok := v.(bool)
					if !ok {
						return nil, &Error{File: m.file, Key: key + "." + f.name, Err: fmt.Errorf("want a boolean, got %s", kindOf(v))}
					}
					*f.dst = b
				}
			}
			specs = append(specs, spec)
		default:
			return nil, &Error{File: m.file, Key: key, Err: fmt.Errorf("want a path or {path: ...}, got %s", kindOf(e))}
		}
	}
	return specs, nil
}

// resolveImport returns the base-relative files an import refers to, in
// glob order. Like atmos, a path without an extension gets ".yaml" or ".yml"
// (whichever exists, ".yaml" for globs), and a path whose first element is
// "." or ".." is relative to the importing file's directory.
func (l *loader) resolveImport(m *manifest, i int, spec importSpec) ([]string, error) {
	p := spec.path
	if strings.Contains(p, "://") || strings.HasPrefix(p, "git::") {
		return nil, &Error{File: m.file, Key: fmt.Sprintf("import[%d]", i), Err: fmt.Errorf("remote import %q is not supported", p)}
	}
	if first, _, _ := strings.Cut(p, "/"); first == "." || first == ".." {
		p = path.Join(path.Dir(m.rel), p)
	}
	p = path.Clean(p)
	switch path.Ext(p) {
	case "":
		ext := ".yaml"
		for _, e := range []string{".yaml", ".yml", ".yaml.tmpl", ".yml.tmpl"} {
			if l.fileSet[p+e] {
				ext = e
				break
			}
		}
		p += ext
	case ".yaml", ".yml":
		// atmos prefers a template version of the file.
		if l.fileSet[p+".tmpl"] {
			p += ".tmpl"
		}
	}
	if p == m.rel {
		return nil, &Error{File: m.file, Key: fmt.Sprintf("import[%d]", i), Err: fmt.Errorf("manifest imports itself via %q", spec.path)}
	}
	matches, err := l.glob(p)
	if err != nil {
		return nil, &Error{File: m.file, Key: fmt.Sprintf("import[%d]", i), Err: err}
	}
	if len(matches) == 0 && !spec.skipIfMissing {
		return nil, &Error{File: m.file, Key: fmt.Sprintf("import[%d]", i), Err: fmt.Errorf("import %q: no manifest %s under %s", spec.path, p, l.base)}
	}
	return matches, nil
}

// processArgs is what an importer hands to a file it imports.
type processArgs struct {
	// ctx is the template context (import context, the importer's locals
	// and sections); empty for top-level stack manifests.
	ctx map[string]any
	// inline and importedOverrides are the overrides in effect (see processed).
	inline, importedOverrides map[string]any
	// skipTemplates and ignoreMissing are the import's flags.
	skipTemplates, ignoreMissing bool
}

func (a processArgs) empty() bool {
	return len(a.ctx) == 0 && len(a.inline) == 0 && len(a.importedOverrides) == 0 && !a.skipTemplates && !a.ignoreMissing
}

// variant renders the manifest m for the template context ctx as atmos does
// when it loads a file: the file's locals are resolved and, with them (or
// with a context from the importer), the whole file is rendered as a Go
// template. It returns the manifest to merge and the context its own
// imports receive.
func (l *loader) variant(m *manifest, a processArgs) (*manifest, map[string]any, error) {
	ctx := make(map[string]any, len(a.ctx)+4)
	for k, v := range a.ctx {
		if k != "locals" {
			ctx[k] = v
		}
	}
	out := m
	if !a.skipTemplates {
		fl, err := l.resolveFileLocals(m.raw)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.File = m.file
				e.Err = fmt.Errorf("%w (atmos resolves locals when it loads the file and refuses it when one fails)", e.Err)
			}
			return nil, nil, err
		}
		if fl.has {
			ctx["locals"] = fl.locals
			l.renderSections(m.raw, ctx)
		}
		if len(ctx) > 0 || m.isTemplate() {
			rendered, err := l.render(m, ctx, len(a.ctx) > 0, a.ignoreMissing || l.ignoreMissing)
			if err != nil {
				return nil, nil, err
			}
			out = rendered
			if fl.has || len(ctx) > 0 {
				for _, s := range []string{"locals", "vars", "settings", "env"} {
					if v, ok := ctx[s].(map[string]any); ok && len(v) > 0 {
						if out == m {
							out = m.withRaw(maps.Clone(m.raw))
						}
						out.raw[s] = v
					}
				}
			}
		}
	}
	if err := validateManifest(out.raw); err != nil {
		err.File = m.file
		return nil, nil, err
	}
	return out, ctx, nil
}

// withRaw returns a copy of m with other content.
func (m *manifest) withRaw(raw map[string]any) *manifest {
	c := *m
	c.raw = raw
	c.components = mapAt(mapAt(raw, "components"), "terraform")
	return &c
}

// renderSections renders the templates in the file's settings, then vars,
// then env with the context so far, each seeing the ones before it, and
// adds them to ctx; a section whose templates fail is added as written (atmos
// renders it again later, with the component's context).
func (l *loader) renderSections(raw, ctx map[string]any) {
	for _, s := range []string{"settings", "vars", "env"} {
		sec, ok := raw[s].(map[string]any)
		if !ok {
			continue
		}
		ctx[s] = l.renderSection(s, sec, ctx)
	}
}

// renderSection renders one section's templates over ctx; it returns the
// section as written when they fail.
func (l *loader) renderSection(name string, sec, ctx map[string]any) map[string]any {
	v := substituteFieldRefs(sec, ctx).(map[string]any)
	text, err := toYAML(v)
	if err != nil {
		return sec
	}
	if !strings.Contains(text, "{{") {
		return v
	}
	r, err := renderTemplate(name, text, ctx, l.funcs, false)
	if err != nil {
		return sec
	}
	var back map[string]any
	if err := yaml.Unmarshal([]byte(r), &back); err != nil {
		return sec
	}
	if back == nil {
		back = map[string]any{}
	}
	return normalize(back).(map[string]any)
}

// render renders the whole manifest as a Go template over ctx. Values that
// are exactly one reference to a context value are substituted with the
// value first (keeping its type). When the rendering fails and the context
// came only from the file itself, atmos keeps the file as written (its
// templates are for the component stage); with a context from the importer
// the failure refuses the file.
func (l *loader) render(m *manifest, ctx map[string]any, imported, ignoreMissing bool) (*manifest, error) {
	text := string(m.data)
	input := m.raw
	if len(ctx) > 0 && !m.unparsed {
		input = substituteFieldRefs(m.raw, ctx).(map[string]any)
		var err error
		if text, err = toYAML(input); err != nil {
			return nil, &Error{File: m.file, Err: fmt.Errorf("preparing the file for templating: %w", err)}
		}
	}
	out, err := renderTemplate(m.file, text, ctx, l.funcs, ignoreMissing)
	if err != nil {
		if !imported {
			if m.unparsed {
				return nil, &Error{File: m.file, Err: fmt.Errorf("templates: %w; the file is not YAML until rendered, so atmos refuses it too", err)}
			}
			return m.withRaw(input), nil
		}
		if errors.Is(err, errNeedsLiveInfrastructure) {
			return nil, &Error{File: m.file, Err: fmt.Errorf("templates: %w; atmos fails the same way when it cannot reach it", err)}
		}
		return nil, &Error{File: m.file, Err: fmt.Errorf("templates: %w; atmos needs every value the file's templates use in the import's context: (or ignore_missing_template_values: true on the import)", err)}
	}
	raw, err := parseManifest([]byte(out), m.file, nil)
	if err != nil {
		return nil, &Error{File: m.file, Err: fmt.Errorf("parsing the file after templating: %w", err)}
	}
	return m.withRaw(raw), nil
}

// process merges rel with its imports, as atmos's stack processor does.
func (l *loader) process(rel string, a processArgs, chain []string) (*processed, error) {
	cacheable := a.empty()
	if cacheable {
		if p, ok := l.cache[rel]; ok {
			return p, nil
		}
	}
	m0, err := l.manifest(rel)
	if err != nil {
		return nil, err
	}
	if slices.Contains(chain, rel) {
		return nil, &Error{File: m0.file, Err: fmt.Errorf("import cycle: %s -> %s", strings.Join(chain, " -> "), rel)}
	}
	m, ctx, err := l.variant(m0, a)
	if err != nil {
		return nil, err
	}
	if m != m0 {
		cacheable = false
	}
	specs, err := imports(m)
	if err != nil {
		return nil, err
	}

	// atmos's overrides: the file's own (global, then terraform) merged
	// under those inherited from its importers apply to everything the file
	// imports; the overrides its imports hand back apply, below the inline
	// ones, to the components the file itself defines.
	inline := a.inline
	own, ownTF := mapAt(m.raw, "overrides"), mapAt(mapAt(m.raw, "terraform"), "overrides")
	if len(own) > 0 || len(ownTF) > 0 {
		inline = merged(l.ls, own, ownTF, a.inline)
	}
	importedOv := a.importedOverrides

	out := &processed{}
	cow := newCOWMerger(l.ls)
	dst := cow.newMap()
	seen := map[string]bool{}
	childChain := append(slices.Clip(chain), rel)
	hasAppend := m.hasAppend
	accumulated := map[string]any{}
	for i, spec := range specs {
		if strings.Contains(spec.path, "{{") && l.templates && !spec.skipTemplates {
			data := merged(l.ls, accumulated, spec.context)
			p, err := renderTemplate("import", spec.path, data, l.funcs, spec.ignoreMissingTemplateValues || l.ignoreMissing)
			if err != nil {
				return nil, &Error{File: m.file, Key: fmt.Sprintf("import[%d].path", i), Err: fmt.Errorf("template: %w; atmos needs the value in an earlier import or in this import's context:", err)}
			}
			spec.path = p
		}
		matches, err := l.resolveImport(m, i, spec)
		if err != nil {
			return nil, err
		}
		childArgs := processArgs{
			ctx: ctx, inline: inline, importedOverrides: importedOv,
			skipTemplates: spec.skipTemplates, ignoreMissing: spec.ignoreMissingTemplateValues,
		}
		if len(spec.context) > 0 {
			childArgs.ctx = merged(l.ls, spec.context, ctx)
		}
		var children []*processed
		for _, match := range matches {
			child, err := l.process(match, childArgs, childChain)
			if err != nil {
				return nil, err
			}
			children = append(children, child)
		}
		for k, child := range children {
			if len(child.importedOverrides) > 0 || len(child.inline) > 0 {
				importedOv = merged(l.ls, importedOv, child.importedOverrides, child.inline)
			}
			cow.merge(dst, child.merged)
			cm := l.manifests[matches[k]]
			hasAppend = hasAppend || cm.hasAppend
			for _, im := range append([]*manifest{child.self()}, child.imports...) {
				if !seen[im.rel] {
					seen[im.rel] = true
					out.imports = append(out.imports, im)
				} else {
					for j, prev := range out.imports {
						if prev.rel == im.rel {
							out.imports[j] = im
						}
					}
				}
			}
			out.order = append(out.order, child.order...)
			for _, s := range []string{"settings", "vars", "env"} {
				if v, ok := child.merged[s]; ok && v != nil {
					accumulated = merged(l.ls, accumulated, map[string]any{s: v})
				}
			}
		}
	}
	final := merged(l.ls, importedOv, inline)
	raw := m.raw
	if len(final) > 0 && len(m.components) > 0 {
		raw = withOverrides(m.raw, final)
		m = m.withRaw(raw)
	}
	cow.merge(dst, raw)
	out.merged = dst
	if hasAppend {
		if v, changed := unwrapAppends(dst); changed {
			out.merged = v.(map[string]any)
		}
	}
	out.inline, out.importedOverrides = inline, importedOv
	out.order = append(out.order, m)
	if cacheable {
		l.cache[rel] = out
	}
	return out, nil
}

// self is the processed file's own manifest (last in order).
func (p *processed) self() *manifest { return p.order[len(p.order)-1] }

// withOverrides returns raw with the overrides section of every Terraform
// component it defines set to overrides, as atmos does.
func withOverrides(raw, overrides map[string]any) map[string]any {
	out := maps.Clone(raw)
	components := maps.Clone(mapAt(raw, "components"))
	comps := maps.Clone(mapAt(components, "terraform"))
	for name, v := range comps {
		c, ok := v.(map[string]any)
		if !ok {
			continue
		}
		c = maps.Clone(c)
		c["overrides"] = overrides
		comps[name] = c
	}
	components["terraform"] = comps
	out["components"] = components
	return out
}
