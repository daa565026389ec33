package workloads

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// Bitbrains GWA-T-12 column names (one VM per file, header row, fields
// separated by ";" and a tab).
const (
	bbTime     = "Timestamp [ms]"
	bbCores    = "CPU cores"
	bbCPUCap   = "CPU capacity provisioned [MHZ]"
	bbCPUUsage = "CPU usage [MHZ]"
	bbMemCap   = "Memory capacity provisioned [KB]"
	bbMemUsage = "Memory usage [KB]"
)

var bbColumns = []string{bbTime, bbCores, bbCPUCap, bbCPUUsage, bbMemCap, bbMemUsage}

// readBitbrains reads one Bitbrains per-VM file.
//
// CPU millicores = "CPU usage [MHZ]" / ("CPU capacity provisioned [MHZ]" /
// "CPU cores") * 1000, per row; memory bytes = "Memory usage [KB]" * 1024.
// The timestamp column says [ms] but holds Unix seconds; values above 1e11
// are taken as milliseconds. Rows of a powered-off VM (0 cores or 0
// capacity) have no MHz-per-core: usage 0 stays 0, other usage uses the last
// known MHz per core. The original request is the first row with capacity.
func readBitbrains(path string, opts *ImportOptions) (*Trace, error) {
	var (
		col          = map[string]int{}
		ncol         int
		s            = &series{key: fileStem(path), sorted: true}
		fields       []string
		lastPerCore  float64
		zeroCapRows  int
		reusedRows   int
		msRows       int
		reqChanges   int
		firstRequest *model.Resources
		lastRequest  *model.Resources
	)
	err := eachLine(path, opts, func(line int, text string) error {
		if line == 1 {
			if !strings.Contains(text, ";") {
				return &InputError{File: path, Line: 1, Msg: fmt.Sprintf("no ';' separator in the header %q: want the Bitbrains header \"%s;\\t%s;...\"", clip(text), bbTime, bbCores)}
			}
			fields = splitFields(text, ';', fields)
			for i, f := range fields {
				col[f] = i
			}
			ncol = len(fields)
			for _, c := range bbColumns {
				if _, ok := col[c]; !ok {
					return &InputError{File: path, Line: 1, Field: c, Msg: "missing column in the header"}
				}
			}
			return nil
		}
		if strings.TrimSpace(text) == "" {
			return nil
		}
		fields = splitFields(text, ';', fields)
		if len(fields) != ncol {
			if len(fields) == 1 {
				return &InputError{File: path, Line: line, Msg: fmt.Sprintf("no ';' separator in %q: want %d fields separated by ';'", clip(text), ncol)}
			}
			return &InputError{File: path, Line: line, Msg: fmt.Sprintf("want %d fields like the header, got %d", ncol, len(fields))}
		}
		ts, err := numberField(path, line, fields, col[bbTime], bbTime)
		if err != nil {
			return err
		}
		if ts < 0 || ts != math.Trunc(ts) || ts > 1e15 {
			return &InputError{File: path, Line: line, Field: bbTime, Msg: fmt.Sprintf("not a Unix time in seconds: %s", clip(fields[col[bbTime]]))}
		}
		if ts > 1e11 {
			msRows++
			ts = math.Round(ts / 1000)
		}
		if err := checkUnix(int64(ts)); err != nil {
			return &InputError{File: path, Line: line, Field: bbTime, Msg: fmt.Sprintf("%v: %s", err, clip(fields[col[bbTime]]))}
		}
		var v [5]float64
		for k, c := range bbColumns[1:] {
			if v[k], err = usageField(path, line, fields, col[c], c); err != nil {
				return err
			}
		}
		cores, cpuCap, cpuUse, memCap, memUse := v[0], v[1], v[2], v[3], v[4]
		var millicores float64
		switch {
		case cores > 0 && cpuCap > 0:
			perCore := cpuCap / cores
			lastPerCore = perCore
			millicores = cpuUse / perCore * 1000
			req := &model.Resources{CPUMillicores: cores * 1000, MemoryBytes: memCap * 1024}
			if firstRequest == nil {
				firstRequest = req
			} else if *req != *lastRequest {
				reqChanges++
			}
			lastRequest = req
		case cpuUse == 0:
			zeroCapRows++
		case lastPerCore > 0:
			reusedRows++
			millicores = cpuUse / lastPerCore * 1000
		default:
			return &InputError{File: path, Line: line, Field: bbCPUCap, Msg: fmt.Sprintf("is 0 while %q is %s: cannot convert MHz to millicores", bbCPUUsage, fields[col[bbCPUUsage]])}
		}
		if err := checkConverted(path, line, bbCPUUsage, millicores, bbMemUsage, memUse*1024); err != nil {
			return err
		}
		s.add(path, int64(ts), millicores, memUse*1024)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(s.secs) == 0 {
		return nil, &InputError{File: path, Msg: "no rows after the header"}
	}
	s.request = firstRequest
	conv := []string{
		fmt.Sprintf("cpu_millicores = %q / (%q / %q) * 1000", bbCPUUsage, bbCPUCap, bbCores),
		fmt.Sprintf("memory_bytes = %q * 1024", bbMemUsage),
		fmt.Sprintf("timestamp = %q, which holds Unix seconds", bbTime),
	}
	if firstRequest != nil {
		conv = append(conv, fmt.Sprintf("originalRequest = %q * 1000 millicores and %q * 1024 bytes of the first row with capacity", bbCores, bbMemCap))
	}
	if reqChanges > 0 {
		conv = append(conv, fmt.Sprintf("the provisioned capacity changes %d time(s) in the file; originalRequest is the first", reqChanges))
	}
	if msRows > 0 {
		conv = append(conv, fmt.Sprintf("%d timestamps above 1e11 were taken as milliseconds", msRows))
	}
	if zeroCapRows > 0 {
		conv = append(conv, fmt.Sprintf("%d rows with 0 cores or 0 capacity and 0 usage: cpu_millicores 0", zeroCapRows))
	}
	if reusedRows > 0 {
		conv = append(conv, fmt.Sprintf("%d rows with 0 capacity but CPU usage: converted with the last known MHz per core", reusedRows))
	}
	t := s.trace(SanitizeID("bitbrains-"+s.key), conv)
	if t.Len() == 1 {
		t.Meta.Interval = 5 * time.Minute
	}
	return t, nil
}
