// Command kubectl-spacelift is a kubectl plugin for the spacelift-operator:
// `kubectl spacelift get|tree|drift|reconcile|confirm|discard|render`.
// Install it on the PATH with
//
//	go install github.com/stackwright/spacelift-operator/cmd/kubectl-spacelift@<version>
//
// and kubectl finds it. See internal/plugin for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/stackwright/spacelift-operator/internal/plugin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := plugin.Main(ctx, os.Args[1:], plugin.Options{})
	stop()
	os.Exit(code)
}
