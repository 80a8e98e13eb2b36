// Package adminstack computes, without side effects, the objects an
// AdminStack writes: one child Stack per component instance its filters
// select (one child AdminStack per admin-stack instance for a root admin),
// plus a Stack for the administrative stack itself. It mirrors Cloud Posse's
// spacelift/admin-stack component: settings.spacelift of each component
// overrides spec.childDefaults, labels and the tfvars file are those the
// component's spacelift-stack module writes.
//
// Decisions:
//
//   - Object names derive from the (atmos stack, component) pair, not from
//     the Spacelift name (see ObjectName), so renaming a Spacelift stack
//     (settings.spacelift.stack_name) changes spec.name of the same object and
//     the Stack controller renames the stack while keeping its id. Changing
//     the atmos stack name or the component name makes a new object; the old
//     one is pruned.
//   - The administrative stack is a Stack object owned by the AdminStack
//     (AdminStackObject), so only the Stack controller talks to Spacelift.
//   - Worker pools and spaces are not looked up by name (that needs
//     Spacelift): worker_pool_name and space_name are used as ids.
//   - settings.spacelift.policies entries that are strings name Policy
//     objects; {id: …} entries and policies_by_id_enabled are Spacelift ids.
//   - A terraform_version that is not a key of terraformVersionMap is used
//     as it is, rather than falling back to the default version; the
//     version a child ends up with must be a version or a constraint.
//   - spec.childDefaults that the user left out gets the CRD's defaults
//     (withCRDDefaults), so every Stack has a Terraform vendor block with
//     the TERRAFORM_FOSS workflow tool and the record's workspace.
//   - settings.spacelift.policies: {} (and policies_by_id_enabled: {}) means
//     no policies, as in the Cloud Posse components; other list-valued
//     settings must be lists.
//   - Mistakes the CRDs cannot see are problems naming the component:
//     stack_name_pattern tokens, drift schedules and time zones, the
//     resolved Terraform version, Spacelift names without an id, names that
//     give the same Spacelift id (validate.Slug), and children larger than
//     one Kubernetes object may be (MaxVarsFileBytes, MaxObjectBytes).
//   - Values atmos evaluates only at run time (atmos.Record.Unevaluated) are
//     kept as written and listed in Desired.Unevaluated; they are not
//     problems.
package adminstack
