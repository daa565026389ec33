package kube

import (
	"math"
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
		{"cpu whole cores stay in millicores", FormatCPU(2000), "2000m"},
		{"cpu zero", FormatCPU(0), "-"},
		{"memory rounds up to MiB", FormatMemory(300*model.MiB + 1), "301Mi"},
		{"memory GiB stays in MiB", FormatMemory(model.GiB), "1024Mi"},
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

// FuzzParseQuantity: any string is refused (so is a quantity of 1e14
// millicores or bytes and more) or parses to a finite value; a
// non-negative quantity gives a non-negative value within a millicore (CPU)
// or a part in 1e12 (memory) of the quantity's own value; and the quantity
// apply writes back parses to the value rounded up.
func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"250m", "1", "1.5", "128Mi", "1G", "0", "-1", "1e3", "0.0001", "9223372036854775807",
		"9223372036854775807k", "1E18", "100Ei", "1e-9", "+.5", "2Gi", "1000000000000000000000m", "0.5n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cpu, cerr := ParseCPU(s)
		mem, merr := ParseMemory(s)
		q, qerr := resource.ParseQuantity(s)
		if qerr != nil && (cerr == nil || merr == nil) {
			t.Fatalf("%q: errors cpu %v memory %v quantity %v", s, cerr, merr, qerr)
		}
		if qerr != nil {
			return
		}
		exact := q.AsApproximateFloat64()
		for _, v := range []struct {
			name      string
			got, want float64
			tol       float64
			err       error
		}{{"cpu", cpu, exact * 1000, 1, cerr}, {"memory", mem, exact, 1, merr}} {
			if v.err != nil {
				if math.Abs(v.want) < model.NoBound*0.999 {
					t.Fatalf("%q: %s refused: %v", s, v.name, v.err)
				}
				continue
			}
			if math.IsNaN(v.got) || math.IsInf(v.got, 0) {
				t.Fatalf("%q: %s %v", s, v.name, v.got)
			}
			if q.Sign() >= 0 && v.got < 0 {
				t.Fatalf("%q: %s %v is negative", s, v.name, v.got)
			}
			if d := math.Abs(v.got - v.want); d > v.tol && d > 1e-12*math.Abs(v.want) {
				t.Fatalf("%q: %s %v, quantity says %v", s, v.name, v.got, v.want)
			}
		}
		if cpu > 0 && cpu < 1<<50 {
			back, err := ParseCPU(FormatCPU(cpu))
			if err != nil || back != math.Ceil(cpu-1e-9) {
				t.Fatalf("%q: cpu %v formats as %s, parses back to %v (%v)", s, cpu, FormatCPU(cpu), back, err)
			}
		}
		if mem > 0 && mem < 1<<50 {
			back, err := ParseMemory(FormatMemory(mem))
			if want := math.Ceil(mem/model.MiB-1e-9) * model.MiB; err != nil || back != want {
				t.Fatalf("%q: memory %v formats as %s, parses back to %v, want %v (%v)", s, mem, FormatMemory(mem), back, want, err)
			}
		}
	})
}
