package vpa

import (
	"testing"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

var _ recommend.ReplicaRecommender = (*Recommender)(nil)

func newDefault(t *testing.T) *Recommender {
	t.Helper()
	r, err := New(DefaultOptions(), recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Issue 20 case 15: upstream keeps one memory peak per pod and window. With
// 9 pods at 1 GiB and one at 2 GiB the p90 memory target is that of 1 GiB;
// one shared window would make it that of 2 GiB. (The 2 GiB pod is fed
// first in each round: its window ends no later than the others', so its
// decayed weight is not above theirs and the 9/10 = p90 tie holds, as with
// upstream's equal window ends.)
func TestReplicaMemoryPeaks(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	mem := func(pod int) float64 {
		if pod == 0 {
			return 2 * model.GiB
		}
		return model.GiB
	}
	perPod, shared := newDefault(t), newDefault(t)
	only1, only2 := newDefault(t), newDefault(t)
	for m := 0; m < 60; m++ {
		for pod := range 10 {
			s := model.Sample{Time: start.Add(time.Duration(m)*time.Minute + time.Duration(pod)), CPUMillicores: 100, MemoryBytes: mem(pod)}
			perPod.AddReplicaSample(pod, m == 0, s)
			shared.AddSample(s)
		}
		only1.AddSample(model.Sample{Time: start.Add(time.Duration(m) * time.Minute), CPUMillicores: 100, MemoryBytes: model.GiB})
		only2.AddSample(model.Sample{Time: start.Add(time.Duration(m) * time.Minute), CPUMillicores: 100, MemoryBytes: 2 * model.GiB})
	}
	now := start.Add(time.Hour)
	target := func(r *Recommender) float64 {
		rec, ok := r.Recommend(now)
		if !ok {
			t.Fatal("no recommendation")
		}
		return rec.Target.MemoryBytes
	}
	if got, want := target(perPod), target(only1); got != want {
		t.Errorf("per-pod windows: memory target %.0f, want %.0f (the 1 GiB pods' p90)", got, want)
	}
	if got, want := target(shared), target(only2); got != want {
		t.Errorf("one shared window: memory target %.0f, want %.0f (the 2 GiB peak)", got, want)
	}
	if target(perPod) >= target(shared) {
		t.Errorf("per-pod target %.0f not below the shared window's %.0f", target(perPod), target(shared))
	}
}

// The OOM bump uses the killed pod's own peak, not the largest of all pods.
func TestReplicaOOMUsesKilledPodsPeak(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r := newDefault(t)
	r.AddReplicaSample(0, true, model.Sample{Time: start, CPUMillicores: 100, MemoryBytes: 2 * model.GiB})
	r.AddReplicaSample(1, true, model.Sample{Time: start.Add(1), CPUMillicores: 100, MemoryBytes: 300 * model.MiB})
	r.AddReplicaOOM(1, false, model.OOMEvent{Time: start.Add(time.Minute), MemoryRequestBytes: 256 * model.MiB})
	// Pod 1's window holds the bump of its own 300 MiB peak: max(300 MiB +
	// 100 MiB, 300 MiB * 1.2) = 400 MiB, not of pod 0's 2 GiB.
	if got, want := r.replicas[1].oomPeak, int64(400*model.MiB); got != want {
		t.Errorf("oom peak of the killed pod = %d, want %d", got, want)
	}
	if r.replicas[0].memPeak != int64(2*model.GiB) {
		t.Errorf("other pod's peak changed: %d", r.replicas[0].memPeak)
	}
}

// A new pod in a slot starts its own window: its peak adds to the
// histogram even within the old pod's window.
func TestReplicaStartOpensNewWindow(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r := newDefault(t)
	r.AddReplicaSample(0, true, model.Sample{Time: start, CPUMillicores: 100, MemoryBytes: model.GiB})
	w0 := r.mem.total
	r.AddReplicaSample(0, false, model.Sample{Time: start.Add(time.Minute), CPUMillicores: 100, MemoryBytes: 512 * model.MiB})
	if r.mem.total != w0 {
		t.Fatalf("a lower sample in the same pod's window changed the histogram")
	}
	r.AddReplicaSample(0, true, model.Sample{Time: start.Add(2 * time.Minute), CPUMillicores: 100, MemoryBytes: 512 * model.MiB})
	if r.mem.total <= w0 {
		t.Errorf("a recreated pod's first sample did not add its own peak (total %g, was %g)", r.mem.total, w0)
	}
}

// Minimums are the floors New applies, split between the containers.
func TestMinimums(t *testing.T) {
	for _, tt := range []struct {
		containers int
		cpu, mem   float64
	}{{0, 25, 250 * model.MiB}, {1, 25, 250 * model.MiB}, {2, 12, 125 * model.MiB}, {3, 8, 87381333}} {
		got := Minimums(DefaultOptions(), tt.containers)
		want := model.Resources{CPUMillicores: tt.cpu, MemoryBytes: tt.mem}
		if got.Target != want || got.Lower != want || got.Upper != want || got.UncappedTarget != want {
			t.Errorf("%d containers: %+v, want %+v", tt.containers, got, want)
		}
		r, err := New(DefaultOptions(), recommend.Config{ContainersInPod: tt.containers})
		if err != nil {
			t.Fatal(err)
		}
		if float64(r.minCPU) != tt.cpu || float64(r.minMem) != tt.mem {
			t.Errorf("%d containers: New's floors %d/%d differ", tt.containers, r.minCPU, r.minMem)
		}
	}
}
