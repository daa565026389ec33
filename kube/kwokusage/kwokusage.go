// Package kwokusage sets the usage a kwok-managed pod reports. kwok's
// ClusterResourceUsage "usage-from-annotation" turns the pod annotations
// kwok.x-k8s.io/usage-cpu and kwok.x-k8s.io/usage-memory (quantities) into the
// kubelet resource metrics that metrics-server scrapes, so patching them makes
// metrics.k8s.io report that usage one or two scrapes later.
//
// A usage of 0 drops the container from the metrics, so values are floored at
// 1m CPU and 1Mi memory. The local control plane's usage driver
// (hack/usagedriver) and the emulator (kube/emulate) share this code.
package kwokusage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// The annotations kwok reads.
const (
	AnnotationCPU    = "kwok.x-k8s.io/usage-cpu"
	AnnotationMemory = "kwok.x-k8s.io/usage-memory"
)

// CPUQuantity formats millicores as a quantity, rounded to a whole millicore
// and at least 1m.
func CPUQuantity(millicores float64) string {
	return strconv.FormatInt(max(int64(millicores+0.5), 1), 10) + "m"
}

// MemoryQuantity formats bytes as a quantity in Ki, rounded to a whole KiB
// and at least 1Mi.
func MemoryQuantity(bytes float64) string {
	return strconv.FormatInt(max(int64(bytes/1024+0.5), 1024), 10) + "Ki"
}

// Annotations returns the annotations that make kwok report the usage.
func Annotations(cpuMillicores, memoryBytes float64) map[string]string {
	return map[string]string{AnnotationCPU: CPUQuantity(cpuMillicores), AnnotationMemory: MemoryQuantity(memoryBytes)}
}

// Current reports whether annotations already hold the usage.
func Current(annotations map[string]string, cpuMillicores, memoryBytes float64) bool {
	return annotations[AnnotationCPU] == CPUQuantity(cpuMillicores) && annotations[AnnotationMemory] == MemoryQuantity(memoryBytes)
}

// Patch sets the usage of pod namespace/name with a merge patch of its
// annotations.
func Patch(ctx context.Context, c kubernetes.Interface, namespace, name string, cpuMillicores, memoryBytes float64) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": Annotations(cpuMillicores, memoryBytes)}})
	if err != nil {
		return err
	}
	if _, err := c.CoreV1().Pods(namespace).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("set the kwok usage of pod %s/%s: %w", namespace, name, err)
	}
	return nil
}
