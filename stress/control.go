package stress

import (
	"math"
	"time"
)

// The agent's controllers are pure functions of what was measured, so that
// they can be tested without burning CPU.

// splitDuty spreads a CPU command over workers: every worker gets the same
// duty cycle (busy fraction of its period), at most 1. Spreading over all
// workers rather than filling one at a time keeps each thread's demand low,
// which the kernel's fair scheduler serves best on a busy node.
func splitDuty(millicores float64, workers int) []float64 {
	d := make([]float64, workers)
	if workers == 0 || !(millicores > 0) {
		return d
	}
	duty := math.Min(millicores/(1000*float64(workers)), 1)
	for i := range d {
		d[i] = duty
	}
	return d
}

// cpuController corrects the CPU command so that the process's measured CPU
// meets the target: the workers account their own thread CPU time, so the
// command starts at the target, and an integral term adds what the rest of
// the process (runtime, HTTP) and the workers' rounding add or miss.
type cpuController struct {
	// Gain is the share of the last window's error added to the correction.
	Gain float64
	// MaxMillicores is the most the workers can burn (workers x 1000).
	MaxMillicores float64
	// correction is the integral term in millicores.
	correction float64
}

// command returns the millicores to ask of the workers, given the target and
// the CPU measured over the last window (measured < 0: no measurement yet).
func (c *cpuController) command(target, measured float64) float64 {
	if !(target > 0) {
		c.correction = 0
		return 0
	}
	if measured >= 0 {
		c.correction += c.Gain * (target - measured)
	}
	// anti-windup: never correct by more than a quarter of the target, nor
	// ask for more than the workers can give
	lim := target / 4
	c.correction = math.Max(-lim, math.Min(lim, c.correction))
	return math.Max(0, math.Min(c.MaxMillicores, target+c.correction))
}

// memoryChunks returns how many chunks of chunkBytes the agent must hold so
// that its resident set reaches targetBytes, given the resident set measured
// while holding held chunks: what the process uses besides the chunks stays,
// the chunks make up the rest, rounded to the nearest chunk.
func memoryChunks(targetBytes, rssBytes float64, held, chunkBytes int) int {
	overhead := math.Max(rssBytes-float64(held)*float64(chunkBytes), 0)
	want := math.Round((targetBytes - overhead) / float64(chunkBytes))
	if !(want > 0) {
		return 0
	}
	return int(want)
}

// burnBudget is the CPU time a worker must burn in one period at duty, with
// carry the time it fell short in the previous period; the carry is bounded
// so that a worker starved for a while does not burst afterwards.
func burnBudget(duty float64, period, carry time.Duration) time.Duration {
	b := time.Duration(duty*float64(period)) + min(max(carry, 0), period/2)
	return min(b, period)
}

// cpuMillicores is the average CPU rate between two cumulative CPU times.
func cpuMillicores(cpuBefore, cpuAfter, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return 1000 * float64(cpuAfter-cpuBefore) / float64(wall)
}
