package forecast

import (
	"math"

	"github.com/smartvpa/smartvpa/core/model"
)

// ApplyPolicy clamps lower, target and upper to the policy's minAllowed and
// maxAllowed and clears resources the policy does not control. The uncapped
// target is left as is (for controlled resources).
func ApplyPolicy(rec model.Recommendation, p model.ContainerPolicy) model.Recommendation {
	for _, res := range model.AllResources {
		if !p.Controls(res) {
			rec.Lower = rec.Lower.Set(res, 0)
			rec.Target = rec.Target.Set(res, 0)
			rec.Upper = rec.Upper.Set(res, 0)
			rec.UncappedTarget = rec.UncappedTarget.Set(res, 0)
			continue
		}
		lo, hi := p.MinAllowed.Get(res), p.MaxAllowed.Get(res)
		clamp := func(v float64) float64 {
			if lo > 0 {
				v = math.Max(v, lo)
			}
			if hi > 0 {
				v = math.Min(v, hi)
			}
			return v
		}
		rec.Lower = rec.Lower.Set(res, clamp(rec.Lower.Get(res)))
		rec.Target = rec.Target.Set(res, clamp(rec.Target.Get(res)))
		rec.Upper = rec.Upper.Set(res, clamp(rec.Upper.Get(res)))
	}
	return rec
}

// PolicyCaps names the caps the policy applies to resource res of rec.
func PolicyCaps(rec model.Recommendation, p model.ContainerPolicy, res model.Resource) []string {
	if !p.Controls(res) {
		return []string{"not controlled"}
	}
	var caps []string
	t := rec.Target.Get(res)
	if lo := p.MinAllowed.Get(res); lo > 0 && t < lo {
		caps = append(caps, "minAllowed")
	}
	if hi := p.MaxAllowed.Get(res); hi > 0 && t > hi {
		caps = append(caps, "maxAllowed")
	}
	return caps
}
