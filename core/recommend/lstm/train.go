package lstm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend/forecast"
)

// Features is the number of inputs per time step: peak and mean (both
// divided by the sequence's mean peak) and the hour of day as sin and cos.
const Features = 4

// Params are the trained model: what the model file stores.
type Params struct {
	Window time.Duration `json:"window"`
	Seq    int           `json:"seq"`
	Hidden int           `json:"hidden"`
	CPU    NetParams     `json:"cpu"`
	Memory NetParams     `json:"memory"`
}

// NetParams are one resource's network and its quantile.
type NetParams struct {
	Quantile float64   `json:"quantile"`
	Margin   float64   `json:"margin"`
	Weights  []float64 `json:"weights"`
	// FinalLoss is the training loss of the last epoch.
	FinalLoss float64 `json:"finalLoss"`
}

// TrainOptions configure training.
type TrainOptions struct {
	Window    time.Duration
	Seq       int
	Hidden    int
	Epochs    int
	BatchSize int
	LR        float64
	// Quantiles per resource (CPU, memory) of the next window's peak.
	Quantiles [2]float64
	Margins   [2]float64
	// MaxExamples bounds the examples per resource (a seeded subsample).
	MaxExamples int
}

// DefaultTrainOptions trains in about a minute on one core.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{Window: time.Hour, Seq: 24, Hidden: 12, Epochs: 8, BatchSize: 32, LR: 0.01,
		Quantiles: [2]float64{0.9, 0.98}, Margins: [2]float64{0.05, 0.1}, MaxExamples: 8000}
}

// sequence builds the input of the T windows ending before index end and the
// scale they were divided by.
func sequence(ws []forecast.Window, r, end, steps int) ([][]float64, float64) {
	var s float64
	for j := end - steps; j < end; j++ {
		s += ws[j].Peak[r]
	}
	s /= float64(steps)
	if s <= 0 {
		s = 1
	}
	xs := make([][]float64, steps)
	for j := end - steps; j < end; j++ {
		hod := float64(ws[j].Start.Hour()) + float64(ws[j].Start.Minute())/60
		xs[j-end+steps] = []float64{ws[j].Peak[r] / s, ws[j].Mean[r] / s, math.Sin(2 * math.Pi * hod / 24), math.Cos(2 * math.Pi * hod / 24)}
	}
	return xs, s
}

// Examples turns window series into training examples for resource r.
func Examples(series [][]forecast.Window, r, steps int) []Example {
	var out []Example
	for _, ws := range series {
		for end := steps; end < len(ws); end++ {
			xs, s := sequence(ws, r, end, steps)
			y := ws[end].Peak[r] / s
			if math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			out = append(out, Example{X: xs, Y: math.Min(y, 50)})
		}
	}
	return out
}

// Progress receives a line per epoch.
type Progress func(resource string, epoch, epochs int, loss float64)

// Train trains one network per resource on the window series with rng.
func Train(series [][]forecast.Window, o TrainOptions, rng *rand.Rand, progress Progress) (*Params, error) {
	p := &Params{Window: o.Window, Seq: o.Seq, Hidden: o.Hidden}
	for r, name := range []string{"cpu", "memory"} {
		ex := Examples(series, r, o.Seq)
		if len(ex) < o.BatchSize {
			return nil, fmt.Errorf("lstm: %d training examples for %s, need at least %d: give longer or more workloads", len(ex), name, o.BatchSize)
		}
		rng.Shuffle(len(ex), func(i, j int) { ex[i], ex[j] = ex[j], ex[i] })
		if o.MaxExamples > 0 && len(ex) > o.MaxExamples {
			ex = ex[:o.MaxExamples]
		}
		net := NewNet(Features, o.Hidden, rng)
		opt := &Adam{LR: o.LR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
		grad := make([]float64, net.NumParams())
		var loss float64
		for ep := 0; ep < o.Epochs; ep++ {
			rng.Shuffle(len(ex), func(i, j int) { ex[i], ex[j] = ex[j], ex[i] })
			var sum float64
			var nb int
			for b := 0; b+o.BatchSize <= len(ex); b += o.BatchSize {
				for i := range grad {
					grad[i] = 0
				}
				sum += net.Loss(ex[b:b+o.BatchSize], o.Quantiles[r], grad)
				nb++
				opt.Step(net.P, grad)
			}
			loss = sum / float64(nb)
			if progress != nil {
				progress(name, ep+1, o.Epochs, loss)
			}
		}
		np := NetParams{Quantile: o.Quantiles[r], Margin: o.Margins[r], Weights: net.P, FinalLoss: loss}
		if r == 0 {
			p.CPU = np
		} else {
			p.Memory = np
		}
	}
	return p, nil
}
