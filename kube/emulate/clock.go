package emulate

import "time"

// Clock maps wall time to workload time and back: workload time runs Speedup
// times faster than wall time, and WallStart is WorkloadStart (the workload's
// first sample).
type Clock struct {
	WallStart     time.Time
	WorkloadStart time.Time
	Speedup       float64
}

// WorkloadTime returns the workload time at wall time wall.
func (c Clock) WorkloadTime(wall time.Time) time.Time {
	return c.WorkloadStart.Add(time.Duration(float64(wall.Sub(c.WallStart)) * c.Speedup))
}

// WallTime returns the wall time at which the workload reaches t.
func (c Clock) WallTime(t time.Time) time.Time {
	return c.WallStart.Add(time.Duration(float64(t.Sub(c.WorkloadStart)) / c.Speedup))
}

// WallDuration returns the wall time that workload duration d takes.
func (c Clock) WallDuration(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.Speedup)
}
