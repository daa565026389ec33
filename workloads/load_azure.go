package workloads

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/smartvpa/smartvpa/core/model"
)

// Azure Public Dataset (2017/2019) files: headerless CSV, often gzipped.
var (
	azReadingCols = []string{"timestamp", "vmid", "min_cpu", "max_cpu", "avg_cpu"}
	azVMTableCols = []string{"vmid", "subscriptionid", "deploymentid", "vmcreated", "vmdeleted", "maxcpu", "avgcpu", "p95maxcpu", "vmcategory", "vmcorecountbucket", "vmmemorybucket"}
)

type azVM struct {
	cores, memGiB float64
	notes         []string
}

// parseBucket reads a vmtable size bucket such as "4" or ">24"; an open
// bucket ">N" is taken as N (its lower bound).
func parseBucket(s string) (v float64, open bool, err error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, ">"); ok {
		s, open = rest, true
	}
	v, err = strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || v > 1e6 {
		return 0, false, fmt.Errorf("not a size bucket %q: want a number such as \"4\" or \">24\"", clip(s))
	}
	return v, open, nil
}

func readVMTable(paths []string, opts *ImportOptions) (map[string]azVM, error) {
	out := map[string]azVM{}
	for _, p := range paths {
		err := eachCSVRow(p, azVMTableCols, opts, func(line int, f []string) error {
			var vm azVM
			for _, c := range []struct {
				i    int
				dst  *float64
				unit string
			}{{9, &vm.cores, "cores"}, {10, &vm.memGiB, "GiB"}} {
				v, open, err := parseBucket(f[c.i])
				if err != nil {
					return &InputError{File: p, Line: line, Field: azVMTableCols[c.i], Msg: err.Error()}
				}
				*c.dst = v
				if open {
					vm.notes = append(vm.notes, fmt.Sprintf("%s bucket %q taken as its lower bound %g %s", azVMTableCols[c.i], f[c.i], v, c.unit))
				}
			}
			out[f[0]] = vm
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func importAzure(usage, meta []string, opts *ImportOptions) ([]*Trace, error) {
	vms, err := readVMTable(meta, opts)
	if err != nil {
		return nil, err
	}
	start := opts.start()
	ss := newSeriesSet(opts.Limit)
	cores := func(id string) float64 {
		if opts.MachineCores > 0 {
			return opts.MachineCores
		}
		if vm, ok := vms[id]; ok {
			return vm.cores
		}
		return DefaultAzureCores
	}
	for _, p := range usage {
		err := eachCSVRow(p, azReadingCols, opts, func(line int, f []string) error {
			if f[1] == "" {
				return &InputError{File: p, Line: line, Field: "vmid", Msg: "empty value"}
			}
			s := ss.get(f[1])
			if s == nil {
				return nil
			}
			ts, err := timeOffsetField(p, line, f, 0, "timestamp", 1)
			if err != nil {
				return err
			}
			for i := 2; i <= 3; i++ {
				if _, err := usageField(p, line, f, i, azReadingCols[i]); err != nil {
					return err
				}
			}
			avg, err := percentField(p, line, f, 4, "avg_cpu")
			if err != nil {
				return err
			}
			cpu := avg / 100 * cores(f[1]) * 1000
			if err := checkConverted(p, line, "avg_cpu", cpu, "", 0); err != nil {
				return err
			}
			s.add(p, relSeconds(start, ts), cpu, 0)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]*Trace, 0, len(ss.order))
	for _, s := range ss.order {
		vm, ok := vms[s.key]
		c := cores(s.key)
		src := "vmtable vmcorecountbucket"
		switch {
		case opts.MachineCores > 0:
			src = "given"
		case !ok:
			src = "assumed, no vmtable row"
		}
		conv := []string{
			fmt.Sprintf("cpu_millicores = avg_cpu / 100 * %g cores (%s) * 1000", c, src),
			"memory_bytes = 0: the Azure CPU readings have no memory usage",
			fmt.Sprintf("timestamp = %s + timestamp seconds (timestamp counts from the trace start)", start.Format("2006-01-02T15:04:05Z07:00")),
		}
		if ok {
			s.request = &model.Resources{CPUMillicores: vm.cores * 1000, MemoryBytes: vm.memGiB * model.GiB}
			conv = append(conv, "originalRequest = the VM size from vmtable: vmcorecountbucket * 1000 millicores and vmmemorybucket GB taken as GiB")
			conv = append(conv, vm.notes...)
		}
		id := s.key
		if len(id) > 24 {
			id = id[:24]
		}
		t := s.trace(SanitizeID("azure-"+id), conv)
		t.Meta.AssumedMachine = &model.Resources{CPUMillicores: c * 1000}
		out = append(out, t)
	}
	return out, nil
}
