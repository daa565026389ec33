//go:build tools

// Package tools pins the krew commands that `make krew-check` builds (see
// hack/krew-check.sh): krew itself, run as the kubectl plugin kubectl-krew, and
// krew's manifest validator. It is a wrapper module of its own so that krew's
// dependencies never enter the product's go.mod.
package tools

import (
	_ "sigs.k8s.io/krew/cmd/krew"
	_ "sigs.k8s.io/krew/cmd/validate-krew-manifest"
)
