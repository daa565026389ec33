package workloads

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

func sampleTrace(id string) *Trace {
	t := &Trace{ID: id, Meta: Meta{Source: "import", Type: "csv", OriginalRequest: &model.Resources{CPUMillicores: 500, MemoryBytes: 1 << 30}, Conversions: []string{"none"}}}
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		t.Append(t0.Add(time.Duration(i)*5*time.Minute), 100.5+float64(i), 1034592.8*1024+float64(i))
	}
	return t
}

func TestStoreRoundTrip(t *testing.T) {
	s := OpenStore(t.TempDir())
	in := sampleTrace("round-trip")
	p, err := s.Save(in)
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(s.Dir, "round-trip") {
		t.Fatalf("Save returned %q", p)
	}
	out, err := s.Load("round-trip")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out.Times, in.Times) || !reflect.DeepEqual(out.CPUMillicores, in.CPUMillicores) || !reflect.DeepEqual(out.MemoryBytes, in.MemoryBytes) {
		t.Fatalf("samples differ after round trip:\n%+v\n%+v", in, out)
	}
	if out.Meta.Interval != 5*time.Minute || out.Meta.Samples != 5 || *out.Meta.OriginalRequest != *in.Meta.OriginalRequest {
		t.Fatalf("meta after round trip: %+v", out.Meta)
	}
	if got := out.Samples()[0]; got.CPUMillicores != 100.5 || !got.Time.Equal(in.Times[0]) {
		t.Fatalf("Samples()[0] = %+v", got)
	}
	b, _ := os.ReadFile(filepath.Join(p, TraceFile))
	wantHead := TraceHeader + "\n1767571200,100.5,1059423027.2\n"
	if !strings.HasPrefix(string(b), wantHead) {
		t.Fatalf("trace.csv starts %q, want %q", b[:60], wantHead)
	}
	metas, err := s.List()
	if err != nil || len(metas) != 1 || metas[0].ID != "round-trip" {
		t.Fatalf("List = %+v, %v", metas, err)
	}
	// LoadPath on the directory and on the bare file.
	for _, path := range []string{p, filepath.Join(p, TraceFile)} {
		lt, err := LoadPath(path)
		if err != nil || lt.Len() != 5 || lt.ID != "round-trip" {
			t.Fatalf("LoadPath(%s) = %v, %v", path, lt, err)
		}
	}
	// Replacing needs Overwrite, and keeps one directory and no staging
	// leftovers.
	in.CPUMillicores[0] = 7
	if _, err := s.Save(in); !errors.Is(err, ErrExists) {
		t.Fatalf("save over an existing workload without Overwrite: %v", err)
	}
	s.Overwrite = true
	if _, err := s.Save(in); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(s.Dir)
	if len(entries) != 1 {
		t.Fatalf("store holds %d entries after replace, want 1", len(entries))
	}
	out, _ = s.Load("round-trip")
	if out.CPUMillicores[0] != 7 {
		t.Fatalf("replace did not replace: %v", out.CPUMillicores[0])
	}
}

func TestSaveAllLeavesNothingOnFailure(t *testing.T) {
	s := OpenStore(t.TempDir())
	good := sampleTrace("good")
	bad := sampleTrace("bad")
	bad.CPUMillicores[2] = -1
	if _, err := s.SaveAll([]*Trace{good, bad}); err == nil || !strings.Contains(err.Error(), "workload bad: sample 2: cpu_millicores is negative") {
		t.Fatalf("err = %v", err)
	}
	if entries, _ := os.ReadDir(s.Dir); len(entries) != 0 {
		t.Fatalf("store not empty after a failed save: %v", entries)
	}
	dup := sampleTrace("good")
	if _, err := s.SaveAll([]*Trace{good, dup}); err == nil || !strings.Contains(err.Error(), `two traces have the id "good"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestReadTraceCSVErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", `t.csv: empty file: want the header timestamp,cpu_millicores,memory_bytes`},
		{"header", "time,cpu,mem\n", `t.csv:1: header is "time,cpu,mem", want "timestamp,cpu_millicores,memory_bytes"`},
		{"no rows", TraceHeader + "\n", `t.csv: no samples after the header`},
		{"fields", TraceHeader + "\n1,2\n", `t.csv:2: want 3 comma-separated fields, got "1,2"`},
		{"separator", TraceHeader + "\n1;2;3\n", `t.csv:2: want 3 comma-separated fields, got "1;2;3"`},
		{"time", TraceHeader + "\n2026-01-05,2,3\n", `t.csv:2: field "timestamp": not unix seconds "2026-01-05"`},
		{"cpu", TraceHeader + "\n1,abc,3\n", `t.csv:2: field "cpu_millicores": not a number "abc"`},
		{"nan", TraceHeader + "\n1,NaN,3\n", `t.csv:2: field "cpu_millicores": not a number "NaN"`},
		{"negative", TraceHeader + "\n1,2,-3\n", `t.csv:2: field "memory_bytes": negative usage -3`},
		{"order", TraceHeader + "\n5,1,1\n5,1,1\n", `t.csv:3: field "timestamp": 5 is not after the previous row`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadTraceCSV(strings.NewReader(tt.in), "t.csv")
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestWriteReadTraceCSV(t *testing.T) {
	in := sampleTrace("x")
	var buf bytes.Buffer
	if err := WriteTraceCSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadTraceCSV(&buf, "x")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out.MemoryBytes, in.MemoryBytes) {
		t.Fatalf("got %v want %v", out.MemoryBytes, in.MemoryBytes)
	}
}

func TestLoadUnknownID(t *testing.T) {
	s := OpenStore(t.TempDir())
	_, err := s.Load("nope")
	if err == nil || !strings.Contains(err.Error(), `workload "nope" not found`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Load("../etc"); err == nil || !strings.Contains(err.Error(), "invalid workload id") {
		t.Fatalf("err = %v", err)
	}
}
