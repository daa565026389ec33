//go:build tools

// Package tools pins the commands built by hack/build-tools.sh.
package tools

import (
	_ "sigs.k8s.io/metrics-server/cmd/metrics-server"
)
