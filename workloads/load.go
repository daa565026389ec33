package workloads

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// Import formats.
const (
	FormatAlibabaContainer = "alibaba-container"
	FormatAlibabaMachine   = "alibaba-machine"
	FormatAzure            = "azure"
	FormatGoogle2011       = "google2011"
	FormatGoogle2019       = "google2019"
	FormatBitbrains        = "bitbrains"
	FormatJobs             = "jobs"
	FormatCSV              = "csv"
)

// Formats lists the import formats in the order the help shows them.
var Formats = []string{FormatAlibabaContainer, FormatAlibabaMachine, FormatAzure, FormatGoogle2011,
	FormatGoogle2019, FormatBitbrains, FormatJobs, FormatCSV}

// Assumed machine sizes for formats whose usage is a share of a machine and
// whose files do not say how big the machine is. ImportOptions overrides them.
const (
	// Google 2011/2019 and the job files normalise usage to a machine; we
	// assume 8 cores and 32 GiB.
	DefaultNormalisedCores = 8.0
	DefaultNormalisedBytes = 32 * model.GiB
	// Alibaba 2018 machines have 96 cores (machine_meta cpu_num); memory is
	// normalised to 100 and we assume 512 GiB for a whole machine.
	DefaultAlibabaCores = 96.0
	DefaultAlibabaBytes = 512 * model.GiB
	// Azure VMs without a vmtable row are assumed to have 8 cores.
	DefaultAzureCores = 8.0
	// DefaultSampleInterval spaces the rows of formats without timestamps
	// (the job files, CSV without a time column).
	DefaultSampleInterval = 5 * time.Minute
)

// ImportOptions tunes Import. The zero value uses every default.
type ImportOptions struct {
	// Limit is the most series to import, in order of first appearance; 0
	// means all. Rows of other series are read and dropped, not kept.
	Limit int
	// Start is the time that relative timestamps count from (Alibaba, Azure,
	// Google: seconds or microseconds from the trace start) and the time of the
	// first row for formats without timestamps. Zero means DefaultStart.
	Start time.Time
	// Interval spaces rows of formats without timestamps; 0 means
	// DefaultSampleInterval.
	Interval time.Duration
	// MachineCores and MachineMemoryBytes override the assumed machine size
	// for percentage formats; 0 means the format's default.
	MachineCores       float64
	MachineMemoryBytes float64
	// MetaPaths are extra metadata files (container_meta.csv,
	// machine_meta.csv, vmtable.csv). Such files given among the paths are
	// recognised by name too.
	MetaPaths []string
	// Resample is the width of the buckets rows are resampled to (one
	// sample per bucket: CPU mean, memory max; see Trace.Resample); 0 means
	// the format's default (DefaultResample), NoResample keeps the rows.
	Resample time.Duration
	// CSV maps the columns of the generic csv format.
	CSV CSVMapping
	// Progress, when set, is called with the number of input bytes read since
	// the previous call.
	Progress func(n int64)
}

func (o *ImportOptions) start() time.Time {
	if o.Start.IsZero() {
		return DefaultStart
	}
	return o.Start.UTC()
}

func (o *ImportOptions) interval() time.Duration {
	if o.Interval <= 0 {
		return DefaultSampleInterval
	}
	return o.Interval
}

func (o *ImportOptions) cores(def float64) float64 {
	if o.MachineCores > 0 {
		return o.MachineCores
	}
	return def
}

func (o *ImportOptions) memory(def float64) float64 {
	if o.MachineMemoryBytes > 0 {
		return o.MachineMemoryBytes
	}
	return def
}

// IsMetaFile reports whether path names a metadata file of format (by its
// base name), rather than a usage file.
func IsMetaFile(format, path string) bool {
	base := strings.ToLower(filepath.Base(path))
	switch format {
	case FormatAlibabaContainer:
		return strings.HasPrefix(base, "container_meta")
	case FormatAlibabaMachine:
		return strings.HasPrefix(base, "machine_meta")
	case FormatAzure:
		return strings.HasPrefix(base, "vmtable")
	}
	return false
}

// Import reads the usage files paths in format and returns one validated Trace
// per series, in order of first appearance, with ids derived from the series
// (unique within the result). It reads everything before returning, so a bad
// row anywhere fails the whole import; errors name file, line and field.
func Import(format string, paths []string, opts ImportOptions) ([]*Trace, error) {
	var usage, meta []string
	meta = append(meta, opts.MetaPaths...)
	for _, p := range paths {
		if IsMetaFile(format, p) {
			meta = append(meta, p)
		} else {
			usage = append(usage, p)
		}
	}
	if opts.Interval != 0 && (opts.Interval < time.Second || opts.Interval%time.Second != 0) {
		return nil, fmt.Errorf("invalid interval %s: use a whole number of seconds, at least 1s", opts.Interval)
	}
	width, err := opts.resampleWidth(format)
	if err != nil {
		return nil, err
	}
	if len(usage) == 0 {
		return nil, fmt.Errorf("no usage file among the paths: give at least one %s usage file", format)
	}
	var traces []*Trace
	switch format {
	case FormatBitbrains:
		traces, err = importPerFile(usage, &opts, readBitbrains)
	case FormatJobs:
		traces, err = importPerFile(usage, &opts, readJobs)
	case FormatAlibabaMachine:
		traces, err = importAlibabaMachine(usage, meta, &opts)
	case FormatAlibabaContainer:
		traces, err = importAlibabaContainer(usage, meta, &opts)
	case FormatAzure:
		traces, err = importAzure(usage, meta, &opts)
	case FormatGoogle2011:
		traces, err = importGoogle2011(usage, &opts)
	case FormatGoogle2019:
		traces, err = importGoogle2019(usage, &opts)
	case FormatCSV:
		traces, err = importCSV(usage, &opts)
	default:
		return nil, fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return nil, err
	}
	if len(traces) == 0 {
		return nil, fmt.Errorf("%s: no usage rows found", strings.Join(usage, ", "))
	}
	uniqueIDs(traces)
	for _, t := range traces {
		t.Meta.Source = "import"
		t.Meta.Type = format
		t.Resample(width)
		if t.Meta.Interval == 0 && t.Len() < 2 {
			t.Meta.Interval = nominalInterval(format, &opts)
		}
		t.finish()
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("%s: series %q: %w", strings.Join(t.Meta.Files, ","), t.Meta.Series, err)
		}
	}
	return traces, nil
}

// nominalInterval is the sampling interval a format documents, used for
// series with a single sample.
func nominalInterval(format string, opts *ImportOptions) time.Duration {
	switch format {
	case FormatAlibabaMachine, FormatAlibabaContainer:
		return 10 * time.Second
	case FormatJobs, FormatCSV:
		return opts.interval()
	}
	return 5 * time.Minute
}

// uniqueIDs makes ids unique by appending -2, -3, ... to later duplicates.
func uniqueIDs(traces []*Trace) {
	seen := map[string]bool{}
	for _, t := range traces {
		id := t.ID
		for n := 2; seen[id]; n++ {
			id = fmt.Sprintf("%s-%d", t.ID, n)
		}
		t.ID = id
		seen[id] = true
	}
}

// fileReader reads one input file, decompressing gzip (recognised by its magic
// bytes) and reporting progress.
type fileReader struct {
	f  *os.File
	gz *gzip.Reader
	r  io.Reader
}

type progressReader struct {
	r  io.Reader
	fn func(int64)
}

func (p progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.fn(int64(n))
	}
	return n, err
}

func openInput(path string, progress func(int64)) (*fileReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	var r io.Reader = f
	if progress != nil {
		r = progressReader{f, progress}
	}
	br := bufio.NewReaderSize(r, 256<<10)
	fr := &fileReader{f: f, r: br}
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			_ = f.Close() // only read; the gzip error is the one to report
			return nil, &InputError{File: path, Msg: "bad gzip header: " + err.Error()}
		}
		fr.gz, fr.r = gz, gz
	}
	fr.r = &lineLimitReader{r: fr.r}
	return fr, nil
}

func (fr *fileReader) Close() error {
	if fr.gz != nil {
		_ = fr.gz.Close() // reading: a truncated stream already failed the read
	}
	return fr.f.Close()
}

// scanErr turns a read error after line into an InputError.
func scanErr(path string, line int, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "truncated file (unexpected end of gzip data): the download is incomplete"
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		msg = "corrupt gzip data: " + msg
	case errors.Is(err, bufio.ErrTooLong):
		msg = fmt.Sprintf("line longer than %d bytes: is this the right format?", maxLine)
	}
	return &InputError{File: path, Line: line + 1, Msg: msg}
}

// eachLine calls fn for every line of path (1-based line numbers, "\r"
// trimmed). An empty file is an error.
func eachLine(path string, opts *ImportOptions, fn func(line int, text string) error) error {
	fr, err := openInput(path, opts.Progress)
	if err != nil {
		return err
	}
	defer fr.Close() //nolint:errcheck // only read: closing it reports nothing to act on
	return eachLineReader(fr.r, path, fn)
}

func eachLineReader(r io.Reader, path string, fn func(line int, text string) error) error {
	rec := &errRecorder{r: r}
	sc := newLineScanner(rec)
	// A last line without '\n' after a read error (a truncated gzip) is a
	// piece of a line: the error is reported, not the piece's fields.
	unterminated := false
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		unterminated = atEOF && len(data) > 0 && bytes.IndexByte(data, '\n') < 0
		return bufio.ScanLines(data, atEOF)
	})
	line := 0
	for sc.Scan() {
		if unterminated && rec.err != nil {
			return scanErr(path, line, rec.err)
		}
		line++
		b := sc.Bytes()
		if len(b) > 0 && b[len(b)-1] == '\r' {
			b = b[:len(b)-1]
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		if err := fn(line, string(b)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return scanErr(path, line, err)
	}
	if line == 0 {
		return &InputError{File: path, Msg: "empty file"}
	}
	return nil
}

// series accumulates the rows of one series, in file order.
type series struct {
	key     string
	files   []string
	secs    []int64
	cpu     []float64
	mem     []float64
	sorted  bool
	request *model.Resources
}

func (s *series) add(file string, sec int64, cpu, mem float64) {
	if len(s.files) == 0 || s.files[len(s.files)-1] != file {
		s.files = append(s.files, file)
	}
	if n := len(s.secs); n > 0 && sec <= s.secs[n-1] {
		s.sorted = false
	}
	s.secs = append(s.secs, sec)
	s.cpu = append(s.cpu, cpu)
	s.mem = append(s.mem, mem)
}

// seriesSet groups rows by series key, keeping at most limit series.
type seriesSet struct {
	limit int
	order []*series
	byKey map[string]*series
}

func newSeriesSet(limit int) *seriesSet {
	return &seriesSet{limit: limit, byKey: map[string]*series{}}
}

// get returns the series of key, creating it, or nil when the limit is
// reached and key is new (its rows are dropped).
func (ss *seriesSet) get(key string) *series {
	if s, ok := ss.byKey[key]; ok {
		return s
	}
	if ss.limit > 0 && len(ss.order) >= ss.limit {
		return nil
	}
	s := &series{key: key, sorted: true}
	ss.byKey[key] = s
	ss.order = append(ss.order, s)
	return s
}

// trace turns s into a Trace: rows sorted by time, and of rows with the same
// second only the last in file order kept (noted in the conversions).
func (s *series) trace(id string, conversions []string) *Trace {
	n := len(s.secs)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if !s.sorted {
		sort.SliceStable(idx, func(a, b int) bool { return s.secs[idx[a]] < s.secs[idx[b]] })
	}
	t := &Trace{ID: id, Times: make([]time.Time, 0, n), CPUMillicores: make([]float64, 0, n), MemoryBytes: make([]float64, 0, n)}
	dups := 0
	for k, i := range idx {
		if k+1 < n && s.secs[idx[k+1]] == s.secs[i] {
			dups++
			continue
		}
		// Millicores to 1e-6: enough for any source, and free of float noise
		// such as 30.000000000000004.
		t.Append(time.Unix(s.secs[i], 0).UTC(), math.Round(s.cpu[i]*1e6)/1e6, s.mem[i])
	}
	t.Meta.Series = s.key
	t.Meta.Files = s.files
	t.Meta.OriginalRequest = s.request
	t.Meta.Conversions = append([]string(nil), conversions...)
	if !s.sorted {
		t.Meta.Conversions = append(t.Meta.Conversions, "rows were not in time order: sorted by time")
	}
	if dups > 0 {
		t.Meta.Conversions = append(t.Meta.Conversions, fmt.Sprintf("%d rows shared a timestamp (to the second) with a later row: the later row was kept", dups))
	}
	return t
}

// relSeconds converts a time offset in seconds from the trace start into Unix
// seconds, rounding to the second.
// The Unix seconds a sample time may have: from year 1 to the end of year
// 9999 (meta.json and trace.csv write RFC 3339 times, four-digit years).
var (
	minUnix = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	maxUnix = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
)

// checkUnix refuses a sample time beyond year 9999 (or before year 1).
func checkUnix(sec int64) error {
	switch {
	case sec > maxUnix:
		return fmt.Errorf("time %s is after year 9999", time.Unix(sec, 0).UTC().Format("2006-01-02T15:04:05Z"))
	case sec < minUnix:
		return errors.New("time is before year 1")
	}
	return nil
}

func relSeconds(start time.Time, offsetSec float64) int64 {
	return start.Unix() + int64(math.Round(offsetSec))
}

// perFileReader reads one file holding exactly one series.
type perFileReader func(path string, opts *ImportOptions) (*Trace, error)

func importPerFile(paths []string, opts *ImportOptions, read perFileReader) ([]*Trace, error) {
	var out []*Trace
	for _, p := range paths {
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
		t, err := read(p, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// fileStem is the base name of path without its extensions (.csv, .gz).
func fileStem(path string) string {
	base := filepath.Base(path)
	for {
		ext := filepath.Ext(base)
		if ext == "" || ext == base {
			return base
		}
		switch strings.ToLower(ext) {
		case ".csv", ".gz", ".txt", ".json", ".jsonl", ".tsv":
			base = strings.TrimSuffix(base, ext)
		default:
			return base
		}
	}
}

// splitFields splits a line on sep, trimming spaces and tabs around fields.
func splitFields(text string, sep byte, dst []string) []string {
	dst = dst[:0]
	for {
		i := strings.IndexByte(text, sep)
		if i < 0 {
			return append(dst, strings.TrimSpace(text))
		}
		dst = append(dst, strings.TrimSpace(text[:i]))
		text = text[i+1:]
	}
}

// field returns the trimmed column i of fields, or an InputError if the
// column is missing or empty.
func needField(path string, line int, fields []string, i int, name string) (string, error) {
	if i >= len(fields) {
		return "", &InputError{File: path, Line: line, Field: name, Msg: fmt.Sprintf("missing column: the row has %d fields", len(fields))}
	}
	if fields[i] == "" {
		return "", &InputError{File: path, Line: line, Field: name, Msg: "empty value"}
	}
	return fields[i], nil
}

func usageField(path string, line int, fields []string, i int, name string) (float64, error) {
	s, err := needField(path, line, fields, i, name)
	if err != nil {
		return 0, err
	}
	v, err := parseUsage(s)
	if err != nil {
		return 0, &InputError{File: path, Line: line, Field: name, Msg: err.Error()}
	}
	return v, nil
}

// MaxPercent is the largest percentage of a whole (a machine, a request) an
// import accepts. Real traces go a little past 100 (the Google 2011 job
// files' memory reaches 118 % of the normalised machine) and are kept as
// they are; 500 % is a wrong column or unit.
const MaxPercent = 200

// percentField is a usageField that is a percentage of a whole: at most
// MaxPercent.
func percentField(path string, line int, fields []string, i int, name string) (float64, error) {
	v, err := usageField(path, line, fields, i, name)
	if err == nil && v > MaxPercent {
		return 0, percentError(path, line, name, v)
	}
	return v, err
}

func percentError(path string, line int, name string, v float64) error {
	return &InputError{File: path, Line: line, Field: name, Msg: fmt.Sprintf("%g percent is more than twice the whole (at most %d): check the column and its unit", v, MaxPercent)}
}

// The largest usage a sample may have after unit conversion: a million cores
// and an exbibyte. Anything above is a wrong column or unit (or 1e300),
// and would make every sum over the trace meaningless or infinite.
const (
	MaxCPUMillicores = 1e9
	MaxMemoryBytes   = 1 << 60
)

// checkConverted refuses converted usage above MaxCPUMillicores or
// MaxMemoryBytes (or infinite), naming the line and the field it came from.
func checkConverted(path string, line int, cpuField string, cpu float64, memField string, mem float64) error {
	if !(cpu <= MaxCPUMillicores) {
		return &InputError{File: path, Line: line, Field: cpuField, Msg: fmt.Sprintf("gives %g millicores after unit conversion, more than %g (a million cores): check the column and its unit", cpu, float64(MaxCPUMillicores))}
	}
	if !(mem <= MaxMemoryBytes) {
		return &InputError{File: path, Line: line, Field: memField, Msg: fmt.Sprintf("gives %g bytes after unit conversion, more than %g (1 EiB): check the column and its unit", mem, float64(MaxMemoryBytes))}
	}
	return nil
}

func numberField(path string, line int, fields []string, i int, name string) (float64, error) {
	s, err := needField(path, line, fields, i, name)
	if err != nil {
		return 0, err
	}
	v, err := parseNumber(s)
	if err != nil {
		return 0, &InputError{File: path, Line: line, Field: name, Msg: err.Error()}
	}
	return v, nil
}

func gib(b float64) string { return fmt.Sprintf("%g GiB", b/model.GiB) }
