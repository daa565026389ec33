// Command kubectl-smartvpa is the smartvpa kubectl plugin: it right-sizes
// container CPU and memory requests with learned models and proves it by
// simulation. kubectl finds it on PATH and runs it as `kubectl smartvpa`.
//
// This package only wires flags to the packages that do the work; main is the
// one place that exits the process, with the code exitCode assigns.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	_ "k8s.io/client-go/plugin/pkg/client/auth" // auth providers for kubeconfigs (oidc, ...)
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(run(os.Args[1:], streams))
}
