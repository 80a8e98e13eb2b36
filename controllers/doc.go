// Package controllers holds one reconciler per kind of the
// spacelift.stackwright.io API: Stack, Policy and AdminStack.
package controllers
