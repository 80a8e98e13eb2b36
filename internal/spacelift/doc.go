// Package spacelift is the operator's client for the Spacelift GraphQL API.
//
// A Client is bound to one set of API key credentials. It exchanges the key
// for a short-lived JWT with the apiKeyUser mutation, refreshes the token
// before it expires, paces requests with a token bucket shared by every
// client of a ClientCache, retries transient and rate-limited failures with
// exponential backoff and jitter, and reports each request's operation,
// outcome and duration to the RequestObserver it was given. It imports no
// Kubernetes package and registers no metrics: its callers read Secrets and
// register Prometheus collectors. Every method returns typed results;
// failures are *Error values classified by Kind, so callers branch on
// IsNotFound, IsUnauthorized, IsInvalidInput, IsTransient and IsRateLimited
// instead of parsing messages.
//
// Operation names, argument names and types, input type names, field names
// and enum values are those of the real Spacelift API (as used by
// spacelift-io/terraform-provider-spacelift and spacelift-io/spacectl);
// internal/spacelift/emulator/schema.graphql holds the subset the client
// uses, and a unit test validates every operation the client can send
// against it.
//
// Read methods return an error for which IsNotFound is true when the object
// does not exist (the API answers null); they never return (nil, nil), except
// for optional parts of an existing object (a stack without drift detection,
// a stack without drift detection runs) where the doc comment says so.
// Mutations on a missing object fail the same way, so a delete can treat
// IsNotFound as success. CreateStack, CreatePolicy and CreateStackRoleBinding
// report a missing referenced object (a space, a worker pool, a role) as
// invalid input instead, since the object being created cannot be missing.
//
// Neither the API key secret nor the JWT ever appears in an error, a log line
// or an observed request.
package spacelift
