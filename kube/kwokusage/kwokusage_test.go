package kwokusage

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestQuantities(t *testing.T) {
	tests := []struct {
		name          string
		cpu, mem      float64
		wantCPU, want string
	}{
		{name: "rounded", cpu: 249.6, mem: 300 * 1024 * 1024, wantCPU: "250m", want: "307200Ki"},
		{name: "zero is floored", cpu: 0, mem: 0, wantCPU: "1m", want: "1024Ki"},
		{name: "half KiB rounds up", cpu: 1, mem: 2*1024*1024 + 512, wantCPU: "1m", want: "2049Ki"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CPUQuantity(tt.cpu); got != tt.wantCPU {
				t.Errorf("CPUQuantity(%v) = %q, want %q", tt.cpu, got, tt.wantCPU)
			}
			if got := MemoryQuantity(tt.mem); got != tt.want {
				t.Errorf("MemoryQuantity(%v) = %q, want %q", tt.mem, got, tt.want)
			}
			a := Annotations(tt.cpu, tt.mem)
			if !Current(a, tt.cpu, tt.mem) || Current(a, tt.cpu+10, tt.mem) {
				t.Errorf("Current does not match Annotations %v", a)
			}
		})
	}
}

func TestPatch(t *testing.T) {
	c := fake.NewClientset(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Annotations: map[string]string{"keep": "me"}}})
	if err := Patch(context.Background(), c, "ns", "p", 500, 256*1024*1024); err != nil {
		t.Fatal(err)
	}
	p, err := c.CoreV1().Pods("ns").Get(context.Background(), "p", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"keep": "me", AnnotationCPU: "500m", AnnotationMemory: "262144Ki"}
	for k, v := range want {
		if p.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, p.Annotations[k], v)
		}
	}
	if err := Patch(context.Background(), c, "ns", "missing", 1, 1); err == nil {
		t.Error("patching a missing pod: want an error")
	}
}
