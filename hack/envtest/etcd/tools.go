//go:build tools

// Package tools pins the etcd main package (go.etcd.io/etcd/server/v3 is the
// etcd server's main package in v3.5) so that `go mod tidy` keeps every module
// it needs in go.mod and go.sum.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
