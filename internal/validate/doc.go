// Package validate holds the checks of AdminStack, Stack and Policy specs
// that the CRDs' CEL rules cannot express: whether a cron expression parses
// and ever fires (robfig/cron), whether a time zone exists (the tz database,
// embedded), whether a name yields a Spacelift id (the slug rule Spacelift
// applies to names), whether atmos name patterns use only known tokens, and
// whether the values of a map are versions.
//
// Everything here is pure: no Kubernetes client, no Spacelift, no clock. The
// object-level functions (Stack, Policy, AdminStack) return a
// field.ErrorList whose entries read like the apiserver's own admission
// errors ("spec.driftDetection.schedule[0]: Invalid value: ...: <what to
// do>"), so a controller can put ToAggregate().Error() into a Stalled
// condition with reason InvalidSpec. Whatever admission already refuses is
// not checked again.
package validate
