package workloads

import (
	"bytes"
	"compress/gzip"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// want describes one expected trace of a fixture import.
type want struct {
	id      string
	secs    []int64 // seconds after DefaultStart, or Unix seconds when abs
	abs     bool
	cpu     []float64
	mem     []float64
	request *model.Resources
	conv    []string // substrings that must appear among the conversions
}

func checkTraces(t *testing.T, got []*Trace, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		ids := []string{}
		for _, g := range got {
			ids = append(ids, g.ID)
		}
		t.Fatalf("got %d traces %v, want %d", len(got), ids, len(wants))
	}
	for i, w := range wants {
		g := got[i]
		if g.ID != w.id || g.Meta.ID != w.id {
			t.Errorf("trace %d: id %q (meta %q), want %q", i, g.ID, g.Meta.ID, w.id)
		}
		var secs []int64
		for _, tm := range g.Times {
			if w.abs {
				secs = append(secs, tm.Unix())
			} else {
				secs = append(secs, int64(tm.Sub(DefaultStart)/time.Second))
			}
		}
		if !reflect.DeepEqual(secs, w.secs) {
			t.Errorf("%s: times %v, want %v", w.id, secs, w.secs)
		}
		for j := range w.cpu {
			if j >= g.Len() || !approx(g.CPUMillicores[j], w.cpu[j], 1e-9) && g.CPUMillicores[j] != w.cpu[j] {
				t.Errorf("%s: cpu %v, want %v", w.id, g.CPUMillicores, w.cpu)
				break
			}
		}
		for j := range w.mem {
			if j >= g.Len() || !approx(g.MemoryBytes[j], w.mem[j], 1e-12) && g.MemoryBytes[j] != w.mem[j] {
				t.Errorf("%s: memory %v, want %v", w.id, g.MemoryBytes, w.mem)
				break
			}
		}
		if !reflect.DeepEqual(g.Meta.OriginalRequest, w.request) {
			t.Errorf("%s: original request %+v, want %+v", w.id, g.Meta.OriginalRequest, w.request)
		}
		all := strings.Join(g.Meta.Conversions, "\n")
		for _, c := range w.conv {
			if !strings.Contains(all, c) {
				t.Errorf("%s: conversions lack %q:\n%s", w.id, c, all)
			}
		}
		if err := g.Validate(); err != nil {
			t.Errorf("%s: %v", w.id, err)
		}
	}
}

func td(parts ...string) string { return filepath.Join(append([]string{"testdata"}, parts...)...) }

func TestImportFixtures(t *testing.T) {
	const gi = model.GiB
	tests := []struct {
		name   string
		format string
		paths  []string
		opts   ImportOptions
		want   []want
	}{
		{"bitbrains", FormatBitbrains, []string{td("bitbrains", "7.csv")}, ImportOptions{}, []want{{
			id: "bitbrains-7", abs: true,
			secs:    []int64{1372629804, 1372630104, 1372630404, 1372630704},
			cpu:     []float64{30, 10, 0, 2000},
			mem:     []float64{1034592.8 * 1024, 458575.4666666667 * 1024, 0, 6.7108864e6 * 1024},
			request: &model.Resources{CPUMillicores: 2000, MemoryBytes: 8218624 * 1024},
			conv:    []string{`"CPU usage [MHZ]" / ("CPU capacity provisioned [MHZ]" / "CPU cores") * 1000`, `"Memory usage [KB]" * 1024`, "changes 1 time(s)", "1 rows with 0 cores"},
		}}},
		{"jobs", FormatJobs, []string{td("jobs", "vm_42_merged.csv")}, ImportOptions{}, []want{{
			id: "jobs-vm_42_merged", secs: []int64{0, 300, 600, 900},
			cpu:  []float64{6.763 / 100 * 8000, 7.288 / 100 * 8000, 8000, 0},
			mem:  []float64{5.103 / 100 * 32 * gi, 5.139 / 100 * 32 * gi, 16 * gi, 0},
			conv: []string{"8 cores", "32 GiB", "no timestamps"},
		}}},
		{"jobs custom machine and interval", FormatJobs, []string{td("jobs", "vm_42_merged.csv")},
			ImportOptions{MachineCores: 16, MachineMemoryBytes: 64 * gi, Interval: time.Minute, Limit: 1}, []want{{
				id: "jobs-vm_42_merged", secs: []int64{0, 60, 120, 180},
				cpu: []float64{6.763 / 100 * 16000}, mem: []float64{5.103 / 100 * 64 * gi},
				conv: []string{"16 cores", "64 GiB"},
			}}},
		{"alibaba machine", FormatAlibabaMachine, []string{td("alibaba", "machine_usage.csv"), td("alibaba", "machine_meta.csv")}, ImportOptions{Resample: NoResample}, []want{
			{id: "alibaba-m_1", secs: []int64{0, 10, 20, 30}, cpu: []float64{0.41 * 96000, 0.43 * 96000, 0.50 * 96000, 0.44 * 96000},
				mem:     []float64{0.92 * 512 * gi, 0.92 * 512 * gi, 0.90 * 512 * gi, 0.93 * 512 * gi},
				request: &model.Resources{CPUMillicores: 96000, MemoryBytes: 512 * gi}, conv: []string{"96 cores (machine_meta cpu_num)", "sorted by time", "originalRequest = the machine's size"}},
			{id: "alibaba-m_2", secs: []int64{10, 20}, cpu: []float64{0.10 * 64000, 0.12 * 64000},
				mem:     []float64{0.5 * 0.5 * 512 * gi, 0.51 * 0.5 * 512 * gi},
				request: &model.Resources{CPUMillicores: 64000, MemoryBytes: 256 * gi}, conv: []string{"64 cores", "0.5 (mem_size / 100)"}},
		}},
		{"alibaba machine resampled by default", FormatAlibabaMachine, []string{td("alibaba", "machine_usage.csv"), td("alibaba", "machine_meta.csv")}, ImportOptions{}, []want{
			{id: "alibaba-m_1", secs: []int64{0}, cpu: []float64{(0.41 + 0.43 + 0.50 + 0.44) / 4 * 96000}, mem: []float64{0.93 * 512 * gi},
				request: &model.Resources{CPUMillicores: 96000, MemoryBytes: 512 * gi}, conv: []string{"resampled to 5m0s buckets", "4 rows became 1 samples"}},
			{id: "alibaba-m_2", secs: []int64{0}, cpu: []float64{(0.10 + 0.12) / 2 * 64000}, mem: []float64{0.51 * 0.5 * 512 * gi},
				request: &model.Resources{CPUMillicores: 64000, MemoryBytes: 256 * gi}},
		}},
		{"alibaba machine without meta, limit 1", FormatAlibabaMachine, []string{td("alibaba", "machine_usage.csv")}, ImportOptions{Limit: 1, Resample: NoResample}, []want{
			{id: "alibaba-m_1", secs: []int64{0, 10, 20, 30}, cpu: []float64{0.41 * 96000}, request: &model.Resources{CPUMillicores: 96000, MemoryBytes: 512 * gi}, conv: []string{"assumed, no machine_meta row"}},
		}},
		{"alibaba container", FormatAlibabaContainer, []string{td("alibaba", "container_usage.csv"), td("alibaba", "container_meta.csv")}, ImportOptions{Resample: NoResample}, []want{
			{id: "alibaba-c_1", secs: []int64{100, 110, 120}, cpu: []float64{2000, 1000, 4000},
				mem:     []float64{0.20 * 0.0156 * 512 * gi, 0.21 * 0.0156 * 512 * gi, 0.22 * 0.0156 * 512 * gi},
				request: &model.Resources{CPUMillicores: 4000, MemoryBytes: math.Round(0.0156 * 512 * gi)}, conv: []string{"cpu_request (400) * 10"}},
			{id: "alibaba-c_2", secs: []int64{100, 110}, cpu: []float64{1000, 750},
				request: &model.Resources{CPUMillicores: 500, MemoryBytes: math.Round(0.0078 * 512 * gi)}},
		}},
		{"azure csv", FormatAzure, []string{td("azure", "vm_cpu_readings-file-1-of-1.csv"), td("azure", "vmtable.csv")}, ImportOptions{}, []want{
			{id: "azure-vmA", secs: []int64{0, 300, 600}, cpu: []float64{1000, 1200, 500}, mem: []float64{0, 0, 0},
				request: &model.Resources{CPUMillicores: 4000, MemoryBytes: 8 * gi}, conv: []string{"4 cores (vmtable", "no memory usage"}},
			{id: "azure-vmB", secs: []int64{0, 300}, cpu: []float64{240, 216},
				request: &model.Resources{CPUMillicores: 24000, MemoryBytes: 64 * gi}, conv: []string{`">24" taken as its lower bound 24`, `">64" taken as its lower bound 64`}},
			{id: "azure-vmC", secs: []int64{600}, cpu: []float64{120}, conv: []string{"8 cores (assumed, no vmtable row)"}},
		}},
		{"azure gzip with --meta", FormatAzure, []string{td("azure", "vm_cpu_readings-file-2-of-2.csv.gz")}, ImportOptions{MetaPaths: []string{td("azure", "vmtable.csv")}, Limit: 1}, []want{
			{id: "azure-vmA", secs: []int64{0, 300, 600}, cpu: []float64{1000, 1200, 500}, request: &model.Resources{CPUMillicores: 4000, MemoryBytes: 8 * gi}},
		}},
		{"google2011", FormatGoogle2011, []string{td("google2011", "part-00000-of-00500.csv")}, ImportOptions{}, []want{
			{id: "google2011-3418309-0", secs: []int64{600, 900, 1200}, cpu: []float64{12.496, 16, 20}, mem: []float64{0.06787 * 32 * gi, 0.07 * 32 * gi, 0.071 * 32 * gi},
				conv: []string{"cpu_rate (normalised cores) * 8 cores"}},
			{id: "google2011-3418309-1", secs: []int64{600}, cpu: []float64{12.544}},
		}},
		{"google2019", FormatGoogle2019, []string{td("google2019", "instance_usage-000000000000.json")}, ImportOptions{}, []want{
			{id: "google2019-280951690591-3", secs: []int64{300, 600}, cpu: []float64{98.4, 160}, mem: []float64{0.0061 * 32 * gi, 0.0062 * 32 * gi}},
			{id: "google2019-280951690592-0", secs: []int64{600}, cpu: []float64{0}, mem: []float64{0.1 * 32 * gi}, conv: []string{"missing average_usage.cpus or .memory is 0"}},
		}},
		{"google2019 gzip", FormatGoogle2019, []string{td("google2019", "instance_usage-000000000001.json.gz")}, ImportOptions{Limit: 1}, []want{
			{id: "google2019-280951690591-3", secs: []int64{300, 600}, cpu: []float64{98.4, 160}},
		}},
		{"csv mapped (arabesque)", FormatCSV, []string{td("csv", "arabesque.csv")}, ImportOptions{CSV: CSVMapping{
			Separator: ";", TimeColumn: "ts", TimeUnit: "rfc3339", CPUColumn: "cpu", CPUUnit: "cores",
			MemoryColumn: "mem", MemoryUnit: "mib", SeriesColumn: "container"}}, []want{
			{id: "csv-web", secs: []int64{0, 60}, cpu: []float64{250, 500}, mem: []float64{512 * model.MiB, 640 * model.MiB}, conv: []string{`column "cpu" (cores) * 1000`}},
			{id: "csv-db", secs: []int64{0, 60}, cpu: []float64{1500, 1250}, mem: []float64{2048 * model.MiB, 2050.5 * model.MiB}},
		}},
		{"csv percent without header or time", FormatCSV, []string{td("csv", "percent-noheader.csv")}, ImportOptions{CSV: CSVMapping{
			NoHeader: true, TimeColumn: "none", CPUColumn: "1", CPUUnit: "percent", MemoryColumn: "2", MemoryUnit: "percent"}}, []want{
			{id: "csv-percent-noheader", secs: []int64{0, 300}, cpu: []float64{1000, 2000}, mem: []float64{16 * gi, 8 * gi}, conv: []string{"percent of a machine", "no time column"}},
		}},
		{"csv reads the store's own trace.csv", FormatCSV, []string{td("csv", "trace.csv")}, ImportOptions{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil { // round trip: write a trace.csv and read it back as csv
				src := sampleTrace("x")
				var buf bytes.Buffer
				if err := WriteTraceCSV(&buf, src); err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(t.TempDir(), "trace.csv")
				if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				got, err := Import(tt.format, []string{p}, tt.opts)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got[0].MemoryBytes, src.MemoryBytes) || !reflect.DeepEqual(got[0].Times, src.Times) {
					t.Fatalf("csv import of trace.csv differs: %+v", got[0])
				}
				return
			}
			got, err := Import(tt.format, tt.paths, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkTraces(t, got, tt.want)
			for _, g := range got {
				if g.Meta.Source != "import" || g.Meta.Type != tt.format || len(g.Meta.Files) == 0 || g.Meta.Interval <= 0 {
					t.Errorf("%s: meta %+v", g.ID, g.Meta)
				}
			}
		})
	}
}

type file struct{ name, content string }

func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	// Writes to a bytes.Buffer do not fail.
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.String()
}

func truncatedGzip(s string) string {
	g := gzipped(s)
	return g[:len(g)-12]
}

const bbHeader = "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\tMemory capacity provisioned [KB];\tMemory usage [KB]\n"

func TestImportBadInput(t *testing.T) {
	tests := []struct {
		name   string
		format string
		files  []file
		opts   ImportOptions
		want   string // the whole error, with DIR for the temp folder
	}{
		{"unknown format", "nope", []file{{"a.csv", "x"}}, ImportOptions{}, `unknown format "nope": use one of alibaba-container, alibaba-machine, azure, google2011, google2019, bitbrains, jobs, csv`},
		{"bitbrains not a number", FormatBitbrains, []file{{"1.csv", bbHeader + "1;\t2;\t100;\tabc;\t10;\t5\n"}}, ImportOptions{}, `DIR/1.csv:2: field "CPU usage [MHZ]": not a number "abc"`},
		{"bitbrains negative", FormatBitbrains, []file{{"1.csv", bbHeader + "1;\t2;\t100;\t1;\t10;\t-5\n"}}, ImportOptions{}, `DIR/1.csv:2: field "Memory usage [KB]": negative usage -5`},
		{"bitbrains NaN", FormatBitbrains, []file{{"1.csv", bbHeader + "1;\t2;\t100;\tNaN;\t10;\t5\n"}}, ImportOptions{}, `DIR/1.csv:2: field "CPU usage [MHZ]": not a number "NaN"`},
		{"bitbrains missing column", FormatBitbrains, []file{{"1.csv", "Timestamp [ms];\tCPU cores;\tCPU usage [MHZ]\n1;2;3\n"}}, ImportOptions{}, `DIR/1.csv:1: field "CPU capacity provisioned [MHZ]": missing column in the header`},
		{"bitbrains short row", FormatBitbrains, []file{{"1.csv", bbHeader + "1;\t2;\t100\n"}}, ImportOptions{}, `DIR/1.csv:2: want 6 fields like the header, got 3`},
		{"bitbrains wrong separator", FormatBitbrains, []file{{"1.csv", strings.ReplaceAll(bbHeader, ";", ",")}}, ImportOptions{}, `DIR/1.csv:1: no ';' separator in the header "Timestamp [ms],\tCPU cores,\tCPU capacity ...": want the Bitbrains header "Timestamp [ms];\tCPU cores;..."`},
		{"bitbrains empty", FormatBitbrains, []file{{"1.csv", ""}}, ImportOptions{}, `DIR/1.csv: empty file`},
		{"bitbrains header only", FormatBitbrains, []file{{"1.csv", bbHeader}}, ImportOptions{}, `DIR/1.csv: no rows after the header`},
		{"bitbrains truncated gzip", FormatBitbrains, []file{{"1.csv.gz", truncatedGzip(bbHeader + strings.Repeat("1;\t2;\t100;\t1;\t10;\t5\n", 3))}}, ImportOptions{}, `DIR/1.csv.gz:5: truncated file (unexpected end of gzip data): the download is incomplete`},
		{"bitbrains usage without capacity", FormatBitbrains, []file{{"1.csv", bbHeader + "1;\t0;\t0;\t5;\t10;\t5\n"}}, ImportOptions{}, `DIR/1.csv:2: field "CPU capacity provisioned [MHZ]": is 0 while "CPU usage [MHZ]" is 5: cannot convert MHz to millicores`},
		{"jobs wrong separator", FormatJobs, []file{{"j.csv", "1.0,2.0\n"}}, ImportOptions{}, `DIR/j.csv:1: wrong separator in "1.0,2.0": want two space-separated columns, cpu% and memory%`},
		{"jobs missing column", FormatJobs, []file{{"j.csv", "1 2\n3\n"}}, ImportOptions{}, `DIR/j.csv:2: field "memory_percent": missing column: want two space-separated columns, cpu% and memory%`},
		{"jobs negative", FormatJobs, []file{{"j.csv", "-1 2\n"}}, ImportOptions{}, `DIR/j.csv:1: field "cpu_percent": negative usage -1`},
		{"jobs inf", FormatJobs, []file{{"j.csv", "1 +Inf\n"}}, ImportOptions{}, `DIR/j.csv:1: field "memory_percent": infinite value "+Inf"`},
		{"jobs empty", FormatJobs, []file{{"j.csv", ""}}, ImportOptions{}, `DIR/j.csv: empty file`},
		{"alibaba machine missing column", FormatAlibabaMachine, []file{{"machine_usage.csv", "m_1,0,41\n"}}, ImportOptions{}, `DIR/machine_usage.csv:1: field "mem_util_percent": missing column: want 9 comma-separated fields, got 3`},
		{"alibaba machine empty usage", FormatAlibabaMachine, []file{{"machine_usage.csv", "m_1,0,,92,,,1,1,1\n"}}, ImportOptions{}, `DIR/machine_usage.csv:1: field "cpu_util_percent": empty value`},
		{"alibaba machine wrong separator", FormatAlibabaMachine, []file{{"machine_usage.csv", "m_1;0;41;92;;;1;1;1\n"}}, ImportOptions{}, `DIR/machine_usage.csv:1: no ',' separator in "m_1;0;41;92;;;1;1;1": want 9 comma-separated fields (machine_id, ...)`},
		{"alibaba machine bad meta", FormatAlibabaMachine, []file{{"machine_usage.csv", "m_1,0,41,92,,,1,1,1\n"}, {"machine_meta.csv", "m_1,0,1,2,x,100,USING\n"}}, ImportOptions{}, `DIR/machine_meta.csv:1: field "cpu_num": not a number "x"`},
		{"alibaba container without meta", FormatAlibabaContainer, []file{{"container_usage.csv", "c_1,m_1,1,50,20,,,,,,\n"}}, ImportOptions{}, `alibaba-container needs container_meta.csv for each container's cpu_request and mem_size: pass it among the paths or with --meta`},
		{"alibaba container unknown container", FormatAlibabaContainer, []file{{"container_usage.csv", "c_9,m_1,1,50,20,,,,,,\n"}, {"container_meta.csv", "c_1,m_1,0,a,started,400,400,1.5\n"}}, ImportOptions{}, `DIR/container_usage.csv:1: field "container_id": container "c_9" has no row in container_meta.csv: pass the matching container_meta.csv`},
		{"alibaba container negative time", FormatAlibabaContainer, []file{{"container_usage.csv", "c_1,m_1,-1,50,20,,,,,,\n"}, {"container_meta.csv", "c_1,m_1,0,a,started,400,400,1.5\n"}}, ImportOptions{}, `DIR/container_usage.csv:1: field "time_stamp": not seconds from the trace start (0 to 3153600000, 100 years): -1`},
		{"google2011 start beyond a century", FormatGoogle2011, []file{{"t.csv", "3153600000000001,900000000,1,0,5,0.1,0.1,,,,,,,,,,,,,\n"}}, ImportOptions{}, `DIR/t.csv:1: field "start_time": not microseconds from the trace start (0 to 3153600000000000, 100 years): 3153600000000001`},
		{"google2019 start beyond a century", FormatGoogle2019, []file{{"u.json", `{"start_time":"1e18","collection_id":"2","instance_index":"3","average_usage":{}}` + "\n"}}, ImportOptions{}, `DIR/u.json:1: field "start_time": not microseconds from the trace start (0 to 3153600000000000, 100 years): 1e18`},
		{"azure not a number", FormatAzure, []file{{"r.csv", "0,vmA,1,2,x\n"}}, ImportOptions{}, `DIR/r.csv:1: field "avg_cpu": not a number "x"`},
		{"azure truncated gzip", FormatAzure, []file{{"r.csv.gz", truncatedGzip(strings.Repeat("0,vmA,1,2,3\n", 2))}}, ImportOptions{}, `DIR/r.csv.gz:3: truncated file (unexpected end of gzip data): the download is incomplete`},
		{"azure bad bucket", FormatAzure, []file{{"r.csv", "0,vmA,1,2,3\n"}, {"vmtable.csv", "vmA,s,d,0,1,1,1,1,c,big,8\n"}}, ImportOptions{}, `DIR/vmtable.csv:1: field "vmcorecountbucket": not a size bucket "big": want a number such as "4" or ">24"`},
		{"azure only meta", FormatAzure, []file{{"vmtable.csv", "vmA,s,d,0,1,1,1,1,c,4,8\n"}}, ImportOptions{}, `no usage file among the paths: give at least one azure usage file`},
		{"google2011 missing column", FormatGoogle2011, []file{{"t.csv", "600000000,900000000,1,0,5,0.1\n"}}, ImportOptions{}, `DIR/t.csv:1: field "canonical_memory_usage": missing column: want 20 comma-separated fields, got 6`},
		{"google2011 NaN", FormatGoogle2011, []file{{"t.csv", "600000000,900000000,1,0,5,NaN,0.1,,,,,,,,,,,,,\n"}}, ImportOptions{}, `DIR/t.csv:1: field "cpu_rate": not a number "NaN"`},
		{"google2011 wrong separator", FormatGoogle2011, []file{{"t.csv", "600000000 900000000 1 0\n"}}, ImportOptions{}, `DIR/t.csv:1: no ',' separator in "600000000 900000000 1 0": want 20 comma-separated task_usage fields`},
		{"google2019 not json", FormatGoogle2019, []file{{"u.json", "start_time,end_time\n"}}, ImportOptions{}, `DIR/u.json:1: not a JSON object: "start_time,end_time" (want one instance_usage record per line)`},
		{"google2019 bad number", FormatGoogle2019, []file{{"u.json", `{"start_time":"1","collection_id":"2","instance_index":"3","average_usage":{"cpus":"abc"}}` + "\n"}}, ImportOptions{}, `DIR/u.json:1: field "average_usage.cpus": not a number "abc"`},
		{"google2019 missing usage", FormatGoogle2019, []file{{"u.json", `{"start_time":"1","collection_id":"2","instance_index":"3"}` + "\n"}}, ImportOptions{}, `DIR/u.json:1: field "average_usage": missing`},
		{"google2019 missing start", FormatGoogle2019, []file{{"u.json", `{"collection_id":"2","instance_index":"3","average_usage":{}}` + "\n"}}, ImportOptions{}, `DIR/u.json:1: field "start_time": missing`},
		{"google2019 negative", FormatGoogle2019, []file{{"u.json", `{"start_time":"1","collection_id":"2","instance_index":"3","average_usage":{"memory":-0.5}}` + "\n"}}, ImportOptions{}, `DIR/u.json:1: field "average_usage.memory": negative usage -0.5`},
		{"google2019 truncated gzip", FormatGoogle2019, []file{{"u.json.gz", truncatedGzip(strings.Repeat(`{"start_time":"1","collection_id":"2","instance_index":"3","average_usage":{}}`+"\n", 2))}}, ImportOptions{}, `DIR/u.json.gz:3: truncated file (unexpected end of gzip data): the download is incomplete`},
		{"google2019 bad json", FormatGoogle2019, []file{{"u.json", `{"start_time":"1",` + "\n"}}, ImportOptions{}, `DIR/u.json:1: invalid JSON: unexpected end of JSON input`},
		{"csv missing column", FormatCSV, []file{{"u.csv", "timestamp,cpu\n1,2\n"}}, ImportOptions{}, `DIR/u.csv:1: field "cpu_millicores": missing column in the header "timestamp,cpu" (is the separator right?)`},
		{"csv wrong separator", FormatCSV, []file{{"u.csv", TraceHeader + "\n"}}, ImportOptions{CSV: CSVMapping{Separator: ";"}}, `DIR/u.csv:1: field "timestamp": missing column in the header "timestamp,cpu_millicores,memory_bytes" (is the separator right?)`},
		{"csv negative", FormatCSV, []file{{"u.csv", TraceHeader + "\n1,2,3\n2,-2,3\n"}}, ImportOptions{}, `DIR/u.csv:3: field "cpu_millicores": negative usage -2`},
		{"csv short row", FormatCSV, []file{{"u.csv", TraceHeader + "\n1,2\n"}}, ImportOptions{}, `DIR/u.csv:2: field "memory_bytes": missing column: the row has 2 fields`},
		{"csv bad time", FormatCSV, []file{{"u.csv", TraceHeader + "\nyesterday,2,3\n"}}, ImportOptions{}, `DIR/u.csv:2: field "timestamp": not a number "yesterday"`},
		{"csv bad rfc3339", FormatCSV, []file{{"u.csv", TraceHeader + "\nyesterday,2,3\n"}}, ImportOptions{CSV: CSVMapping{TimeUnit: "rfc3339"}}, `DIR/u.csv:2: field "timestamp": not an RFC 3339 time "yesterday"`},
		{"csv empty", FormatCSV, []file{{"u.csv", ""}}, ImportOptions{}, `DIR/u.csv: empty file`},
		{"csv header only", FormatCSV, []file{{"u.csv", TraceHeader + "\n"}}, ImportOptions{}, `DIR/u.csv: no rows after the header`},
		{"csv unknown unit", FormatCSV, []file{{"u.csv", TraceHeader + "\n"}}, ImportOptions{CSV: CSVMapping{MemoryUnit: "pages"}}, `unknown memory unit "pages": use one of bytes, kb, mb, gb, kib, mib, gib, percent`},
		{"csv truncated gzip", FormatCSV, []file{{"u.csv.gz", truncatedGzip(TraceHeader + "\n" + strings.Repeat("1,2,3\n", 2))}}, ImportOptions{}, `DIR/u.csv.gz:4: truncated file (unexpected end of gzip data): the download is incomplete`},
		{"bad interval", FormatJobs, []file{{"j.csv", "1 2\n"}}, ImportOptions{Interval: 1500 * time.Millisecond}, `invalid interval 1.5s: use a whole number of seconds, at least 1s`},
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
			got, err := Import(tt.format, paths, tt.opts)
			if err == nil {
				t.Fatalf("no error; got %d traces", len(got))
			}
			want := strings.ReplaceAll(tt.want, "DIR", dir)
			if err.Error() != want {
				t.Fatalf("error:\n got %s\nwant %s", err, want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestImportDuplicateTimestamps(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "machine_usage.csv")
	if err := os.WriteFile(p, []byte("m_1,10,1,1,,,,,\nm_1,10,2,2,,,,,\nm_1,5,3,3,,,,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Import(FormatAlibabaMachine, []string{p}, ImportOptions{Resample: NoResample})
	if err != nil {
		t.Fatal(err)
	}
	checkTraces(t, got, []want{{id: "alibaba-m_1", request: &model.Resources{CPUMillicores: 96000, MemoryBytes: 512 * model.GiB}, secs: []int64{5, 10}, cpu: []float64{3 * 960, 2 * 960},
		conv: []string{"sorted by time", "1 rows shared a timestamp"}}})
}

func TestUniqueIDs(t *testing.T) {
	got, err := Import(FormatJobs, []string{td("jobs", "vm_42_merged.csv"), td("jobs", "vm_42_merged.csv")}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ID != "jobs-vm_42_merged" || got[1].ID != "jobs-vm_42_merged-2" {
		t.Fatalf("ids %s, %s", got[0].ID, got[1].ID)
	}
}

func TestProgressCountsAllBytes(t *testing.T) {
	var n int64
	p := td("azure", "vm_cpu_readings-file-2-of-2.csv.gz")
	if _, err := Import(FormatAzure, []string{p}, ImportOptions{Progress: func(k int64) { n += k }}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if n != st.Size() {
		t.Fatalf("progress saw %d bytes, file has %d", n, st.Size())
	}
}
