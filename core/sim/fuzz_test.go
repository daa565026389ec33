package sim

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/updater"
)

// FuzzOracleAndMetrics builds a workload from the fuzz input (pairs of
// uint16 CPU millicores and MiB, 10-minute samples) and checks invariants of
// a run: the oracle is never OOM-killed and never over its CPU request after
// the warm-up, in every update mode; metrics are finite, shares within [0, 1]
// and updates >= restarts; a peak recommender's run gives finite metrics too.
func FuzzOracleAndMetrics(f *testing.F) {
	f.Add([]byte{1, 0, 1, 0, 200, 0, 50, 0, 3, 0, 9, 9, 0, 0, 0, 0}, uint8(0), uint8(2))
	f.Add([]byte{255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 0, 1}, uint8(1), uint8(1))
	f.Add([]byte{10, 0, 10, 0}, uint8(2), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8, warmupSamples uint8) {
		n := len(data) / 4
		if n == 0 || n > 5000 {
			return
		}
		w := Workload{ID: "fuzz", Interval: 10 * time.Minute}
		for i := range n {
			cpu := float64(binary.LittleEndian.Uint16(data[4*i:]))
			mem := float64(binary.LittleEndian.Uint16(data[4*i+2:])) * model.MiB
			w.Samples = append(w.Samples, model.Sample{Time: t0.Add(time.Duration(i) * 10 * time.Minute), CPUMillicores: cpu, MemoryBytes: mem})
		}
		opts := DefaultOptions()
		opts.Warmup = time.Duration(warmupSamples%8) * 10 * time.Minute
		opts.OracleWindow = time.Hour
		opts.Updater.Mode = updater.Modes[int(mode)%(len(updater.Modes)-1)] // every mode but off
		o, err := NewOracle(&w, opts.OracleWindow)
		if err != nil {
			t.Fatal(err)
		}
		var bad []StepRecord
		res, err := RunSteps(&w, o, opts, 0, func(s StepRecord) {
			d := s.Info.Demand
			if !s.Info.Warmup && s.Info.Index > 0 && (s.Info.OOM || d.CPUMillicores > s.Observation.CPURequestMillicores && d.CPUMillicores > 0) {
				bad = append(bad, s)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		// The first sample after the warm-up is the first the oracle's answer
		// can apply to; only a zero peak (request "not set") may leave the
		// initial request in force.
		for _, s := range bad {
			if s.Info.Decision.Action == updater.None && s.Info.Decision.Reason != "no recommendation" {
				t.Fatalf("oracle sample %d: demand %+v, request %v/%v, decision %+v", s.Info.Index, s.Info.Demand,
					s.Observation.CPURequestMillicores, s.Observation.MemoryRequestBytes, s.Info.Decision)
			}
		}
		checkMetrics(t, res.Metrics)
		res, err = Run(&w, &peakRec{margin: 0.15}, opts)
		if err != nil {
			t.Fatal(err)
		}
		checkMetrics(t, res.Metrics)
	})
}

func checkMetrics(t *testing.T, m Metrics) {
	t.Helper()
	for _, v := range []float64{m.CPU.RelativeSlack, m.Memory.RelativeSlack, m.CPU.OverRequestShare, m.CPU.ThrottledShare} {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("share or relative slack %v outside [0, 1]: %+v", v, m)
		}
	}
	for _, v := range []float64{m.CPU.AbsoluteSlackCoreHours, m.Memory.AbsoluteSlackGiBHours, m.Reward} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("metric not finite: %+v", m)
		}
	}
	if m.Restarts > m.Updates || m.CPU.AbsoluteSlackCoreHours < 0 || m.Memory.AbsoluteSlackGiBHours < 0 || m.Reward > 0 {
		t.Fatalf("inconsistent metrics %+v", m)
	}
}
