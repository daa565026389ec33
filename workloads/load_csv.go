package workloads

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/smartvpa/smartvpa/core/model"
)

// CSVMapping says which columns of a generic CSV file hold what, and in which
// units. The zero value reads the store's own trace.csv format.
type CSVMapping struct {
	// Separator is the field separator, one character; "" means ",".
	Separator string
	// NoHeader says the file has no header row; columns are then given by
	// 1-based number.
	NoHeader bool
	// TimeColumn names the time column (a header name or a 1-based number);
	// "" means "timestamp"; "none" means there is none and rows are
	// ImportOptions.Interval apart from ImportOptions.Start.
	TimeColumn string
	// TimeUnit is unix (seconds, the default), unix-ms, unix-us, rfc3339, or
	// offset (seconds from ImportOptions.Start).
	TimeUnit string
	// CPUColumn names the CPU column; "" means "cpu_millicores".
	CPUColumn string
	// CPUUnit is millicores (default), cores, or percent (of the assumed
	// machine: ImportOptions.MachineCores, default 8 cores).
	CPUUnit string
	// MemoryColumn names the memory column; "" means "memory_bytes"; "none"
	// means there is none (memory_bytes is 0).
	MemoryColumn string
	// MemoryUnit is bytes (default), kb, mb, gb (powers of 1000), kib, mib,
	// gib (powers of 1024), or percent (of ImportOptions.MachineMemoryBytes,
	// default 32 GiB).
	MemoryUnit string
	// SeriesColumn, when set, names a column whose value splits the rows into
	// one trace per value; otherwise each file is one trace.
	SeriesColumn string
}

// CSV units.
var (
	CSVTimeUnits   = []string{"unix", "unix-ms", "unix-us", "rfc3339", "offset"}
	CSVCPUUnits    = []string{"millicores", "cores", "percent"}
	CSVMemoryUnits = []string{"bytes", "kb", "mb", "gb", "kib", "mib", "gib", "percent"}
)

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func oneOf(what, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("unknown %s %q: use one of %s", what, v, strings.Join(allowed, ", "))
}

// normalise fills defaults and checks the mapping.
func (m CSVMapping) normalise() (CSVMapping, error) {
	m.TimeColumn = orDefault(m.TimeColumn, "timestamp")
	m.TimeUnit = strings.ToLower(orDefault(m.TimeUnit, "unix"))
	m.CPUColumn = orDefault(m.CPUColumn, "cpu_millicores")
	m.CPUUnit = strings.ToLower(orDefault(m.CPUUnit, "millicores"))
	m.MemoryColumn = orDefault(m.MemoryColumn, "memory_bytes")
	m.MemoryUnit = strings.ToLower(orDefault(m.MemoryUnit, "bytes"))
	m.Separator = orDefault(m.Separator, ",")
	if m.Separator == `\t` || m.Separator == "tab" {
		m.Separator = "\t"
	}
	if r, _ := utf8.DecodeRuneInString(m.Separator); utf8.RuneCountInString(m.Separator) != 1 || r == utf8.RuneError ||
		r == '"' || r == '\n' || r == '\r' || r == 0xFEFF {
		return m, fmt.Errorf("invalid separator %q: use one character such as ',', ';' or '\\t'", m.Separator)
	}
	if err := oneOf("time unit", m.TimeUnit, CSVTimeUnits); err != nil {
		return m, err
	}
	if err := oneOf("cpu unit", m.CPUUnit, CSVCPUUnits); err != nil {
		return m, err
	}
	if err := oneOf("memory unit", m.MemoryUnit, CSVMemoryUnits); err != nil {
		return m, err
	}
	if m.CPUColumn == "none" {
		return m, errors.New("the csv format needs a CPU column: set the cpu column")
	}
	return m, nil
}

var memUnitBytes = map[string]float64{"bytes": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": model.KiB, "mib": model.MiB, "gib": model.GiB}

// csvColumns resolves the mapping's columns against a header.
type csvColumns struct{ time, cpu, mem, series int } // -1 = absent

func resolveColumn(spec string, header []string, path string) (int, error) {
	if spec == "" || spec == "none" {
		return -1, nil
	}
	for i, h := range header {
		if h == spec {
			return i, nil
		}
	}
	if n, err := strconv.Atoi(spec); err == nil && n >= 1 {
		return n - 1, nil
	}
	if header == nil {
		return 0, fmt.Errorf("column %q: without a header, give columns by 1-based number", spec)
	}
	return 0, &InputError{File: path, Line: 1, Field: spec, Msg: fmt.Sprintf("missing column in the header %q (is the separator right?)", clip(strings.Join(header, ",")))}
}

func importCSV(usage []string, opts *ImportOptions) ([]*Trace, error) {
	m, err := opts.CSV.normalise()
	if err != nil {
		return nil, err
	}
	cores := opts.cores(DefaultNormalisedCores)
	memBytes := opts.memory(DefaultNormalisedBytes)
	start := opts.start()
	step := int64(opts.interval().Seconds())
	ss := newSeriesSet(opts.Limit)
	rowsOf := map[*series]int64{}
	for _, p := range usage {
		if err := readCSVFile(p, m, opts, ss, rowsOf, cores, memBytes, start, step); err != nil {
			return nil, err
		}
	}
	conv := []string{csvConversion("cpu_millicores", m.CPUColumn, m.CPUUnit, cores, memBytes)}
	if m.MemoryColumn == "none" {
		conv = append(conv, "memory_bytes = 0: no memory column")
	} else {
		conv = append(conv, csvConversion("memory_bytes", m.MemoryColumn, m.MemoryUnit, cores, memBytes))
	}
	switch {
	case m.TimeColumn == "none":
		conv = append(conv, fmt.Sprintf("no time column: row i is at %s + i * %s", start.Format(time.RFC3339), opts.interval()))
	case m.TimeUnit == "offset":
		conv = append(conv, fmt.Sprintf("timestamp = %s + column %q seconds", start.Format(time.RFC3339), m.TimeColumn))
	case m.TimeUnit != "unix":
		conv = append(conv, fmt.Sprintf("timestamp = column %q in %s, rounded to the second", m.TimeColumn, m.TimeUnit))
	}
	out := make([]*Trace, 0, len(ss.order))
	for _, s := range ss.order {
		t := s.trace(SanitizeID("csv-"+s.key), conv)
		if m.CPUUnit == "percent" || m.MemoryUnit == "percent" {
			t.Meta.AssumedMachine = &model.Resources{CPUMillicores: cores * 1000, MemoryBytes: memBytes}
		}
		if m.TimeColumn == "none" {
			t.Meta.Interval = opts.interval()
		}
		out = append(out, t)
	}
	return out, nil
}

func csvConversion(out, col, unit string, cores, memBytes float64) string {
	switch unit {
	case "millicores", "bytes":
		return fmt.Sprintf("%s = column %q", out, col)
	case "cores":
		return fmt.Sprintf("%s = column %q (cores) * 1000", out, col)
	case "percent":
		if out == "cpu_millicores" {
			return fmt.Sprintf("%s = column %q (percent of a machine) / 100 * %g cores * 1000 (assumed machine size)", out, col, cores)
		}
		return fmt.Sprintf("%s = column %q (percent of a machine) / 100 * %s (assumed machine size)", out, col, gib(memBytes))
	}
	return fmt.Sprintf("%s = column %q (%s) * %g", out, col, unit, memUnitBytes[unit])
}

func readCSVFile(path string, m CSVMapping, opts *ImportOptions, ss *seriesSet, rowsOf map[*series]int64,
	cores, memBytes float64, start time.Time, step int64) error {
	fr, err := openInput(path, opts.Progress)
	if err != nil {
		return err
	}
	defer fr.Close() //nolint:errcheck // only read: closing it reports nothing to act on
	r := csv.NewReader(fr.r)
	r.Comma, _ = utf8.DecodeRuneInString(m.Separator)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	r.TrimLeadingSpace = true
	var header []string
	var cols csvColumns
	stem := fileStem(path)
	first := true
	rows, lastLine := 0, 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if errors.Is(pe.Err, csv.ErrFieldCount) {
					return &InputError{File: path, Line: pe.Line, Msg: pe.Err.Error()}
				}
				if errors.Is(pe.Err, io.ErrUnexpectedEOF) || !errors.Is(pe.Err, csv.ErrQuote) && !errors.Is(pe.Err, csv.ErrBareQuote) {
					return scanErr(path, pe.Line-1, pe.Err)
				}
				return &InputError{File: path, Line: pe.Line, Msg: pe.Err.Error()}
			}
			return scanErr(path, lastLine, err)
		}
		line, _ := r.FieldPos(0)
		lastLine = line
		if first {
			first = false
			if !m.NoHeader {
				header = make([]string, len(rec))
				for i, h := range rec {
					header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
				}
			}
			for _, c := range []struct {
				spec string
				dst  *int
			}{{m.TimeColumn, &cols.time}, {m.CPUColumn, &cols.cpu}, {m.MemoryColumn, &cols.mem}, {m.SeriesColumn, &cols.series}} {
				if *c.dst, err = resolveColumn(c.spec, header, path); err != nil {
					return err
				}
			}
			if !m.NoHeader {
				continue
			}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		rows++
		key := stem
		if cols.series >= 0 {
			v, err := needField(path, line, rec, cols.series, colName(header, cols.series))
			if err != nil {
				return err
			}
			key = v
		}
		s := ss.get(key)
		if s == nil {
			continue
		}
		var sec int64
		if cols.time < 0 {
			sec = start.Unix() + rowsOf[s]*step
		} else {
			name := colName(header, cols.time)
			v, err := needField(path, line, rec, cols.time, name)
			if err != nil {
				return err
			}
			if sec, err = parseCSVTime(v, m.TimeUnit, start); err != nil {
				return &InputError{File: path, Line: line, Field: name, Msg: err.Error()}
			}
		}
		rowsOf[s]++
		cpu, err := usageField(path, line, rec, cols.cpu, colName(header, cols.cpu))
		if err != nil {
			return err
		}
		switch m.CPUUnit {
		case "cores":
			cpu *= 1000
		case "percent":
			if cpu > MaxPercent {
				return percentError(path, line, colName(header, cols.cpu), cpu)
			}
			cpu = cpu / 100 * cores * 1000
		}
		var mem float64
		if cols.mem >= 0 {
			if mem, err = usageField(path, line, rec, cols.mem, colName(header, cols.mem)); err != nil {
				return err
			}
			if m.MemoryUnit == "percent" {
				if mem > MaxPercent {
					return percentError(path, line, colName(header, cols.mem), mem)
				}
				mem = mem / 100 * memBytes
			} else {
				mem *= memUnitBytes[m.MemoryUnit]
			}
		}
		var memField string
		if cols.mem >= 0 {
			memField = colName(header, cols.mem)
		}
		if err := checkConverted(path, line, colName(header, cols.cpu), cpu, memField, mem); err != nil {
			return err
		}
		s.add(path, sec, cpu, mem)
	}
	if first {
		return &InputError{File: path, Msg: "empty file"}
	}
	if rows == 0 {
		return &InputError{File: path, Msg: "no rows after the header"}
	}
	return nil
}

func colName(header []string, i int) string {
	if header != nil && i < len(header) {
		return header[i]
	}
	return fmt.Sprintf("column %d", i+1)
}

func parseCSVTime(v, unit string, start time.Time) (int64, error) {
	if unit == "rfc3339" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return 0, fmt.Errorf("not an RFC 3339 time %q", clip(v))
		}
		sec := t.Round(time.Second).Unix()
		if err := checkUnix(sec); err != nil {
			return 0, fmt.Errorf("%w: %q", err, clip(v))
		}
		return sec, nil
	}
	f, err := parseNumber(v)
	if err != nil {
		return 0, err
	}
	div := map[string]float64{"unix": 1, "unix-ms": 1e3, "unix-us": 1e6, "offset": 1}[unit]
	sec := f / div
	if math.Abs(sec) > 1e11 {
		return 0, fmt.Errorf("time out of range %q for unit %s", clip(v), unit)
	}
	if unit == "offset" {
		if sec < 0 {
			return 0, fmt.Errorf("negative offset %q", clip(v))
		}
		sec := relSeconds(start, sec)
		if err := checkUnix(sec); err != nil {
			return 0, fmt.Errorf("%w: offset %q", err, clip(v))
		}
		return sec, nil
	}
	if err := checkUnix(int64(math.Round(sec))); err != nil {
		return 0, fmt.Errorf("%w: %q (unit %s)", err, clip(v), unit)
	}
	return int64(math.Round(sec)), nil
}
