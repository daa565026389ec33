// Package stress owns the stress-load system: the utilisation server that tells
// stress pods what to consume, the stress agent that burns CPU and holds memory
// accordingly, and the local runner. It imports no Kubernetes client: the
// controller that deploys the server and agents on a cluster is package
// kube/stressdeploy.
package stress
