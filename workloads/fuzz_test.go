package workloads

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzImport writes the inputs to files named names in a folder of the fuzz
// worker and imports them: it must never panic, a failure must be one line,
// and a success must give valid traces.
func fuzzImport(t *testing.T, dir, format string, names []string, contents [][]byte, opts ImportOptions) {
	var paths []string
	for i, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, contents[i], 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	traces, err := Import(format, paths, opts)
	if err != nil {
		if strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("error is not one line: %q", err)
		}
		return
	}
	if len(traces) == 0 {
		t.Fatal("no error and no traces")
	}
	for _, tr := range traces {
		if err := tr.Validate(); err != nil {
			t.Fatalf("%s: invalid trace: %v", tr.ID, err)
		}
		if err := ValidateID(tr.ID); err != nil {
			t.Fatal(err)
		}
	}
}

func addFixture(f *testing.F, parts ...string) []byte {
	b, err := os.ReadFile(td(parts...))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func FuzzBitbrains(f *testing.F) {
	f.Add(addFixture(f, "bitbrains", "7.csv"))
	f.Add([]byte(bbHeader + "1;\t2;\t100;\tabc;\t10;\t5\n"))
	f.Add([]byte(bbHeader + "1;\t0;\t0;\t5;\t10;\t5\n"))
	f.Add([]byte(bbHeader + "1372629804000;\t2;\t100;\t1e3;\t10;\t5\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzImport(t, dir, FormatBitbrains, []string{"1.csv"}, [][]byte{data}, ImportOptions{})
	})
}

func FuzzJobs(f *testing.F) {
	f.Add(addFixture(f, "jobs", "vm_42_merged.csv"))
	f.Add([]byte("1,2\n"))
	f.Add([]byte("1 2 3\n\n4 5\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzImport(t, dir, FormatJobs, []string{"job.csv"}, [][]byte{data}, ImportOptions{})
	})
}

func FuzzAlibabaMachine(f *testing.F) {
	f.Add(addFixture(f, "alibaba", "machine_usage.csv"), addFixture(f, "alibaba", "machine_meta.csv"))
	f.Add([]byte("m_1,10,1,1,,,,,\nm_1,10,2,2,,,,,\n"), []byte("m_1,0,1,2,0,0,USING\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, usage, meta []byte) {
		fuzzImport(t, dir, FormatAlibabaMachine, []string{"machine_usage.csv", "machine_meta.csv"}, [][]byte{usage, meta}, ImportOptions{})
	})
}

func FuzzAlibabaContainer(f *testing.F) {
	f.Add(addFixture(f, "alibaba", "container_usage.csv"), addFixture(f, "alibaba", "container_meta.csv"))
	f.Add([]byte("c_9,m_1,1,50,20,,,,,,\n"), []byte("c_1,m_1,0,a,started,400,400,1.5\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, usage, meta []byte) {
		fuzzImport(t, dir, FormatAlibabaContainer, []string{"container_usage.csv", "container_meta.csv"}, [][]byte{usage, meta}, ImportOptions{Limit: 3})
	})
}

func FuzzAzure(f *testing.F) {
	f.Add(addFixture(f, "azure", "vm_cpu_readings-file-1-of-1.csv"), addFixture(f, "azure", "vmtable.csv"))
	f.Add(addFixture(f, "azure", "vm_cpu_readings-file-2-of-2.csv.gz"), []byte("vmA,s,d,0,1,1,1,1,c,>24,>64\n"))
	f.Add([]byte(truncatedGzip("0,vmA,1,2,3\n")), []byte(""))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, readings, vmtable []byte) {
		fuzzImport(t, dir, FormatAzure, []string{"vm_cpu_readings-file-1-of-1.csv", "vmtable.csv"}, [][]byte{readings, vmtable}, ImportOptions{})
	})
}

func FuzzGoogle2011(f *testing.F) {
	f.Add(addFixture(f, "google2011", "part-00000-of-00500.csv"))
	f.Add([]byte("600000000,900000000,1,0,5,NaN,0.1,,,,,,,,,,,,,\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzImport(t, dir, FormatGoogle2011, []string{"part-00000-of-00500.csv"}, [][]byte{data}, ImportOptions{})
	})
}

func FuzzGoogle2019(f *testing.F) {
	f.Add(addFixture(f, "google2019", "instance_usage-000000000000.json"))
	f.Add(addFixture(f, "google2019", "instance_usage-000000000001.json.gz"))
	f.Add([]byte(`{"start_time":"1","collection_id":"2","instance_index":"3","average_usage":{"cpus":"abc"}}` + "\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzImport(t, dir, FormatGoogle2019, []string{"instance_usage.json"}, [][]byte{data}, ImportOptions{})
	})
}

func FuzzCSV(f *testing.F) {
	f.Add(addFixture(f, "csv", "arabesque.csv"), ";", "ts", "rfc3339", "cpu", "cores", "mem", "mib", "container", false)
	f.Add(addFixture(f, "csv", "percent-noheader.csv"), ",", "none", "", "1", "percent", "2", "percent", "", true)
	f.Add([]byte(TraceHeader+"\n1,2,3\n"), "", "", "", "", "", "", "", "", false)
	f.Add([]byte("a,\"b\nc\",d\n1,2,3\n"), ",", "a", "offset", "b", "millicores", "d", "gib", "", false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, sep, timeCol, timeUnit, cpuCol, cpuUnit, memCol, memUnit, seriesCol string, noHeader bool) {
		m := CSVMapping{Separator: sep, NoHeader: noHeader, TimeColumn: timeCol, TimeUnit: timeUnit, CPUColumn: cpuCol,
			CPUUnit: cpuUnit, MemoryColumn: memCol, MemoryUnit: memUnit, SeriesColumn: seriesCol}
		fuzzImport(t, dir, FormatCSV, []string{"usage.csv"}, [][]byte{data}, ImportOptions{CSV: m, Limit: 5})
	})
}

func FuzzTraceCSV(f *testing.F) {
	f.Add([]byte(TraceHeader + "\n1767571200,100.5,1059423027.2\n1767571500,0,0\n"))
	f.Add([]byte(TraceHeader + "\n5,1,1\n5,1,1\n"))
	f.Add([]byte("\ufeff" + TraceHeader + "\r\n1,2,3\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadTraceCSV(strings.NewReader(string(data)), "trace.csv")
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if err := tr.Validate(); err != nil {
			t.Fatalf("accepted an invalid trace: %v", err)
		}
	})
}

func FuzzGeneratorConfig(f *testing.F) {
	for i, typ := range GeneratorTypes() {
		b, _ := DefaultConfig(typ)
		f.Add(uint8(i), b)
	}
	f.Add(uint8(0), []byte(`{"cpu": {"min": "1"}}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		types := GeneratorTypes()
		typ := types[int(which)%len(types)]
		cfg, err := ParseConfig(typ, data, "cfg.json")
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		tr, err := cfg.Generate(data, 1, 6*time.Hour, 5*time.Minute, time.Time{})
		if err != nil {
			return
		}
		if err := tr.Validate(); err != nil {
			t.Fatalf("generated an invalid trace: %v", err)
		}
	})
}

// FuzzParseMeta decodes arbitrary meta.json bytes: never a panic; a refusal
// is one line naming meta.json; an accepted one marshals and reads back.
func FuzzParseMeta(f *testing.F) {
	for _, p := range []string{"gen-step", "bitbrains-7"} {
		f.Add(addFixture(f, "meta", p+".json"))
	}
	f.Add([]byte(`{"id":"a","samples":"many"}`))
	f.Add([]byte(`{"interval":"soon"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMeta("meta.json", data)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") || !strings.HasPrefix(err.Error(), "meta.json") {
				t.Fatalf("error %q: want one line naming meta.json", err)
			}
			return
		}
		tr := &Trace{Meta: m}
		b, err := json.Marshal(tr.Meta)
		if err != nil {
			return // times beyond year 9999 do not marshal; Validate refuses such traces
		}
		if _, err := ParseMeta("again.json", b); err != nil {
			t.Fatalf("marshalled meta does not read back: %v\n%s", err, b)
		}
	})
}
