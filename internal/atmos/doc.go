// Package atmos expands a tree of atmos stack manifests into the component
// instances that Spacelift stacks are made from, the way Cloud Posse's atmos
// and the spacelift/admin-stack Terraform component (through the
// cloudposse/utils provider) compute them, without calling either.
//
// The tree is read from an fs.FS: a Git checkout, a ConfigMap-backed tree, or
// an fstest.MapFS in tests. A path in atmos.yaml or a manifest may go up out
// of the tree and come back into it (base_path: ../.. with the stacks below
// the tree); Options.RepoPath, the tree's place in its repository, says
// where it comes back. Nothing outside the tree is read. atmos.yaml supplies stacks.base_path,
// included_paths, excluded_paths and name_pattern (or name_template); Options
// can override each of them.
//
// Expansion follows atmos's Spacelift processing (its pkg/spacelift, which
// the admin-stack component reaches through the cloudposse/utils provider):
//
//   - Only files matching included_paths and not excluded_paths are
//     top-level stacks; files they import are not stacks themselves.
//   - import lists are resolved relative to the stacks base path (or to the
//     importing file when they start with "." or ".."), may be globs
//     (doublestar, as in atmos), may omit ".yaml", and may use the object
//     form {path, context, skip_if_missing, skip_templates_processing,
//     ignore_missing_template_values}. Imports are processed depth-first; a
//     later import wins over an earlier one and the importing file wins over
//     everything it imports.
//   - A file is rendered as a Go template when it gets a context: from its
//     importer (import context, or the importer's locals and sections) or
//     from its own locals. Locals are file-scoped (top level, then
//     terraform.locals), may refer to each other and to the file's settings,
//     vars and env, and are resolved in dependency order. Templates get the
//     function set atmos offers where it is pure: Sprig, the pure Gomplate
//     namespaces, and atmos (whose Component, Store and GomplateDatasource
//     need live infrastructure and fail). When rendering fails and the
//     context came only from the file's own locals, the file is kept as
//     written, as atmos does; with an importer's context it is refused.
//   - YAML functions: !include and !include.raw read files inside the tree
//     and evaluate a yq path query (.a.b, .list[0], .["a key"]) as atmos
//     does, reading a string result back as YAML;
//     !literal and !append work as in atmos; every other atmos function is
//     kept as the string "<tag> <args>", because atmos's Spacelift
//     processing does not evaluate them either (locals evaluate !env,
//     reading Settings.Environment, and !template). Record.Unevaluated lists
//     the values that need live infrastructure. Unknown tags are refused.
//   - overrides follow atmos's two layers: a file's own overrides (merged
//     under its importers') apply to everything it imports, and the
//     overrides its imports hand back apply, below those, to the components
//     the file itself defines.
//   - For each component in components.terraform, vars, settings and env
//     are deep-merged in the order global, terraform section, base
//     components (top-level component attribute, then metadata.inherits in
//     order, recursively), the component itself, then overrides. Lists are
//     replaced unless settings.list_merge_strategy (atmos.yaml, or the last
//     one among the component's settings layers) says append or merge.
//     atmos.yaml's integrations.github is the lowest layer of
//     settings.integrations.github.
//   - metadata is inherited from base components except inherits and type
//     (atmos's stacks.inherit.metadata, on by default). The base component
//     is metadata.component, else the deepest defined component reached
//     through the component attribute.
//
// Expand returns one Record per component instance whose
// settings.spacelift.workspace_enabled is true and that is neither abstract
// nor disabled (metadata.enabled: false), with the Spacelift stack name,
// Terraform workspace (always "default" with the http backend or with
// workspaces disabled) and labels atmos computes (deps:, explicit labels,
// depends-on:, folder:). Filter applies the admin-stack component's
// context_filters and excluded_context_filters to the records.
//
// Not supported (refused with an error naming the file and key): remote
// imports and includes, yq queries other than paths in !include (pipes,
// //, select, iteration, functions), HCL and dotenv includes,
// .tmpl manifests, and YAML functions in locals that need live
// infrastructure or state outside the tree (Git, the working directory).
package atmos
