package kube

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/smartvpa/smartvpa/core/model"
)

func TestQuantityConversions(t *testing.T) {
	tests := []struct {
		in         string
		millicores float64
		bytes      float64
	}{
		{"250m", 250, 0.25},
		{"1", 1000, 1},
		{"1.5", 1500, 1.5},
		{"128Mi", 128 * model.MiB * 1000, 128 * model.MiB},
		{"1G", 1e12, 1e9},
		{"0", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q := resource.MustParse(tt.in)
			if got := CPUMillicores(q); got != tt.millicores {
				t.Errorf("CPUMillicores(%s) = %v, want %v", tt.in, got, tt.millicores)
			}
			if got := MemoryBytes(q); got != tt.bytes {
				t.Errorf("MemoryBytes(%s) = %v, want %v", tt.in, got, tt.bytes)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"cpu rounds up to a millicore", FormatCPU(250.2), "251m"},
		{"cpu whole cores", FormatCPU(2000), "2"},
		{"cpu zero", FormatCPU(0), "-"},
		{"memory rounds up to MiB", FormatMemory(300*model.MiB + 1), "301Mi"},
		{"memory GiB", FormatMemory(model.GiB), "1Gi"},
		{"memory zero", FormatMemory(0), "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestResourceListRoundTrip(t *testing.T) {
	r := model.Resources{CPUMillicores: 412, MemoryBytes: 450 * model.MiB}
	l := ToResourceList(r)
	if got := FromResourceList(l); got != r {
		t.Fatalf("round trip = %v, want %v", got, r)
	}
	if _, ok := ToResourceList(model.Resources{CPUMillicores: 5})["memory"]; ok {
		t.Fatal("zero memory must not be set")
	}
}
