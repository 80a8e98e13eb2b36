// Package emulator serves a local imitation of the Spacelift GraphQL API for
// tests and development: the operations the operator uses, with Spacelift's
// names and behaviour (asynchronous deletes, run state machine, drift
// detection, signed webhooks), an injectable clock, fault injection and a
// control API under /_emulator/.
//
// Authentication: apiKeyUser exchanges the configured API key for an HS256
// JWT (aud is the endpoint, as spacectl expects). Any other request without
// a valid, unexpired token is answered with HTTP 401 and
// {"errors":[{"message":"unauthorized"}]}. The real API is laxer: it runs
// such requests anonymously and answers HTTP 200, viewer null and empty
// lists (spacectl issue #79 shows {"data":{"stacks":[]}} for an expired
// token), which spacectl detects by looking for "unauthorized" in errors and
// a null viewer. Options.AnonymousUnauthenticated reproduces that behaviour.
//
// Resolver methods are exported only because graph-gophers requires it;
// their names are the schema's fields.
package emulator

import _ "embed"

// Schema is the GraphQL SDL the emulator serves. It is the contract with the
// GraphQL client in internal/spacelift: queries the client sends must
// validate against it.
//
//go:embed schema.graphql
var Schema string
