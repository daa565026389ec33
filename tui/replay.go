package tui

import (
	"sort"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend"
)

// replayPoints is how many times a replay asks the recommender for its
// target: more than a chart of the widest screens has columns.
const replayPoints = 400

// ReplayTargets shows what a recommender would have asked for over a
// history: it feeds hist (and the OOM kills, each when its time comes) to
// rec, a fresh one, in time order and records its target at points evenly
// spaced samples, the last one included. A point before the recommender's
// first recommendation has a zero target. Sources call it from Detail (it
// runs the recommender, never from View).
func ReplayTargets(rec recommend.Recommender, hist []model.Sample, ooms []model.OOMEvent, points int) []model.Sample {
	n := len(hist)
	if n == 0 || points <= 0 {
		return nil
	}
	points = min(points, n)
	out := make([]model.Sample, 0, points)
	next, nextOOM := 0, 0
	for i, s := range hist {
		for nextOOM < len(ooms) && !ooms[nextOOM].Time.After(s.Time) {
			rec.AddOOM(ooms[nextOOM])
			nextOOM++
		}
		rec.AddSample(s)
		// Point k is taken after sample (k+1)*n/points - 1.
		for next < points && i >= (next+1)*n/points-1 {
			p := model.Sample{Time: s.Time}
			if r, ok := rec.Recommend(s.Time); ok {
				p.CPUMillicores, p.MemoryBytes = r.Target.CPUMillicores, r.Target.MemoryBytes
			}
			out = append(out, p)
			next++
		}
	}
	return out
}

// targetAt returns the replayed target in force at t: the last point at or
// before t (zero before the first).
func targetAt(targets []model.Sample, t time.Time) model.Sample {
	i := sort.Search(len(targets), func(i int) bool { return targets[i].Time.After(t) })
	if i == 0 {
		return model.Sample{}
	}
	return targets[i-1]
}

// exceedance is what a history says against a request and the replayed
// target: the share of samples with usage above the request, the share
// above the target in force then (samples with a target only).
func exceedance(hist, targets []model.Sample, res model.Resource, request float64) (aboveRequest, aboveTarget float64, withTarget int) {
	if len(hist) == 0 {
		return 0, 0, 0
	}
	var overReq, overTarget int
	for _, s := range hist {
		v := valueOf(s, res)
		if request > 0 && v > request {
			overReq++
		}
		if t := valueOf(targetAt(targets, s.Time), res); t > 0 {
			withTarget++
			if v > t {
				overTarget++
			}
		}
	}
	aboveRequest = float64(overReq) / float64(len(hist))
	if withTarget > 0 {
		aboveTarget = float64(overTarget) / float64(withTarget)
	}
	return aboveRequest, aboveTarget, withTarget
}
