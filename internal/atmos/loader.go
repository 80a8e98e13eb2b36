package atmos

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
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
}

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
	cache     map[string]*processed   // by rel, for files processed without inherited overrides
	compiled  map[string]*globMatcher // compiled globs
}

func newLoader(fsys fs.FS, base string, ls ListMergeStrategy) (*loader, error) {
	l := &loader{
		fsys:      fsys,
		base:      base,
		ls:        ls,
		fileSet:   map[string]bool{},
		manifests: map[string]*manifest{},
		globs:     map[string][]string{},
		cache:     map[string]*processed{},
		compiled:  map[string]*globMatcher{},
	}
	err := fs.WalkDir(fsys, base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if ext := path.Ext(p); ext != ".yaml" && ext != ".yml" {
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

// manifest parses and validates the base-relative file rel, once.
func (l *loader) manifest(rel string) (*manifest, error) {
	if m, ok := l.manifests[rel]; ok {
		return m, nil
	}
	file := l.fsPath(rel)
	data, err := fs.ReadFile(l.fsys, file)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	raw, err := parseManifest(data)
	if err != nil {
		return nil, &Error{File: file, Err: fmt.Errorf("parsing YAML: %w", err)}
	}
	if err := validateManifest(raw); err != nil {
		err.File = file
		return nil, err
	}
	ext := path.Ext(rel)
	m := &manifest{
		name: strings.TrimSuffix(rel, ext), rel: rel, file: file, raw: raw,
		components: mapAt(mapAt(raw, "components"), "terraform"),
	}
	l.manifests[rel] = m
	return m, nil
}

// importSpec is one entry of an import list.
type importSpec struct {
	path          string
	skipIfMissing bool
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
			if ctx, ok := t["context"]; ok && ctx != nil {
				if cm, ok := ctx.(map[string]any); !ok || len(cm) > 0 {
					return nil, &Error{File: m.file, Key: key + ".context", Err: fmt.Errorf("import context (templated imports) is not supported")}
				}
			}
			spec := importSpec{path: p}
			if v, ok := t["skip_if_missing"]; ok {
				b, ok := v.(bool)
				if !ok {
					return nil, &Error{File: m.file, Key: key + ".skip_if_missing", Err: fmt.Errorf("want a boolean, got %s", kindOf(v))}
				}
				spec.skipIfMissing = b
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
	if path.Ext(p) == "" {
		ext := ".yaml"
		if !l.fileSet[p+".yaml"] && l.fileSet[p+".yml"] {
			ext = ".yml"
		}
		p += ext
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

// process merges rel with its imports. parentOverrides are the overrides in
// effect from the importing files; they win over the file's own.
func (l *loader) process(rel string, parentOverrides map[string]any, chain []string) (*processed, error) {
	inherited := len(parentOverrides) > 0
	if !inherited {
		if p, ok := l.cache[rel]; ok {
			return p, nil
		}
	}
	m, err := l.manifest(rel)
	if err != nil {
		return nil, err
	}
	if slices.Contains(chain, rel) {
		return nil, &Error{File: m.file, Err: fmt.Errorf("import cycle: %s -> %s", strings.Join(chain, " -> "), rel)}
	}
	specs, err := imports(m)
	if err != nil {
		return nil, err
	}

	// Overrides apply to the components defined in this file and in
	// everything it imports; the importer's win (atmos "overrides" section,
	// terraform.overrides winning over the global one).
	effective := parentOverrides
	own, ownTF := mapAt(m.raw, "overrides"), mapAt(mapAt(m.raw, "terraform"), "overrides")
	if len(own) > 0 || len(ownTF) > 0 {
		effective = merged(l.ls, own, ownTF, parentOverrides)
	}

	out := &processed{}
	if len(specs) == 0 && len(effective) == 0 {
		out.merged = m.raw
	} else {
		cow := newCOWMerger(l.ls)
		dst := cow.newMap()
		seen := map[string]bool{}
		childChain := append(slices.Clip(chain), rel)
		for i, spec := range specs {
			matches, err := l.resolveImport(m, i, spec)
			if err != nil {
				return nil, err
			}
			for _, match := range matches {
				child, err := l.process(match, effective, childChain)
				if err != nil {
					return nil, err
				}
				cow.merge(dst, child.merged)
				cm := l.manifests[match]
				for _, im := range append([]*manifest{cm}, child.imports...) {
					if !seen[im.rel] {
						seen[im.rel] = true
						out.imports = append(out.imports, im)
					}
				}
				out.order = append(out.order, child.order...)
			}
		}
		cow.merge(dst, m.raw)
		if len(effective) > 0 {
			injectOverrides(cow, dst, m.raw, effective)
		}
		out.merged = dst
	}
	out.order = append(out.order, m)
	if !inherited {
		l.cache[rel] = out
	}
	return out, nil
}

// injectOverrides merges overrides into the "overrides" key of every
// Terraform component that the file itself defines, as atmos does.
func injectOverrides(cow *cowMerger, dst, raw, overrides map[string]any) {
	own := mapAt(mapAt(raw, "components"), "terraform")
	if len(own) == 0 {
		return
	}
	components := cow.own(mapAt(dst, "components"))
	dst["components"] = components
	comps := cow.own(mapAt(components, "terraform"))
	components["terraform"] = comps
	for name := range own {
		c := cow.own(mapAt(comps, name))
		comps[name] = c
		ov := cow.own(mapAt(c, "overrides"))
		c["overrides"] = ov
		cow.merge(ov, overrides)
	}
}
