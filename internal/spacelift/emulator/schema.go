// Package emulator serves a local imitation of the Spacelift GraphQL API for
// tests and development: the operations the operator uses, with Spacelift's
// names and behaviour (asynchronous deletes, run state machine, drift
// detection, signed webhooks), an injectable clock, fault injection and a
// control API under /_emulator/.
//
// Authentication: apiKeyUser exchanges the configured API key for an HS256
// JWT (aud is the endpoint, as spacectl expects). A request without a valid,
// unexpired token is answered as the real API answers it: HTTP 200, never
// 401. Its viewer is null; any other field makes the answer
// {"data":null,"errors":[{"message":"unauthorized"}]}, which spacectl and
// the operator's client recognise by the word "unauthorized".
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
