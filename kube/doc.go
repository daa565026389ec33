// Package kube owns everything that talks to a Kubernetes cluster: resolving
// targets, usage sources (metrics API, Prometheus, VPA checkpoints), appliers
// (patch, resize, evict), the VPA recommender controller and the emulator. It is
// the only place where resource.Quantity meets core/model units.
package kube
