package workloads

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// Alibaba cluster-trace-v2018 files are headerless CSV in the trace's own
// column order (see its schema.md). time_stamp is seconds from the trace
// start; we add it to ImportOptions.Start.
var (
	aliMachineUsageCols   = []string{"machine_id", "time_stamp", "cpu_util_percent", "mem_util_percent", "mem_gps", "mkpi", "net_in", "net_out", "disk_io_percent"}
	aliMachineMetaCols    = []string{"machine_id", "time_stamp", "failure_domain_1", "failure_domain_2", "cpu_num", "mem_size", "status"}
	aliContainerUsageCols = []string{"container_id", "machine_id", "time_stamp", "cpu_util_percent", "mem_util_percent", "cpi", "mem_gps", "mpki", "net_in", "net_out", "disk_io_percent"}
	aliContainerMetaCols  = []string{"container_id", "machine_id", "time_stamp", "app_du", "status", "cpu_request", "cpu_limit", "mem_size"}
)

// eachCSVRow calls fn with the comma-separated fields of every non-empty line
// of path, after checking that the row has exactly len(cols) fields.
func eachCSVRow(path string, cols []string, opts *ImportOptions, fn func(line int, f []string) error) error {
	var fields []string
	return eachLine(path, opts, func(line int, text string) error {
		if strings.TrimSpace(text) == "" {
			return nil
		}
		fields = splitFields(text, ',', fields)
		if len(fields) != len(cols) {
			if len(fields) == 1 {
				return &InputError{File: path, Line: line, Msg: fmt.Sprintf("no ',' separator in %q: want %d comma-separated fields (%s, ...)", clip(text), len(cols), cols[0])}
			}
			if len(fields) < len(cols) {
				return &InputError{File: path, Line: line, Field: cols[len(fields)], Msg: fmt.Sprintf("missing column: want %d comma-separated fields, got %d", len(cols), len(fields))}
			}
			return &InputError{File: path, Line: line, Msg: fmt.Sprintf("want %d comma-separated fields, got %d", len(cols), len(fields))}
		}
		return fn(line, fields)
	})
}

// MaxTraceSpan is the longest time from a trace's start that a time offset
// field may give (a century: the public traces span days to months).
const MaxTraceSpan = 100 * 365 * 24 * time.Hour

// timeOffsetField reads field i, a time offset from the trace start in
// units (perSecond units a second: 1 for seconds, 1e6 for microseconds),
// and returns it in seconds: at least 0 and at most MaxTraceSpan.
func timeOffsetField(path string, line int, f []string, i int, name string, perSecond float64) (float64, error) {
	v, err := numberField(path, line, f, i, name)
	if err != nil {
		return 0, err
	}
	if err := checkTimeOffset(v, perSecond); err != nil {
		return 0, &InputError{File: path, Line: line, Field: name, Msg: fmt.Sprintf("%v: %s", err, clip(f[i]))}
	}
	return v / perSecond, nil
}

// checkTimeOffset refuses an offset v (in units, perSecond a second) that
// is negative or beyond MaxTraceSpan.
func checkTimeOffset(v, perSecond float64) error {
	unit := "seconds"
	if perSecond == 1e6 {
		unit = "microseconds"
	}
	if !(v >= 0 && v <= MaxTraceSpan.Seconds()*perSecond) {
		return fmt.Errorf("not %s from the trace start (0 to %.0f, %s)", unit, MaxTraceSpan.Seconds()*perSecond, "100 years")
	}
	return nil
}

type aliMachine struct {
	cores   float64
	memFrac float64 // mem_size / 100
}

func readAlibabaMachineMeta(paths []string, opts *ImportOptions) (map[string]aliMachine, error) {
	out := map[string]aliMachine{}
	for _, p := range paths {
		err := eachCSVRow(p, aliMachineMetaCols, opts, func(line int, f []string) error {
			if _, ok := out[f[0]]; ok {
				return nil
			}
			cores, err := usageField(p, line, f, 4, "cpu_num")
			if err != nil {
				return err
			}
			mem, err := usageField(p, line, f, 5, "mem_size")
			if err != nil {
				return err
			}
			if cores > 0 && mem > 0 {
				out[f[0]] = aliMachine{cores: cores, memFrac: mem / 100}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func importAlibabaMachine(usage, meta []string, opts *ImportOptions) ([]*Trace, error) {
	machines, err := readAlibabaMachineMeta(meta, opts)
	if err != nil {
		return nil, err
	}
	memBytes := opts.memory(DefaultAlibabaBytes)
	start := opts.start()
	ss := newSeriesSet(opts.Limit)
	for _, p := range usage {
		err := eachCSVRow(p, aliMachineUsageCols, opts, func(line int, f []string) error {
			s := ss.get(f[0])
			if s == nil {
				return nil
			}
			ts, err := timeOffsetField(p, line, f, 1, "time_stamp", 1)
			if err != nil {
				return err
			}
			cpu, err := percentField(p, line, f, 2, "cpu_util_percent")
			if err != nil {
				return err
			}
			mem, err := percentField(p, line, f, 3, "mem_util_percent")
			if err != nil {
				return err
			}
			m, ok := machines[f[0]]
			if !ok || opts.MachineCores > 0 {
				m.cores = opts.cores(DefaultAlibabaCores)
			}
			if !ok {
				m.memFrac = 1
			}
			cpu, mem = cpu/100*m.cores*1000, mem/100*m.memFrac*memBytes
			if err := checkConverted(p, line, "cpu_util_percent", cpu, "mem_util_percent", mem); err != nil {
				return err
			}
			s.add(p, relSeconds(start, ts), cpu, mem)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]*Trace, 0, len(ss.order))
	for _, s := range ss.order {
		m, ok := machines[s.key]
		if !ok || opts.MachineCores > 0 {
			m.cores = opts.cores(DefaultAlibabaCores)
		}
		coreSrc := "machine_meta cpu_num"
		if !ok {
			coreSrc = "assumed, no machine_meta row"
			m.memFrac = 1
		} else if opts.MachineCores > 0 {
			coreSrc = "given"
		}
		conv := []string{
			fmt.Sprintf("cpu_millicores = cpu_util_percent / 100 * %g cores (%s) * 1000", m.cores, coreSrc),
			fmt.Sprintf("memory_bytes = mem_util_percent / 100 * %g (mem_size / 100) * %s (assumed size of a whole machine)", m.memFrac, gib(memBytes)),
			fmt.Sprintf("timestamp = %s + time_stamp seconds (time_stamp counts from the trace start)", start.Format("2006-01-02T15:04:05Z07:00")),
		}
		// A machine runs with all of itself: its size is what it was
		// provisioned with, the counterpart of Bitbrains' provisioned
		// capacity, so it is the original request.
		size := model.Resources{CPUMillicores: m.cores * 1000, MemoryBytes: math.Round(m.memFrac * memBytes)}
		s.request = &size
		conv = append(conv, "originalRequest = the machine's size above (cpu cores * 1000 millicores, mem_size share of the machine memory): what a whole machine is provisioned with")
		t := s.trace(SanitizeID("alibaba-"+s.key), conv)
		t.Meta.AssumedMachine = &model.Resources{CPUMillicores: size.CPUMillicores, MemoryBytes: m.memFrac * memBytes}
		out = append(out, t)
	}
	return out, nil
}

type aliContainer struct {
	machine    string
	cpuRequest float64 // cpu_request, 100 = 1 core
	memSize    float64 // normalised [0, 100]
}

func readAlibabaContainerMeta(paths []string, opts *ImportOptions) (map[string]aliContainer, error) {
	out := map[string]aliContainer{}
	for _, p := range paths {
		err := eachCSVRow(p, aliContainerMetaCols, opts, func(line int, f []string) error {
			if _, ok := out[f[0]]; ok {
				return nil
			}
			cpu, err := usageField(p, line, f, 5, "cpu_request")
			if err != nil {
				return err
			}
			mem, err := usageField(p, line, f, 7, "mem_size")
			if err != nil {
				return err
			}
			out[f[0]] = aliContainer{machine: f[1], cpuRequest: cpu, memSize: mem}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func importAlibabaContainer(usage, meta []string, opts *ImportOptions) ([]*Trace, error) {
	if len(meta) == 0 {
		return nil, fmt.Errorf("alibaba-container needs container_meta.csv for each container's cpu_request and mem_size: pass it among the paths or with --meta")
	}
	containers, err := readAlibabaContainerMeta(meta, opts)
	if err != nil {
		return nil, err
	}
	memBytes := opts.memory(DefaultAlibabaBytes)
	start := opts.start()
	ss := newSeriesSet(opts.Limit)
	for _, p := range usage {
		err := eachCSVRow(p, aliContainerUsageCols, opts, func(line int, f []string) error {
			if f[0] == "" {
				return &InputError{File: p, Line: line, Field: "container_id", Msg: "empty value"}
			}
			s := ss.get(f[0])
			if s == nil {
				return nil
			}
			c, ok := containers[f[0]]
			if !ok {
				return &InputError{File: p, Line: line, Field: "container_id", Msg: fmt.Sprintf("container %q has no row in container_meta.csv: pass the matching container_meta.csv", clip(f[0]))}
			}
			ts, err := timeOffsetField(p, line, f, 2, "time_stamp", 1)
			if err != nil {
				return err
			}
			cpu, err := usageField(p, line, f, 3, "cpu_util_percent")
			if err != nil {
				return err
			}
			mem, err := percentField(p, line, f, 4, "mem_util_percent")
			if err != nil {
				return err
			}
			cpu, mem = cpu/100*c.cpuRequest*10, mem/100*c.memSize/100*memBytes
			if err := checkConverted(p, line, "cpu_util_percent", cpu, "mem_util_percent", mem); err != nil {
				return err
			}
			s.add(p, relSeconds(start, ts), cpu, mem)
			if s.request == nil {
				s.request = &model.Resources{CPUMillicores: c.cpuRequest * 10, MemoryBytes: math.Round(c.memSize / 100 * memBytes)}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]*Trace, 0, len(ss.order))
	for _, s := range ss.order {
		c := containers[s.key]
		conv := []string{
			fmt.Sprintf("cpu_millicores = cpu_util_percent / 100 * cpu_request (%g) * 10 (cpu_util_percent is a percentage of the requested CPU; cpu_request 100 = 1 core)", c.cpuRequest),
			fmt.Sprintf("memory_bytes = mem_util_percent / 100 * mem_size (%g) / 100 * %s (mem_util_percent taken as a percentage of the container's mem_size; mem_size is a percentage of a machine of assumed size)", c.memSize, gib(memBytes)),
			"originalRequest = cpu_request * 10 millicores and mem_size / 100 * the assumed machine memory, from the first container_meta row",
			fmt.Sprintf("timestamp = %s + time_stamp seconds (time_stamp counts from the trace start)", start.Format("2006-01-02T15:04:05Z07:00")),
		}
		t := s.trace(SanitizeID("alibaba-"+s.key), conv)
		t.Meta.AssumedMachine = &model.Resources{MemoryBytes: memBytes}
		out = append(out, t)
	}
	return out, nil
}
