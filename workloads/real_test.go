package workloads

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// tracesDir returns ../shared/traces (next to the repository), or skips.
func tracesDir(t testing.TB, sub string) string {
	t.Helper()
	dir := os.Getenv("SMARTVPA_TRACES")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "traces")
	}
	p := filepath.Join(dir, sub)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("real traces not found at %s (set SMARTVPA_TRACES to the shared/traces folder): %v", p, err)
	}
	return p
}

func approx(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}

func TestRealBitbrains(t *testing.T) {
	dir := tracesDir(t, "bitbrains-rnd-2013-7")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	traces, err := Import(FormatBitbrains, paths, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(traces) != len(paths) || len(traces) != 30 {
		t.Fatalf("got %d traces from %d files, want 30", len(traces), len(paths))
	}
	var one *Trace
	for _, tr := range traces {
		if tr.Meta.Series == "1" {
			one = tr
		}
	}
	if one == nil || one.ID != "bitbrains-1" {
		t.Fatalf("no trace bitbrains-1 among %d", len(traces))
	}
	// Acceptance: 87.7799835 / (5851.9989 / 2) * 1000 = 30.0 millicores and
	// 1034592.8 * 1024 bytes.
	if got, want := one.CPUMillicores[0], 87.7799835/(5851.9989/2)*1000; !approx(got, want, 1e-12) || math.Abs(got-30.0) > 1e-6 {
		t.Errorf("first cpu = %v, want %v (30.0)", got, want)
	}
	if got, want := one.MemoryBytes[0], 1034592.8*1024; got != want {
		t.Errorf("first memory = %v, want %v", got, want)
	}
	if got := one.Times[0]; !got.Equal(time.Unix(1372629804, 0)) {
		t.Errorf("first time = %v", got)
	}
	if r := one.Meta.OriginalRequest; r == nil || r.CPUMillicores != 2000 || r.MemoryBytes != 8218624.0*1024 {
		t.Errorf("original request = %+v, want 2000m and 8218624 KiB", r)
	}
	if one.Meta.Interval != 5*time.Minute {
		t.Errorf("interval = %v", one.Meta.Interval)
	}
}

func TestRealGoogleJobs(t *testing.T) {
	dir := tracesDir(t, "google2011-jobs")
	p := filepath.Join(dir, "vm_1218322450_merged.csv")
	traces, err := Import(FormatJobs, []string{p}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr := traces[0]
	// First row: "6.763 5.103" percent of an 8-core, 32 GiB machine.
	if !approx(tr.CPUMillicores[0], 6.763/100*8*1000, 1e-12) || !approx(tr.MemoryBytes[0], 5.103/100*32*1024*1024*1024, 1e-12) {
		t.Errorf("first row = %v m, %v B", tr.CPUMillicores[0], tr.MemoryBytes[0])
	}
	if tr.Meta.Interval != 5*time.Minute || !tr.Times[1].Equal(DefaultStart.Add(5*time.Minute)) {
		t.Errorf("interval %v, second time %v", tr.Meta.Interval, tr.Times[1])
	}
	all, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	traces, err = Import(FormatJobs, all, ImportOptions{})
	if err != nil || len(traces) != len(all) {
		t.Fatalf("all job files: %d traces, %v", len(traces), err)
	}
	for _, tr := range traces {
		if tr.Len() < 288 {
			t.Errorf("%s has %d rows, want at least 288", tr.ID, tr.Len())
		}
	}
}

func TestRealAlibabaMachine(t *testing.T) {
	dir := tracesDir(t, "alibaba2018")
	traces, err := Import(FormatAlibabaMachine, []string{filepath.Join(dir, "machine_usage.csv"), filepath.Join(dir, "machine_meta.csv")}, ImportOptions{Resample: NoResample})
	if err != nil {
		t.Fatal(err)
	}
	if len(traces) != 16 {
		t.Fatalf("got %d machines, want 16", len(traces))
	}
	tr := traces[0]
	if tr.ID != "alibaba-m_1932" || tr.Len() != 3325 {
		t.Fatalf("first trace %s with %d rows", tr.ID, tr.Len())
	}
	// First row: m_1932,386640,41,92: 41 % of 96 cores, 92 % of 512 GiB.
	if !approx(tr.CPUMillicores[0], 0.41*96*1000, 1e-12) || !approx(tr.MemoryBytes[0], 0.92*512*1024*1024*1024, 1e-12) {
		t.Errorf("first row = %v m, %v B", tr.CPUMillicores[0], tr.MemoryBytes[0])
	}
	if !tr.Times[0].Equal(DefaultStart.Add(386640 * time.Second)) {
		t.Errorf("first time %v", tr.Times[0])
	}
	if tr.Meta.AssumedMachine == nil || tr.Meta.AssumedMachine.CPUMillicores != 96000 {
		t.Errorf("assumed machine %+v", tr.Meta.AssumedMachine)
	}
}

func TestRealAlibabaMachineResampled(t *testing.T) {
	dir := tracesDir(t, "alibaba2018")
	traces, err := Import(FormatAlibabaMachine, []string{filepath.Join(dir, "machine_usage.csv"), filepath.Join(dir, "machine_meta.csv")}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range traces {
		if tr.Meta.Interval != 5*time.Minute || tr.MedianInterval() != 5*time.Minute {
			t.Errorf("%s: interval %s, median gap %s, want 5m", tr.ID, tr.Meta.Interval, tr.MedianInterval())
		}
		if tr.Meta.OriginalRequest == nil || tr.Meta.OriginalRequest.CPUMillicores != tr.Meta.AssumedMachine.CPUMillicores {
			t.Errorf("%s: original request %+v, want the machine size %+v", tr.ID, tr.Meta.OriginalRequest, tr.Meta.AssumedMachine)
		}
	}
}
