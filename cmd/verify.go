package main

import (
	"os"

	"github.com/stackwright/spacelift-operator/internal/verifycmd"
)

func init() {
	subcommands["verify-run"] = func(args []string) int {
		return verifycmd.Run(args, os.Stdin, os.Stdout, os.Stderr)
	}
}
