// Package crd embeds the CustomResourceDefinitions that `make manifests`
// generates into bases/, so that the operator can validate the objects it
// writes against the same schemas the API server holds.
package crd

import "embed"

// Bases holds bases/*.yaml: one CustomResourceDefinition per file.
//
//go:embed bases/*.yaml
var Bases embed.FS
