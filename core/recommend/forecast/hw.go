package forecast

import (
	"errors"
	"math"
)

// HoltWinters is an additive Holt-Winters model (level, damped trend and an
// additive season of Period steps; Period 0 means no season, i.e. Holt's
// linear method).
type HoltWinters struct {
	Alpha, Beta, Gamma, Phi float64
	Period                  int

	level, trend float64
	season       []float64 // season[i] is the component for step t with t mod Period == i
	n            int       // number of observations consumed
	// Residuals are the one-step-ahead errors y_t - forecast_t after the
	// initialisation period, in time order.
	Residuals []float64
	SSE       float64
}

// ErrTooShort is returned when a series is too short to fit a model.
var ErrTooShort = errors.New("series too short")

// Fit runs the smoothing equations over y with the model's parameters.
func (m *HoltWinters) Fit(y []float64) error {
	p := m.Period
	init := 2
	if p > 0 {
		init = p
	}
	if len(y) < init+2 || (p > 0 && len(y) < 2*p) {
		return ErrTooShort
	}
	m.Residuals = m.Residuals[:0]
	m.SSE = 0
	if p > 0 {
		var a, b float64
		for i := 0; i < p; i++ {
			a += y[i]
			b += y[p+i]
		}
		a /= float64(p)
		b /= float64(p)
		m.level = a
		m.trend = (b - a) / float64(p)
		if cap(m.season) >= p {
			m.season = m.season[:p]
		} else {
			m.season = make([]float64, p)
		}
		for i := 0; i < p; i++ {
			m.season[i] = y[i] - a
		}
		// Roll the level to the end of the first period.
		m.level = a + m.trend*float64(p-1)/2
	} else {
		m.level = y[0]
		m.trend = y[1] - y[0]
		m.season = m.season[:0]
		init = 1
	}
	for t := init; t < len(y); t++ {
		f := m.oneStep(t)
		e := y[t] - f
		m.Residuals = append(m.Residuals, e)
		m.SSE += e * e
		m.update(t, y[t])
	}
	m.n = len(y)
	return nil
}

func (m *HoltWinters) oneStep(t int) float64 {
	f := m.level + m.Phi*m.trend
	if m.Period > 0 {
		f += m.season[t%m.Period]
	}
	return f
}

func (m *HoltWinters) update(t int, y float64) {
	var s float64
	if m.Period > 0 {
		s = m.season[t%m.Period]
	}
	prevLevel := m.level
	m.level = m.Alpha*(y-s) + (1-m.Alpha)*(prevLevel+m.Phi*m.trend)
	m.trend = m.Beta*(m.level-prevLevel) + (1-m.Beta)*m.Phi*m.trend
	if m.Period > 0 {
		m.season[t%m.Period] = m.Gamma*(y-m.level) + (1-m.Gamma)*s
	}
}

// Forecast returns the forecasts for the next h steps after the fitted series.
func (m *HoltWinters) Forecast(h int) []float64 {
	out := make([]float64, h)
	damp := 0.0
	phiK := 1.0
	for k := 1; k <= h; k++ {
		phiK *= m.Phi
		damp += phiK
		f := m.level + damp*m.trend
		if m.Period > 0 {
			f += m.season[(m.n+k-1)%m.Period]
		}
		out[k-1] = f
	}
	return out
}

// FitHoltWinters fits a Holt-Winters model of the given period by a grid
// search over the smoothing parameters minimising the one-step squared error.
func FitHoltWinters(y []float64, period int, phi float64) (*HoltWinters, error) {
	alphas := []float64{0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9}
	betas := []float64{0, 0.02, 0.1}
	gammas := []float64{0.05, 0.15, 0.3, 0.5}
	if period == 0 {
		gammas = []float64{0}
	}
	var best *HoltWinters
	trial := &HoltWinters{Phi: phi, Period: period}
	for _, a := range alphas {
		for _, b := range betas {
			for _, g := range gammas {
				trial.Alpha, trial.Beta, trial.Gamma = a, b, g
				if err := trial.Fit(y); err != nil {
					return nil, err
				}
				if best == nil || trial.SSE < best.SSE {
					cp := *trial
					cp.season = append([]float64(nil), trial.season...)
					cp.Residuals = append([]float64(nil), trial.Residuals...)
					best = &cp
				}
			}
		}
	}
	if best == nil || math.IsNaN(best.SSE) {
		return nil, ErrTooShort
	}
	return best, nil
}
