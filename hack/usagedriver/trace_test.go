package main

import (
	"bufio"
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParseTraceCSV(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
		wantN             int
		wantPeriod        time.Duration
	}{
		{name: "unix seconds", in: "timestamp,cpu_millicores,memory_bytes\n0,100,1000\n60,200,2000\n120,300,3000\n", wantN: 3, wantPeriod: 3 * time.Minute},
		{name: "rfc3339 and column order", in: "memory_bytes,timestamp,cpu_millicores\n5,2026-01-01T00:00:00Z,1\n6,2026-01-01T00:05:00Z,2\n", wantN: 2, wantPeriod: 10 * time.Minute},
		{name: "missing column", in: "timestamp,cpu\n0,1\n", wantErr: `t.csv:1: header has no "cpu_millicores" column (want timestamp,cpu_millicores,memory_bytes)`},
		{name: "bad cpu", in: "timestamp,cpu_millicores,memory_bytes\n0,x,1\n", wantErr: `t.csv:2: field cpu_millicores: want a non-negative number, got "x"`},
		{name: "negative memory", in: "timestamp,cpu_millicores,memory_bytes\n0,1,-1\n", wantErr: `t.csv:2: field memory_bytes: want a non-negative number, got "-1"`},
		{name: "time goes back", in: "timestamp,cpu_millicores,memory_bytes\n60,1,1\n0,1,1\n", wantErr: `t.csv:3: field timestamp: not after the previous row`},
		{name: "bad time", in: "timestamp,cpu_millicores,memory_bytes\nyesterday,1,1\n", wantErr: `t.csv:2: field timestamp: want RFC 3339 or Unix seconds, got "yesterday"`},
		{name: "empty", in: "timestamp,cpu_millicores,memory_bytes\n", wantErr: `t.csv: no samples`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := ParseTraceCSV(strings.NewReader(tt.in), "t.csv")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Points) != tt.wantN || tr.Period != tt.wantPeriod {
				t.Fatalf("got %d points period %s, want %d and %s", len(tr.Points), tr.Period, tt.wantN, tt.wantPeriod)
			}
		})
	}
}

func TestTraceAtWraps(t *testing.T) {
	tr, err := ParseTraceCSV(strings.NewReader("timestamp,cpu_millicores,memory_bytes\n0,100,1\n60,200,2\n120,300,3\n"), "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		at   time.Duration
		want float64
	}{{0, 100}, {59 * time.Second, 100}, {time.Minute, 200}, {150 * time.Second, 300}, {3 * time.Minute, 100}, {-time.Second, 300}} {
		if got := tr.At(tt.at).CPUMillicores; got != tt.want {
			t.Errorf("At(%s) = %g, want %g", tt.at, got, tt.want)
		}
	}
}

func TestBuiltinDeterministicAndPositive(t *testing.T) {
	for _, id := range []string{"sinusoidal-web", "step-api", "spikes-worker", "low_high-db", "constant-agent", "batch-report", "other"} {
		a, b := Builtin(id), Builtin(id)
		if len(a.Points) != 14*24*12 {
			t.Fatalf("%s: %d points", id, len(a.Points))
		}
		for i := range a.Points {
			if a.Points[i] != b.Points[i] {
				t.Fatalf("%s: not deterministic at %d", id, i)
			}
			if a.Points[i].CPUMillicores < 1 || a.Points[i].MemoryBytes < 1<<20 {
				t.Fatalf("%s: sample %d below 1m/1Mi: %+v", id, i, a.Points[i])
			}
		}
	}
	if Builtin("low_high-db").Source != "builtin:low_high" || Builtin("nope").Source != "builtin:sinusoidal" {
		t.Error("builtin kind chosen by id prefix")
	}
}

func TestOffsetAndOpenMetrics(t *testing.T) {
	anchor := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	d := &driver{o: options{anchor: anchor, history: time.Hour, speedup: 60, step: 30 * time.Minute}, traces: map[string]*Trace{}}
	if got := d.offset(anchor.Add(-time.Hour)); got != 0 {
		t.Errorf("offset(start of history) = %s", got)
	}
	if got := d.offset(anchor.Add(time.Minute)); got != 2*time.Hour {
		t.Errorf("offset(anchor+1m) at 60x = %s, want 2h", got)
	}
	d.traces["x"] = &Trace{ID: "x", Points: []Point{{0, 500, 1 << 20}}, Period: time.Minute}
	pod := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "demo", Annotations: map[string]string{annWorkload: "x"}},
		Spec:       corev1.PodSpec{NodeName: "n", Containers: []corev1.Container{{Name: "c"}}},
	}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := writeOpenMetrics(w, d, []corev1.Pod{pod}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `# HELP container_cpu_usage_seconds Cumulative cpu time consumed by the container in core-seconds
# TYPE container_cpu_usage_seconds counter
container_cpu_usage_seconds_total{container="c",instance="n",job="kubelet",namespace="demo",node="n",pod="p"} 0.000 1767999600
container_cpu_usage_seconds_total{container="c",instance="n",job="kubelet",namespace="demo",node="n",pod="p"} 900.000 1768001400
container_cpu_usage_seconds_total{container="c",instance="n",job="kubelet",namespace="demo",node="n",pod="p"} 1800.000 1768003200
# HELP container_memory_working_set_bytes Current working set of the container in bytes
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{container="c",instance="n",job="kubelet",namespace="demo",node="n",pod="p"} 1048576 1767999600
container_memory_working_set_bytes{container="c",instance="n",job="kubelet",namespace="demo",node="n",pod="p"} 1048576 1768001400
container_memory_working_set_bytes{container="c",instance="n",job="kubelet",namespace="demo",node="n",pod="p"} 1048576 1768003200
# EOF
`
	if buf.String() != want {
		t.Errorf("openmetrics:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestQuantities(t *testing.T) {
	if cpuQuantity(0) != "1m" || cpuQuantity(249.6) != "250m" {
		t.Errorf("cpuQuantity: %s %s", cpuQuantity(0), cpuQuantity(249.6))
	}
	if memQuantity(0) != "1024Ki" || memQuantity(96<<20) != "98304Ki" {
		t.Errorf("memQuantity: %s %s", memQuantity(0), memQuantity(96<<20))
	}
}

func TestLoadTraceGeneratesIntoStore(t *testing.T) {
	dir := t.TempDir()
	tr, err := LoadTrace(dir, "step-api")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Source != filepath.Join(dir, "step-api", "trace.csv") || len(tr.Points) != 14*24*12 {
		t.Fatalf("source %s, %d points", tr.Source, len(tr.Points))
	}
	again, err := LoadTrace(dir, "step-api") // now read back from the store
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Points) != len(tr.Points) || again.Period != tr.Period || again.At(time.Hour) != tr.At(time.Hour) {
		t.Fatalf("store round trip differs: %d/%d points, period %s/%s", len(again.Points), len(tr.Points), again.Period, tr.Period)
	}
	if b, err := LoadTrace(dir, "constant-agent"); err != nil || b.Source != "builtin:constant" {
		t.Fatalf("constant-agent: %v %v", b, err)
	}
}
