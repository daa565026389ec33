package workloads

import (
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkImportBitbrains imports the 30 real Bitbrains files (about 248,000
// rows) from ../shared/traces; it skips where they are absent.
func BenchmarkImportBitbrains(b *testing.B) {
	dir := tracesDir(b, "bitbrains-rnd-2013-7")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	b.ReportAllocs()
	for b.Loop() {
		traces, err := Import(FormatBitbrains, paths, ImportOptions{})
		if err != nil || len(traces) != 30 {
			b.Fatalf("%d traces, %v", len(traces), err)
		}
	}
}

// BenchmarkSaveBitbrains writes the 30 imported Bitbrains traces to a store.
func BenchmarkSaveBitbrains(b *testing.B) {
	dir := tracesDir(b, "bitbrains-rnd-2013-7")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	traces, err := Import(FormatBitbrains, paths, ImportOptions{})
	if err != nil {
		b.Fatal(err)
	}
	s := OpenStore(b.TempDir())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.SaveAll(traces); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerateWeekly generates the default weekly workload (8 days at 1m).
func BenchmarkGenerateWeekly(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate("weekly", nil, 1, 0, 0, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
