// Package atmos expands a tree of atmos stack manifests into the component
// instances that Spacelift stacks are made from, the way Cloud Posse's atmos
// and the spacelift/admin-stack Terraform component (through the
// cloudposse/utils provider) compute them, without calling either.
//
// The tree is read from an fs.FS: a Git checkout, a ConfigMap-backed tree, or
// an fstest.MapFS in tests. atmos.yaml supplies stacks.base_path,
// included_paths, excluded_paths and name_pattern (or name_template); Options
// can override each of them.
//
// Expansion follows atmos:
//
//   - Only files matching included_paths and not excluded_paths are
//     top-level stacks; files they import are not stacks themselves.
//   - import lists are resolved relative to the stacks base path (or to the
//     importing file when they start with "." or ".."), may be globs, may
//     omit ".yaml", and may use the object form {path, skip_if_missing}.
//     Imports are processed depth-first; a later import wins over an earlier
//     one and the importing file wins over everything it imports.
//   - For each component in components.terraform, vars, settings and env
//     are deep-merged in the order global, terraform section, base
//     components (top-level component attribute, then metadata.inherits in
//     order, recursively), the component itself, then overrides. Lists are
//     replaced unless atmos.yaml sets settings.list_merge_strategy.
//   - metadata is inherited from base components except inherits and type
//     (atmos's stacks.inherit.metadata, on by default).
//
// Expand returns one Record per component instance whose
// settings.spacelift.workspace_enabled is true and that is neither abstract
// nor disabled (metadata.enabled: false), with the Spacelift stack name,
// Terraform workspace and labels atmos computes (deps:, explicit labels,
// depends-on:, folder:). Filter applies the admin-stack component's
// context_filters and excluded_context_filters to the records.
//
// Not supported: Go templates inside manifests (they are kept as literal
// strings), .tmpl manifests, remote imports, import context, YAML functions
// (a tagged value such as "!terraform.output vpc id" is kept as that string),
// and per-component settings.list_merge_strategy.
package atmos
