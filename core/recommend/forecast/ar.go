package forecast

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// AR is an autoregressive model y_t = c + sum_i Coef[i] * y_{t-1-i} + e_t,
// fitted by ordinary least squares.
type AR struct {
	C    float64
	Coef []float64
	// Residuals are the in-sample one-step errors, in time order.
	Residuals []float64
	hist      []float64 // the last p observations, oldest first
}

// FitAR fits an AR(p) model to y by least squares (gonum/mat QR).
func FitAR(y []float64, p int) (*AR, error) {
	n := len(y) - p
	if p < 1 || n < 2*(p+1) {
		return nil, fmt.Errorf("AR(%d) needs at least %d points, got %d: %w", p, 3*p+2, len(y), ErrTooShort)
	}
	x := mat.NewDense(n, p+1, nil)
	b := mat.NewVecDense(n, nil)
	for t := p; t < len(y); t++ {
		r := t - p
		x.Set(r, 0, 1)
		for i := 0; i < p; i++ {
			x.Set(r, i+1, y[t-1-i])
		}
		b.SetVec(r, y[t])
	}
	var sol mat.VecDense
	if err := sol.SolveVec(x, b); err != nil {
		// Rank-deficient (e.g. a constant series): fall back to the mean.
		var mean float64
		for _, v := range y {
			mean += v
		}
		mean /= float64(len(y))
		m := &AR{C: mean, Coef: make([]float64, p)}
		m.hist = append([]float64(nil), y[len(y)-p:]...)
		for t := p; t < len(y); t++ {
			m.Residuals = append(m.Residuals, y[t]-mean)
		}
		return m, nil
	}
	m := &AR{C: sol.AtVec(0), Coef: make([]float64, p)}
	for i := 0; i < p; i++ {
		m.Coef[i] = sol.AtVec(i + 1)
	}
	m.Residuals = make([]float64, 0, n)
	for t := p; t < len(y); t++ {
		f := m.C
		for i := 0; i < p; i++ {
			f += m.Coef[i] * y[t-1-i]
		}
		m.Residuals = append(m.Residuals, y[t]-f)
	}
	m.hist = append([]float64(nil), y[len(y)-p:]...)
	return m, nil
}

// Forecast returns the next h values, feeding forecasts back as inputs.
func (m *AR) Forecast(h int) []float64 {
	p := len(m.Coef)
	buf := append([]float64(nil), m.hist...)
	out := make([]float64, h)
	for k := 0; k < h; k++ {
		f := m.C
		for i := 0; i < p; i++ {
			f += m.Coef[i] * buf[len(buf)-1-i]
		}
		out[k] = f
		buf = append(buf, f)
	}
	return out
}
