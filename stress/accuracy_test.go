//go:build linux

package stress

import (
	"context"
	"math"
	"os"
	"testing"
	"time"
)

// TestNativeAccuracy measures the built-in backend from /proc: CPU within
// 10 % of targets above 200m and the resident set within 10 % of targets
// above 64 MB. It needs a quiet machine (a loaded one starves the workers),
// so it runs only when asked:
//
//	SMARTVPA_STRESS_ACCURACY=1 go test -run TestNativeAccuracy -v ./stress/
func TestNativeAccuracy(t *testing.T) {
	if os.Getenv("SMARTVPA_STRESS_ACCURACY") != "1" {
		t.Skip("set SMARTVPA_STRESS_ACCURACY=1 on a quiet machine to measure the agent's accuracy")
	}
	n := NewNative(NativeConfig{})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() { stop(); <-done }() //nolint:errcheck // Run's error after the stop is the stop's
	for _, tg := range []Usage{{250, 96 << 20}, {600, 256 << 20}, {1200, 160 << 20}, {300, 80 << 20}} {
		n.SetTarget(tg.CPUMillicores, tg.MemoryBytes)
		time.Sleep(3 * time.Second) // settle
		a, err := ReadProc(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		w0 := time.Now()
		time.Sleep(10 * time.Second)
		b, err := ReadProc(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		cpu := cpuMillicores(a.CPUTime, b.CPUTime, time.Since(w0))
		mem := float64(b.RSS)
		t.Logf("target %4.0fm %4.0f MiB: measured %6.1fm (%+.1f%%) %6.1f MiB (%+.1f%%)", tg.CPUMillicores, tg.MemoryBytes/(1<<20),
			cpu, 100*(cpu/tg.CPUMillicores-1), mem/(1<<20), 100*(mem/tg.MemoryBytes-1))
		if math.Abs(cpu/tg.CPUMillicores-1) > 0.1 {
			t.Errorf("cpu %.1fm not within 10%% of %.0fm", cpu, tg.CPUMillicores)
		}
		if math.Abs(mem/tg.MemoryBytes-1) > 0.1 {
			t.Errorf("memory %.1f MiB not within 10%% of %.0f MiB", mem/(1<<20), tg.MemoryBytes/(1<<20))
		}
	}
}
