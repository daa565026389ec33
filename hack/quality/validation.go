package main

// The shipped models on the workloads they hold out for validation: which
// those are, their backtests, and their section of the report.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
	"github.com/smartvpa/smartvpa/core/sim"
)

// validationIDs returns the workloads the model files in dir were not
// trained on: their validation ids (train --holdout), which must be the
// same in every file (smart's candidates are the other models).
func validationIDs(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var ids []string
	first := ""
	for _, p := range paths {
		m, err := modelfile.Read(p, "")
		if err != nil {
			return nil, err
		}
		if first == "" {
			ids, first = m.TrainingSet.Validation, p
			continue
		}
		if !slices.Equal(ids, m.TrainingSet.Validation) {
			return nil, fmt.Errorf("%s and %s hold out different workloads: train them on the same stores with the same --holdout (make models)", first, p)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no model file in %s holds out workloads for validation: train with --holdout N (make models)", dir)
	}
	return ids, nil
}

// validationPaths returns the folders (dir/FAMILY/ID) of the validation
// workloads of the model files in in.models, and each id's family.
func validationPaths(in input) ([]string, map[string]string, error) {
	ids, err := validationIDs(in.models)
	if err != nil {
		return nil, nil, err
	}
	var paths []string
	family := map[string]string{}
	for _, id := range ids {
		for _, f := range in.families {
			p := filepath.Join(in.dir, f, id)
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				paths = append(paths, p)
				family[id] = f
				break
			}
		}
		if _, ok := family[id]; !ok {
			return nil, nil, fmt.Errorf("validation workload %s of %s is in none of the stores %s under %s: rebuild them (make models-workloads)", id, in.models, strings.Join(in.families, ", "), in.dir)
		}
	}
	return paths, family, nil
}

// validation is the backtests of the shipped models on their validation
// workloads, by budget, and each workload's family.
type validation struct {
	reports map[string]sim.Report
	family  map[string]string
	n       map[string]int // workloads per family
}

func readValidation(in input) (*validation, error) {
	_, family, err := validationPaths(in)
	if err != nil {
		return nil, err
	}
	v := &validation{reports: map[string]sim.Report{}, family: family, n: map[string]int{}}
	for _, f := range family {
		v.n[f]++
	}
	for _, b := range in.budgets {
		r, err := read(filepath.Join(in.dir, fmt.Sprintf("validation-%s.json", b)))
		if err != nil {
			return nil, err
		}
		for _, res := range r.Results {
			if _, ok := family[res.Workload]; !ok {
				return nil, fmt.Errorf("validation-%s.json: workload %s is not one %s holds out: rerun make quality", b, res.Workload, in.models)
			}
		}
		v.reports[b] = r
	}
	return v, nil
}

// validationBars prints the bars of issue 17 for the shipped models on their
// validation workloads, per family and pooled.
func validationBars(b *bytes.Buffer, in input, v *validation, recs []string, seed int64) {
	if !hasBarBudgets(in) {
		return
	}
	var counts []string
	for _, f := range in.families {
		if v.n[f] > 0 {
			counts = append(counts, fmt.Sprintf("%s %d of %d", f, v.n[f], storeSize(filepath.Join(in.dir, f))))
		}
	}
	fmt.Fprintf(b, "## The shipped models on series of the same families they were not trained on\n\n")
	fmt.Fprintf(b, "`make models` trains the shipped models (%s/*.json) on part of each family's series and holds out the rest\n", in.models)
	fmt.Fprintf(b, "(`train --holdout`); here every recommender is backtested with the shipped models on those held-out series.\n")
	fmt.Fprintf(b, "Unlike the folds above, the families' other series were in training: this is the estimate for other series of\n")
	fmt.Fprintf(b, "the same traces. The same bars and columns as above. Held-out series: %s.\n\n", strings.Join(counts, ", "))
	var sets []barSet
	pooled := barSet{name: "pooled", results: map[string][]sim.Result{}}
	for _, f := range in.families {
		if v.n[f] == 0 {
			continue
		}
		st := barSet{name: f, results: map[string][]sim.Result{}}
		for _, bud := range []string{"1h", "12h"} {
			for _, r := range v.reports[bud].Results {
				if v.family[r.Workload] == f {
					st.results[bud] = append(st.results[bud], r)
				}
			}
			pooled.results[bud] = append(pooled.results[bud], st.results[bud]...)
		}
		sets = append(sets, st)
	}
	sets = append(sets, pooled)
	barTables(b, sets, recs, "###", seed)
	riskMatched(b, sets, recs, seed, true)
}

// validationTables prints the full tables of the validation backtests per
// budget, the comparison against vpa per dataset.
func validationTables(b *bytes.Buffer, in input, v *validation) {
	fmt.Fprintf(b, "## The shipped models on their held-out series, all figures\n\n")
	for _, bud := range in.budgets {
		r := v.reports[bud]
		fmt.Fprintf(b, "### held-out series, budget %s\n\n", budgetName(bud))
		table(b, r.Summary, nil)
		comparison(b, r.Comparison, "")
	}
}

// storeSize is the number of workloads (folders) in a store.
func storeSize(dir string) int {
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		if e.IsDir() {
			n++
		}
	}
	return n
}
