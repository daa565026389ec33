package autopilot

import (
	"time"

	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

// LoadOptions returns the ML options from the model file at path, the default
// model's when path is empty and one is registered, else DefaultMLOptions.
func LoadOptions(path string) (MLOptions, error) {
	f, err := modelfile.Resolve(path, "autopilot")
	if err != nil || f == nil {
		return DefaultMLOptions(), err
	}
	var o MLOptions
	if err := f.DecodeParams(&o); err != nil {
		return MLOptions{}, err
	}
	c := f.Check()
	o.Check(c)
	if err := c.Err(); err != nil {
		return MLOptions{}, err
	}
	return o, nil
}

// The ranges a model file's options must be in: wide enough for any sweep,
// narrow enough that no option can make a limit negative, infinite or NaN,
// or an index out of range.
const (
	maxModels  = 64   // halfLives or margins per resource
	maxMargin  = 10   // a 1000 % safety margin
	maxWeight  = 1e6  // the cost weights
	maxFloor   = 1e15 // millicores or bytes
	maxMinStep = 100_000
)

// Check range-checks o (the fields of a model file's "params").
func (o MLOptions) Check(c *modelfile.Checker) {
	for _, r := range []struct {
		name string
		r    MLResource
	}{{"cpu", o.CPU}, {"memory", o.Memory}} {
		c.Durations(r.name+".halfLives", r.r.HalfLives, 1, maxModels, time.Second, 10*365*24*time.Hour)
		c.Floats(r.name+".margins", r.r.Margins, 1, maxModels, 0, maxMargin)
		c.Float(r.name+".wOverrun", r.r.WOverrun, 0, maxWeight)
		c.Float(r.name+".wUnderrun", r.r.WUnderrun, 0, maxWeight)
		c.Float(r.name+".wChangeLimit", r.r.WChangeLimit, 0, maxWeight)
		c.Float(r.name+".wChangeModel", r.r.WChangeModel, 0, maxWeight)
		c.Duration(r.name+".costHalfLife", r.r.CostHalfLife, time.Second, 10*365*24*time.Hour)
		c.Float(r.name+".floor", r.r.Floor, 0, maxFloor)
	}
	c.Duration("step", o.Step, time.Second, 24*time.Hour)
	c.Int("minSteps", o.MinSteps, 0, maxMinStep)
}
