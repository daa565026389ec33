package workloads

import (
	"fmt"
	"github.com/smartvpa/smartvpa/core/model"
	"strings"
)

// readJobs reads one file of the Google 2011 job format: no header, one row
// per 5 minutes with two space-separated columns, CPU and memory utilisation
// in percent of a normalised machine. Rows are ImportOptions.Interval apart
// from ImportOptions.Start; the machine size is assumed
// (DefaultNormalisedCores, DefaultNormalisedBytes unless overridden).
func readJobs(path string, opts *ImportOptions) (*Trace, error) {
	cores := opts.cores(DefaultNormalisedCores)
	memBytes := opts.memory(DefaultNormalisedBytes)
	start, step := opts.start().Unix(), int64(opts.interval().Seconds())
	s := &series{key: fileStem(path), sorted: true}
	names := []string{"cpu_percent", "memory_percent"}
	row := int64(0)
	err := eachLine(path, opts, func(line int, text string) error {
		fields := strings.Fields(text)
		if len(fields) == 0 {
			return nil
		}
		if len(fields) == 1 && strings.ContainsAny(text, ",;") {
			return &InputError{File: path, Line: line, Msg: fmt.Sprintf("wrong separator in %q: want two space-separated columns, cpu%% and memory%%", clip(text))}
		}
		if len(fields) != 2 {
			if len(fields) < 2 {
				return &InputError{File: path, Line: line, Field: names[1], Msg: "missing column: want two space-separated columns, cpu% and memory%"}
			}
			return &InputError{File: path, Line: line, Msg: fmt.Sprintf("want 2 space-separated columns, got %d", len(fields))}
		}
		var v [2]float64
		for i := range v {
			x, err := percentField(path, line, fields, i, names[i])
			if err != nil {
				return err
			}
			v[i] = x
		}
		cpu, mem := v[0]/100*cores*1000, v[1]/100*memBytes
		if err := checkConverted(path, line, names[0], cpu, names[1], mem); err != nil {
			return err
		}
		s.add(path, start+row*step, cpu, mem)
		row++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(s.secs) == 0 {
		return nil, &InputError{File: path, Msg: "no rows"}
	}
	conv := []string{
		fmt.Sprintf("cpu_millicores = column 1 (percent of a normalised machine) / 100 * %g cores * 1000 (assumed machine size)", cores),
		fmt.Sprintf("memory_bytes = column 2 (percent of a normalised machine) / 100 * %s (assumed machine size)", gib(memBytes)),
		fmt.Sprintf("the file has no timestamps: row i is at %s + i * %s", opts.start().Format("2006-01-02T15:04:05Z07:00"), opts.interval()),
	}
	t := s.trace(SanitizeID("jobs-"+s.key), conv)
	t.Meta.AssumedMachine = &model.Resources{CPUMillicores: cores * 1000, MemoryBytes: memBytes}
	t.Meta.Interval = opts.interval()
	return t, nil
}
