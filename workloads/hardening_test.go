package workloads

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestStepHoldsAtLeastTheInterval: a step config whose holds are shorter
// than the interval is refused (a hold of 1ns used to loop for ever).
func TestStepHoldsAtLeastTheInterval(t *testing.T) {
	tests := []struct {
		name, config string
		interval     time.Duration
		want         string
	}{
		{"1ns holds", `{"cpu": {"min": 1, "max": 2, "minHold": "1ns", "maxHold": "1ns"}, "memory": {"min": 1, "max": 2, "minHold": "1h", "maxHold": "2h"}}`, time.Minute,
			`step.json: field "cpu.minHold": must be at least the sample interval (1m0s), got 1ns: use a longer hold or a shorter --interval`},
		{"memory hold below interval", `{"cpu": {"min": 1, "max": 2, "minHold": "1h", "maxHold": "2h"}, "memory": {"min": 1, "max": 2, "minHold": "4m", "maxHold": "2h"}}`, 5 * time.Minute,
			`step.json: field "memory.minHold": must be at least the sample interval (5m0s), got 4m0s: use a longer hold or a shorter --interval`},
		{"hold equal to the interval", `{"cpu": {"min": 1, "max": 2, "minHold": "5m", "maxHold": "5m"}, "memory": {"min": 1, "max": 2, "minHold": "5m", "maxHold": "1h"}}`, 5 * time.Minute, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("step", []byte(tt.config), "step.json")
			if err != nil {
				t.Fatal(err)
			}
			_, err = cfg.Generate([]byte(tt.config), 1, 24*time.Hour, tt.interval, time.Time{})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v\nwant    %s", err, tt.want)
			}
		})
	}
}

// TestGoogle2011WholeTraceSpan: start_time is in microseconds and the trace
// spans 29 days (2.5e12 us); rows past 1e12 us (11.6 days) were refused.
func TestGoogle2011WholeTraceSpan(t *testing.T) {
	p := filepath.Join(t.TempDir(), "part-00499-of-00500.csv")
	rows := "600000000,900000000,1,0,5,0.1,0.1,,,,,,,,,,,,,\n" + "2506200000000,2506500000000,1,0,5,0.2,0.1,,,,,,,,,,,,,\n"
	if err := os.WriteFile(p, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Import(FormatGoogle2011, []string{p}, ImportOptions{Resample: NoResample})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Len() != 2 {
		t.Fatalf("got %d traces", len(got))
	}
	last := got[0].Times[1].Sub(DefaultStart)
	if want := 2506200 * time.Second; last != want {
		t.Fatalf("last sample at start + %s, want + %s", last, want)
	}
}

// cutGzip is the gzip of s cut right after s: a download that stopped there
// (the last row may be a piece of a row).
func cutGzip(t *testing.T, s string) string {
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	if _, err := gz.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := gz.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTruncatedGzipMidRow: a gzip cut in the middle of a row says the file
// is truncated, not that the row has too few fields.
func TestTruncatedGzipMidRow(t *testing.T) {
	row := "1;\t2;\t100;\t1;\t10;\t5\n"
	tests := []struct {
		name, format, file, content, want string
	}{
		{"bitbrains", FormatBitbrains, "1.csv.gz", bbHeader + row + row + "1;\t2;\t1", `DIR/1.csv.gz:4: truncated file (unexpected end of gzip data): the download is incomplete`},
		{"azure", FormatAzure, "r.csv.gz", "0,vmA,1,2,3\n0,vm", `DIR/r.csv.gz:2: truncated file (unexpected end of gzip data): the download is incomplete`},
		{"csv", FormatCSV, "u.csv.gz", TraceHeader + "\n1,2,3\n2,2", `DIR/u.csv.gz:3: truncated file (unexpected end of gzip data): the download is incomplete`},
		{"google2019", FormatGoogle2019, "u.json.gz", `{"start_time":"1","collection_id":"2","instance_index":"3","average_usage":{}}` + "\n" + `{"start_time":"1","coll`, `DIR/u.json.gz:2: truncated file (unexpected end of gzip data): the download is incomplete`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, tt.file)
			if err := os.WriteFile(p, []byte(cutGzip(t, tt.content)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Import(tt.format, []string{p}, ImportOptions{})
			want := strings.ReplaceAll(tt.want, "DIR", dir)
			if err == nil || err.Error() != want {
				t.Fatalf("error = %v\nwant    %s", err, want)
			}
		})
	}
}

// TestEveryFormatBoundsLines: a line longer than maxLine is refused by every
// format (csv read it whole: a 200 MB row took 1 GB).
func TestEveryFormatBoundsLines(t *testing.T) {
	long := strings.Repeat("1", maxLine+10)
	tests := []struct {
		format, file, content string
		line                  int
	}{
		{FormatCSV, "u.csv", TraceHeader + "\n1,2,3\n" + long + ",2,3\n", 3},
		{FormatCSV, "q.csv", TraceHeader + "\n1,2,\"" + long + "\"\n", 2},
		{FormatBitbrains, "1.csv", bbHeader + long + "\n", 2},
		{FormatJobs, "j.csv", long + " 1\n", 1},
		{FormatAzure, "r.csv", "0,vmA,1,2," + long + "\n", 1},
		{FormatGoogle2019, "u.json", long + "\n", 1},
		{FormatAlibabaMachine, "machine_usage.csv", "m_1,0,41,92,,,1,1," + long + "\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.file, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, tt.file)
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Import(tt.format, []string{p}, ImportOptions{})
			want := fmt.Sprintf("%s:%d: line longer than %d bytes: is this the right format?", p, tt.line, maxLine)
			if err == nil || err.Error() != want {
				t.Fatalf("error = %.300v\nwant    %s", err, want)
			}
		})
	}
}

// TestAbsurdUsageRefused: values that no machine has (1e300, 5000 %) are
// refused with the line and field, not imported (simulate then reported
// 1e298 core-hours).
func TestAbsurdUsageRefused(t *testing.T) {
	tests := []struct {
		name, format string
		files        []file
		want         string
	}{
		{"bitbrains 1e300", FormatBitbrains, []file{{"1.csv", bbHeader + "1;\t2;\t100;\t1e300;\t10;\t5\n"}}, `DIR/1.csv:2: field "CPU usage [MHZ]": gives 2e+301 millicores after unit conversion, more than 1e+09 (a million cores): check the column and its unit`},
		{"bitbrains memory 1e300", FormatBitbrains, []file{{"1.csv", bbHeader + "1;\t2;\t100;\t1;\t10;\t1e300\n"}}, `DIR/1.csv:2: field "Memory usage [KB]": gives 1.024e+303 bytes after unit conversion, more than 1.152921504606847e+18 (1 EiB): check the column and its unit`},
		{"azure 5000 %", FormatAzure, []file{{"r.csv", "0,vmA,1,2,5000\n"}}, `DIR/r.csv:1: field "avg_cpu": 5000 percent is more than twice the whole (at most 200): check the column and its unit`},
		{"alibaba container 1e300", FormatAlibabaContainer, []file{{"container_usage.csv", "c_1,m_1,0,1e300,20,,,,,,\n"}, {"container_meta.csv", "c_1,m_1,0,a,started,400,400,1.5\n"}}, `DIR/container_usage.csv:1: field "cpu_util_percent": gives 4e+301 millicores after unit conversion, more than 1e+09 (a million cores): check the column and its unit`},
		{"alibaba container memory 500 %", FormatAlibabaContainer, []file{{"container_usage.csv", "c_1,m_1,0,50,500,,,,,,\n"}, {"container_meta.csv", "c_1,m_1,0,a,started,400,400,1.5\n"}}, `DIR/container_usage.csv:1: field "mem_util_percent": 500 percent is more than twice the whole (at most 200): check the column and its unit`},
		{"alibaba machine 500 %", FormatAlibabaMachine, []file{{"machine_usage.csv", "m_1,0,500,92,,,1,1,1\n"}}, `DIR/machine_usage.csv:1: field "cpu_util_percent": 500 percent is more than twice the whole (at most 200): check the column and its unit`},
		{"jobs 5000 %", FormatJobs, []file{{"j.csv", "1 5000\n"}}, `DIR/j.csv:1: field "memory_percent": 5000 percent is more than twice the whole (at most 200): check the column and its unit`},
		{"csv 1e300", FormatCSV, []file{{"u.csv", TraceHeader + "\n1,1e300,3\n"}}, `DIR/u.csv:2: field "cpu_millicores": gives 1e+300 millicores after unit conversion, more than 1e+09 (a million cores): check the column and its unit`},
		{"csv infinite after conversion", FormatCSV, []file{{"u.csv", "t,cpu,mem\n1,2,1e300\n"}}, `DIR/u.csv:2: field "mem": gives +Inf bytes after unit conversion, more than 1.152921504606847e+18 (1 EiB): check the column and its unit`},
		{"google2019 1e300", FormatGoogle2019, []file{{"u.json", `{"start_time":"1","collection_id":"2","instance_index":"3","average_usage":{"cpus":1e300}}` + "\n"}}, `DIR/u.json:1: field "average_usage.cpus": gives 8e+303 millicores after unit conversion, more than 1e+09 (a million cores): check the column and its unit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for _, f := range tt.files {
				p := filepath.Join(dir, f.name)
				if err := os.WriteFile(p, []byte(f.content), 0o644); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, p)
			}
			opts := ImportOptions{}
			if tt.name == "csv infinite after conversion" {
				opts.CSV = CSVMapping{TimeColumn: "t", CPUColumn: "cpu", MemoryColumn: "mem", MemoryUnit: "gib"}
			}
			_, err := Import(tt.format, paths, opts)
			want := strings.ReplaceAll(tt.want, "DIR", dir)
			if err == nil || err.Error() != want {
				t.Fatalf("error = %v\nwant    %s", err, want)
			}
		})
	}
}

// TestDatesBeyondYear9999: a time beyond year 9999 is refused at its line
// (it failed late, marshalling meta.json).
func TestDatesBeyondYear9999(t *testing.T) {
	tests := []struct {
		name, format, file, content string
		opts                        ImportOptions
		want                        string
	}{
		{"csv unix beyond", FormatCSV, "u.csv", TraceHeader + "\n253402300800,2,3\n", ImportOptions{}, `DIR/u.csv:2: field "timestamp": time out of range "253402300800" for unit unix`},
		{"csv rfc3339 rounding", FormatCSV, "u.csv", TraceHeader + "\n9999-12-31T23:59:59.9Z,2,3\n", ImportOptions{CSV: CSVMapping{TimeUnit: "rfc3339"}}, `DIR/u.csv:2: field "timestamp": time 10000-01-01T00:00:00Z is after year 9999: "9999-12-31T23:59:59.9Z"`},
		{"bitbrains ms", FormatBitbrains, "1.csv", bbHeader + "999999999999999;\t2;\t100;\t1;\t10;\t5\n", ImportOptions{}, `DIR/1.csv:2: field "Timestamp [ms]": time 33658-09-27T01:46:40Z is after year 9999: 999999999999999`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, tt.file)
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Import(tt.format, []string{p}, tt.opts)
			want := strings.ReplaceAll(tt.want, "DIR", dir)
			if err == nil || err.Error() != want {
				t.Fatalf("error = %v\nwant    %s", err, want)
			}
		})
	}
}

// TestParseMetaNamesTheField: a wrong type in meta.json names the line and
// the JSON field (it said "Go struct field metaWire.metaJSON.samples").
func TestParseMetaNamesTheField(t *testing.T) {
	tests := []struct{ in, want string }{
		{"{\n  \"id\": \"a\",\n  \"samples\": \"many\"\n}", `meta.json:3: field "samples": want a int, got JSON string`},
		{`{"id": 7}`, `meta.json:1: field "id": want a string, got JSON number`},
		{`{"originalRequest": {"cpuMillicores": "x"}}`, `meta.json:1: field "originalRequest.cpuMillicores": want a float64, got JSON string`},
		{`{"interval": "soon"}`, `meta.json: field "interval": time: invalid duration "soon"`},
		{"{\n\"id\": ", `meta.json:2: invalid JSON: unexpected end of JSON input`},
	}
	for _, tt := range tests {
		_, err := ParseMeta("meta.json", []byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseMeta(%q) = %v\nwant %s", tt.in, err, tt.want)
		}
	}
}

// TestSaveRefusesToReplace: without Overwrite a save over an existing
// workload (even of another type) is refused and writes nothing.
func TestSaveRefusesToReplace(t *testing.T) {
	s := OpenStore(t.TempDir())
	a, err := Generate("step", nil, 1, time.Hour, time.Minute, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate("spikes", nil, 1, time.Hour, time.Minute, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	a.ID, b.ID = "w", "w"
	if _, err := s.Save(a); err != nil {
		t.Fatal(err)
	}
	_, err = s.SaveAll([]*Trace{b})
	want := "a step workload w already exists in " + s.Dir + ": workload exists"
	if err == nil || err.Error() != want || !errors.Is(err, ErrExists) {
		t.Fatalf("error = %v, want %s", err, want)
	}
	got, err := s.Load("w")
	if err != nil || got.Meta.Type != "step" {
		t.Fatalf("the step workload was touched: %+v %v", got, err)
	}
}

// TestStagingSweptAndInterrupted: a staging folder of a process that is
// gone, or older than a day, is removed at the next write; a write whose
// context is done leaves nothing.
func TestStagingSweptAndInterrupted(t *testing.T) {
	s := OpenStore(t.TempDir())
	dead := filepath.Join(s.Dir, ".staging-999999999-123")
	old := filepath.Join(s.Dir, ".staging-42")
	mine := filepath.Join(s.Dir, fmt.Sprintf(".staging-%d-7", os.Getpid()))
	young := filepath.Join(s.Dir, ".staging-43")
	for _, d := range []string{dead, old, mine, young} {
		if err := os.MkdirAll(filepath.Join(d, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	tr, err := Generate("step", nil, 1, time.Hour, time.Minute, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(tr); err != nil {
		t.Fatal(err)
	}
	firstID := tr.ID
	for d, want := range map[string]bool{dead: false, old: false, mine: true, young: true} {
		if _, err := os.Stat(d); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(d), err == nil, want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tr.ID = "other"
	_, err = s.SaveAllContext(ctx, []*Trace{tr})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(s.Dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{filepath.Base(young), filepath.Base(mine), firstID}
	sort.Strings(want)
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("store holds %v after an interrupted write, want %v", names, want)
	}
}
