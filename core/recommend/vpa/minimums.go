package vpa

import "github.com/smartvpa/smartvpa/core/model"

// Minimums returns upstream's recommendation for a container with no sample
// yet: its share of the pod minimums (PodMinCPUMillicores and
// PodMinMemoryMiB divided by containersInPod, truncated as upstream's
// ScaleResource does) as lower bound, target, upper bound and uncapped
// target. Upstream publishes it for every container of a VPA's matched pods
// before their first sample; the estimator's empty histogram gives 0 (or
// NaN) and the floors win.
func Minimums(o Options, containersInPod int) model.Recommendation {
	fraction := 1 / float64(max(containersInPod, 1))
	m := model.Resources{
		CPUMillicores: float64(scaleAmount(amountFromFloat(o.PodMinCPUMillicores*0.001*1000), fraction)),
		MemoryBytes:   float64(scaleAmount(amountFromFloat(o.PodMinMemoryMiB*1024*1024), fraction)),
	}
	return model.Recommendation{Lower: m, Target: m, Upper: m, UncappedTarget: m}
}
