package workloads

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/smartvpa/smartvpa/core/model"
)

// Google cluster-data 2011 task_usage: headerless CSV with 20 columns (19 in
// early releases, without "sampled CPU usage"); times in microseconds from
// 600 s before the trace start; usage normalised to the largest machine.
var g2011Cols = []string{"start_time", "end_time", "job_id", "task_index", "machine_id", "cpu_rate",
	"canonical_memory_usage", "assigned_memory_usage", "unmapped_page_cache", "total_page_cache",
	"maximum_memory_usage", "disk_io_time", "local_disk_space_usage", "maximum_cpu_rate",
	"maximum_disk_io_time", "cycles_per_instruction", "memory_accesses_per_instruction",
	"sample_portion", "aggregation_type", "sampled_cpu_usage"}

func importGoogle2011(usage []string, opts *ImportOptions) ([]*Trace, error) {
	cores := opts.cores(DefaultNormalisedCores)
	memBytes := opts.memory(DefaultNormalisedBytes)
	start := opts.start()
	ss := newSeriesSet(opts.Limit)
	var fields []string
	for _, p := range usage {
		err := eachLine(p, opts, func(line int, text string) error {
			if strings.TrimSpace(text) == "" {
				return nil
			}
			fields = splitFields(text, ',', fields)
			if n := len(fields); n != 20 && n != 19 {
				if n == 1 {
					return &InputError{File: p, Line: line, Msg: fmt.Sprintf("no ',' separator in %q: want 20 comma-separated task_usage fields", clip(text))}
				}
				if n < 19 {
					return &InputError{File: p, Line: line, Field: g2011Cols[n], Msg: fmt.Sprintf("missing column: want 20 comma-separated fields, got %d", n)}
				}
				return &InputError{File: p, Line: line, Msg: fmt.Sprintf("want 20 comma-separated fields, got %d", n)}
			}
			for i := 2; i <= 3; i++ {
				if _, err := needField(p, line, fields, i, g2011Cols[i]); err != nil {
					return err
				}
			}
			s := ss.get(fields[2] + "/" + fields[3])
			if s == nil {
				return nil
			}
			sec, err := timeOffsetField(p, line, fields, 0, "start_time", 1e6)
			if err != nil {
				return err
			}
			cpu, err := usageField(p, line, fields, 5, "cpu_rate")
			if err != nil {
				return err
			}
			mem, err := usageField(p, line, fields, 6, "canonical_memory_usage")
			if err != nil {
				return err
			}
			if err := checkConverted(p, line, "cpu_rate", cpu*cores*1000, "canonical_memory_usage", mem*memBytes); err != nil {
				return err
			}
			s.add(p, relSeconds(start, sec), cpu*cores*1000, mem*memBytes)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]*Trace, 0, len(ss.order))
	for _, s := range ss.order {
		conv := []string{
			fmt.Sprintf("cpu_millicores = cpu_rate (normalised cores) * %g cores * 1000 (assumed size of the largest machine)", cores),
			fmt.Sprintf("memory_bytes = canonical_memory_usage (normalised) * %s (assumed size of the largest machine)", gib(memBytes)),
			fmt.Sprintf("timestamp = %s + start_time microseconds, rounded to the second", start.Format("2006-01-02T15:04:05Z07:00")),
		}
		t := s.trace(SanitizeID("google2011-"+strings.ReplaceAll(s.key, "/", "-")), conv)
		t.Meta.AssumedMachine = &model.Resources{CPUMillicores: cores * 1000, MemoryBytes: memBytes}
		out = append(out, t)
	}
	return out, nil
}

// flexNum is a JSON number that may also be written as a string (BigQuery
// exports 64-bit integers as strings). Decoding never fails: a value that is
// not a number sets err, which the caller reports with the field name.
type flexNum struct {
	set bool
	v   float64
	raw string
	err error
}

func (n *flexNum) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	n.set, n.raw = true, strings.TrimSpace(s)
	n.v, n.err = parseNumber(s)
	return nil
}

type g2019Usage struct {
	CPUs   flexNum `json:"cpus"`
	Memory flexNum `json:"memory"`
}

type g2019Row struct {
	StartTime     flexNum     `json:"start_time"`
	EndTime       flexNum     `json:"end_time"`
	CollectionID  flexNum     `json:"collection_id"`
	InstanceIndex flexNum     `json:"instance_index"`
	AverageUsage  *g2019Usage `json:"average_usage"`
	MaximumUsage  *g2019Usage `json:"maximum_usage"`
}

// jsonFieldError finds the field named in a JSON decoding error.
func jsonFieldError(path string, line int, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return &InputError{File: path, Line: line, Field: te.Field, Msg: fmt.Sprintf("want a %s, got JSON %s", te.Type, te.Value)}
	case errors.As(err, &se):
		return &InputError{File: path, Line: line, Msg: "invalid JSON: " + se.Error()}
	}
	msg := err.Error()
	return &InputError{File: path, Line: line, Msg: "invalid JSON: " + strings.TrimPrefix(msg, "json: ")}
}

func importGoogle2019(usage []string, opts *ImportOptions) ([]*Trace, error) {
	cores := opts.cores(DefaultNormalisedCores)
	memBytes := opts.memory(DefaultNormalisedBytes)
	start := opts.start()
	ss := newSeriesSet(opts.Limit)
	for _, p := range usage {
		err := eachLine(p, opts, func(line int, text string) error {
			b := bytes.TrimSpace([]byte(text))
			if len(b) == 0 {
				return nil
			}
			if b[0] != '{' {
				return &InputError{File: p, Line: line, Msg: fmt.Sprintf("not a JSON object: %q (want one instance_usage record per line)", clip(text))}
			}
			var r g2019Row
			if err := json.Unmarshal(b, &r); err != nil {
				return jsonFieldError(p, line, err)
			}
			for _, req := range []struct {
				name string
				v    flexNum
			}{{"start_time", r.StartTime}, {"collection_id", r.CollectionID}, {"instance_index", r.InstanceIndex}} {
				if !req.v.set {
					return &InputError{File: p, Line: line, Field: req.name, Msg: "missing"}
				}
			}
			if r.AverageUsage == nil {
				return &InputError{File: p, Line: line, Field: "average_usage", Msg: "missing"}
			}
			for _, f := range []struct {
				name string
				v    flexNum
			}{{"start_time", r.StartTime}, {"end_time", r.EndTime}, {"collection_id", r.CollectionID}, {"instance_index", r.InstanceIndex},
				{"average_usage.cpus", r.AverageUsage.CPUs}, {"average_usage.memory", r.AverageUsage.Memory}} {
				if f.v.err != nil {
					return &InputError{File: p, Line: line, Field: f.name, Msg: f.v.err.Error()}
				}
			}
			s := ss.get(r.CollectionID.raw + "/" + r.InstanceIndex.raw)
			if s == nil {
				return nil
			}
			us := r.StartTime.v
			if err := checkTimeOffset(us, 1e6); err != nil {
				return &InputError{File: p, Line: line, Field: "start_time", Msg: fmt.Sprintf("%v: %s", err, clip(r.StartTime.raw))}
			}
			// Zero usage is omitted from the export, so a missing value is 0.
			cpu, mem := r.AverageUsage.CPUs.v, r.AverageUsage.Memory.v
			if cpu < 0 {
				return &InputError{File: p, Line: line, Field: "average_usage.cpus", Msg: fmt.Sprintf("negative usage %s", r.AverageUsage.CPUs.raw)}
			}
			if mem < 0 {
				return &InputError{File: p, Line: line, Field: "average_usage.memory", Msg: fmt.Sprintf("negative usage %s", r.AverageUsage.Memory.raw)}
			}
			if err := checkConverted(p, line, "average_usage.cpus", cpu*cores*1000, "average_usage.memory", mem*memBytes); err != nil {
				return err
			}
			s.add(p, relSeconds(start, us/1e6), cpu*cores*1000, mem*memBytes)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]*Trace, 0, len(ss.order))
	for _, s := range ss.order {
		conv := []string{
			fmt.Sprintf("cpu_millicores = average_usage.cpus (normalised) * %g cores * 1000 (assumed size of the largest machine)", cores),
			fmt.Sprintf("memory_bytes = average_usage.memory (normalised) * %s (assumed size of the largest machine)", gib(memBytes)),
			"a missing average_usage.cpus or .memory is 0 (the export omits zero values)",
			fmt.Sprintf("timestamp = %s + start_time microseconds, rounded to the second", start.Format("2006-01-02T15:04:05Z07:00")),
		}
		t := s.trace(SanitizeID("google2019-"+strings.ReplaceAll(s.key, "/", "-")), conv)
		t.Meta.AssumedMachine = &model.Resources{CPUMillicores: cores * 1000, MemoryBytes: memBytes}
		out = append(out, t)
	}
	return out, nil
}
