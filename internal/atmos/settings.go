package atmos

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultConfigFile is where Expand looks for atmos.yaml in the tree.
const DefaultConfigFile = "atmos.yaml"

// DefaultStackConfigPathTemplate formats the deps: labels; it is the
// default of the stack_config_path_template variable of Cloud Posse's
// spacelift modules, so a dependency on stacks/catalog/vpc.yaml (stacks base
// path relative, extension dropped) becomes "deps:stacks/catalog/vpc.yaml".
const DefaultStackConfigPathTemplate = "stacks/%s.yaml"

// Settings are the parts of atmos.yaml that expansion uses. The zero value
// of a field means "not set".
type Settings struct {
	// BasePath is the directory of stack manifests within the tree: atmos.yaml's
	// base_path joined with stacks.base_path, relative to atmos.yaml's
	// directory. "" and "." both mean the tree root. It may go up out of the
	// tree and come back into it ("../../x/stacks"); Options.RepoPath
	// says where the tree sits.
	BasePath string
	// IncludedPaths are globs, relative to BasePath, of top-level stack
	// manifests (stacks.included_paths). A glob without an extension also
	// matches ".yaml" and ".yml" files.
	IncludedPaths []string
	// ExcludedPaths are globs, relative to BasePath, removed from the
	// included files (stacks.excluded_paths).
	ExcludedPaths []string
	// NamePattern builds the atmos stack name from the tokens {namespace},
	// {tenant}, {environment} and {stage} joined by "-" (stacks.name_pattern).
	NamePattern string
	// NameTemplate is a Go text/template over {"vars": ...} that builds the
	// atmos stack name (stacks.name_template); it wins over NamePattern.
	// Only the standard template functions are available.
	NameTemplate string
	// ListMergeStrategy is settings.list_merge_strategy ("replace" when empty).
	ListMergeStrategy string
	// WorkspacesEnabled is components.terraform.workspaces_enabled; when it is
	// false every Terraform workspace is "default". Nil means true.
	WorkspacesEnabled *bool
	// MetadataInheritance is stacks.inherit.metadata; nil means true.
	MetadataInheritance *bool
	// Env is atmos.yaml's env section, the lowest layer of every component's env.
	Env map[string]string
	// StackConfigPathTemplate formats deps: labels; empty means
	// DefaultStackConfigPathTemplate.
	StackConfigPathTemplate string
	// Root is atmos's base path in the tree (atmos.yaml's directory joined
	// with base_path): "!include" paths that do not start with "." are
	// relative to it. Like BasePath it may start with "..".
	Root string
	// TemplatesEnabled is templates.settings.enabled. atmos renders the
	// templates of imported files whenever they get a context (locals or
	// import context) regardless; this switch governs templates in import
	// paths.
	TemplatesEnabled bool
	// IgnoreMissingTemplateValues is
	// templates.settings.ignore_missing_template_values.
	IgnoreMissingTemplateValues bool
	// IntegrationsGitHub is atmos.yaml's integrations.github section, the
	// lowest layer of every component's settings.integrations.github.
	IntegrationsGitHub map[string]any
	// Environment is the environment atmos would run with: what "!env" in
	// locals and the env / getenv template functions read. It is never taken
	// from the operator's own process environment.
	Environment map[string]string
}

// atmosYAML is the on-disk shape of the fields of atmos.yaml that matter.
type atmosYAML struct {
	BasePath   string `yaml:"base_path"`
	Components struct {
		Terraform struct {
			WorkspacesEnabled *bool `yaml:"workspaces_enabled"`
		} `yaml:"terraform"`
	} `yaml:"components"`
	Stacks struct {
		BasePath      string   `yaml:"base_path"`
		IncludedPaths []string `yaml:"included_paths"`
		ExcludedPaths []string `yaml:"excluded_paths"`
		NamePattern   string   `yaml:"name_pattern"`
		NameTemplate  string   `yaml:"name_template"`
		Inherit       struct {
			Metadata *bool `yaml:"metadata"`
		} `yaml:"inherit"`
	} `yaml:"stacks"`
	Settings struct {
		ListMergeStrategy string `yaml:"list_merge_strategy"`
	} `yaml:"settings"`
	Env       map[string]string `yaml:"env"`
	Templates struct {
		Settings struct {
			Enabled                     bool `yaml:"enabled"`
			IgnoreMissingTemplateValues bool `yaml:"ignore_missing_template_values"`
		} `yaml:"settings"`
	} `yaml:"templates"`
	Integrations struct {
		GitHub map[string]any `yaml:"github"`
	} `yaml:"integrations"`
}

// LoadSettings reads the atmos.yaml at name in fsys. BasePath in the result
// is resolved relative to the tree root. A missing file yields an error
// matching fs.ErrNotExist.
func LoadSettings(fsys fs.FS, name string) (Settings, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return Settings{}, fmt.Errorf("reading %s: %w", name, err)
	}
	var raw atmosYAML
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return Settings{}, fmt.Errorf("parsing %s: %w", name, err)
	}
	if path.IsAbs(raw.BasePath) || path.IsAbs(raw.Stacks.BasePath) {
		return Settings{}, fmt.Errorf("%s: base_path and stacks.base_path must be relative inside the tree", name)
	}
	s := Settings{
		BasePath:            path.Join(path.Dir(name), raw.BasePath, raw.Stacks.BasePath),
		IncludedPaths:       raw.Stacks.IncludedPaths,
		ExcludedPaths:       raw.Stacks.ExcludedPaths,
		NamePattern:         raw.Stacks.NamePattern,
		NameTemplate:        raw.Stacks.NameTemplate,
		ListMergeStrategy:   raw.Settings.ListMergeStrategy,
		WorkspacesEnabled:   raw.Components.Terraform.WorkspacesEnabled,
		MetadataInheritance: raw.Stacks.Inherit.Metadata,
		Env:                 raw.Env,
		Root:                path.Join(path.Dir(name), raw.BasePath),
		TemplatesEnabled:    raw.Templates.Settings.Enabled,

		IgnoreMissingTemplateValues: raw.Templates.Settings.IgnoreMissingTemplateValues,
		IntegrationsGitHub:          raw.Integrations.GitHub,
	}
	if s.IntegrationsGitHub != nil {
		s.IntegrationsGitHub = normalize(s.IntegrationsGitHub).(map[string]any)
	}
	return s, nil
}

// Override returns s with every field that is set in o replacing the one in s.
func (s Settings) Override(o Settings) Settings {
	if o.BasePath != "" {
		s.BasePath = o.BasePath
	}
	if len(o.IncludedPaths) > 0 {
		s.IncludedPaths = o.IncludedPaths
	}
	if len(o.ExcludedPaths) > 0 {
		s.ExcludedPaths = o.ExcludedPaths
	}
	if o.NamePattern != "" {
		s.NamePattern = o.NamePattern
	}
	if o.NameTemplate != "" {
		s.NameTemplate = o.NameTemplate
	}
	if o.ListMergeStrategy != "" {
		s.ListMergeStrategy = o.ListMergeStrategy
	}
	if o.WorkspacesEnabled != nil {
		s.WorkspacesEnabled = o.WorkspacesEnabled
	}
	if o.MetadataInheritance != nil {
		s.MetadataInheritance = o.MetadataInheritance
	}
	if o.Env != nil {
		s.Env = o.Env
	}
	if o.StackConfigPathTemplate != "" {
		s.StackConfigPathTemplate = o.StackConfigPathTemplate
	}
	if o.Root != "" {
		s.Root = o.Root
	}
	if o.TemplatesEnabled {
		s.TemplatesEnabled = true
	}
	if o.IgnoreMissingTemplateValues {
		s.IgnoreMissingTemplateValues = true
	}
	if o.IntegrationsGitHub != nil {
		s.IntegrationsGitHub = o.IntegrationsGitHub
	}
	if o.Environment != nil {
		s.Environment = o.Environment
	}
	return s
}

// validate checks the settings and returns the base path in the tree.
func (s Settings) validate(repoPath string) (string, error) {
	if len(s.IncludedPaths) == 0 {
		return "", errors.New("stacks.included_paths is empty: no file can be a top-level stack")
	}
	base, ok := inTree(repoPath, s.BasePath)
	if !ok {
		if repoPath != "" && !path.IsAbs(s.BasePath) {
			return "", fmt.Errorf("stacks base path %q resolves to %q in the repository, outside the directory read from it (%q); atmos.yaml and the stack manifests must both be under that directory",
				s.BasePath, path.Join(repoPath, s.BasePath), repoPath)
		}
		return "", fmt.Errorf("stacks base path %q is not a path inside the tree", s.BasePath)
	}
	if _, err := parseListMergeStrategy(s.ListMergeStrategy); err != nil {
		return "", fmt.Errorf("settings: %w", err)
	}
	if t := s.StackConfigPathTemplate; t != "" && strings.Count(t, "%s") != 1 {
		return "", fmt.Errorf("stack config path template %q must contain %%s exactly once", t)
	}
	return base, nil
}

// cleanRepoPath normalizes Options.RepoPath the way the Git source cleans
// spec.source.git.path: slash-separated, no leading or trailing "/", "" for
// the repository root.
func cleanRepoPath(p string) string {
	return strings.Trim(path.Clean("/"+p), "/")
}

// inTree returns the path in the tree of p, a path relative to the tree root
// that may go up out of it with ".." elements. What lies above the root is
// known only through repoPath (the tree's place in its repository, cleaned
// by cleanRepoPath): p resolves when it comes back into the tree there. ok
// is false when p ends outside the tree, which then is never read.
func inTree(repoPath, p string) (string, bool) {
	p = path.Clean(p)
	if fs.ValidPath(p) {
		return p, true
	}
	if repoPath == "" || (p != ".." && !strings.HasPrefix(p, "../")) {
		return "", false
	}
	full := path.Join(repoPath, p)
	if full == repoPath {
		return ".", true
	}
	rest, ok := strings.CutPrefix(full, repoPath+"/")
	if !ok || !fs.ValidPath(rest) {
		return "", false
	}
	return rest, true
}
