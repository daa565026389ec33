package lstm

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Net is a one-layer LSTM followed by a linear read-out of the last hidden
// state. All parameters live in one flat vector P so that the optimiser and
// the gradient check treat them uniformly:
//
//	W  (4H x D)  input weights of the gates i, f, o, g (row blocks of H)
//	U  (4H x H)  recurrent weights
//	B  (4H)      biases
//	Wy (H)       read-out weights
//	By (1)       read-out bias
type Net struct {
	D, H int
	P    []float64
}

func (n *Net) sizes() (w, u, b, wy int) { return 4 * n.H * n.D, 4 * n.H * n.H, 4 * n.H, n.H }

// NumParams is the length of P.
func (n *Net) NumParams() int {
	w, u, b, wy := n.sizes()
	return w + u + b + wy + 1
}

// NewNet creates a network with weights drawn from rng (uniform in
// ±1/sqrt(H)) and forget-gate biases of 1.
func NewNet(d, h int, rng *rand.Rand) *Net {
	n := &Net{D: d, H: h}
	n.P = make([]float64, n.NumParams())
	s := 1 / math.Sqrt(float64(h))
	for i := range n.P {
		n.P[i] = (2*rng.Float64() - 1) * s
	}
	_, _, B, _, By := n.views(n.P)
	for i := range B {
		B[i] = 0
	}
	for i := h; i < 2*h; i++ {
		B[i] = 1
	}
	By[0] = 0
	return n
}

// views slices a flat parameter (or gradient) vector into its parts.
func (n *Net) views(p []float64) (inW, recW blas64.General, bias, outW, outB []float64) {
	w, u, b, wy := n.sizes()
	inW = blas64.General{Rows: 4 * n.H, Cols: n.D, Stride: n.D, Data: p[:w]}
	recW = blas64.General{Rows: 4 * n.H, Cols: n.H, Stride: n.H, Data: p[w : w+u]}
	bias = p[w+u : w+u+b]
	outW = p[w+u+b : w+u+b+wy]
	outB = p[w+u+b+wy : w+u+b+wy+1]
	return inW, recW, bias, outW, outB
}

// tape holds the activations of one forward pass for back-propagation.
type tape struct {
	xs      [][]float64
	i, f, o [][]float64
	g, c, h [][]float64
	tanhC   [][]float64
	y       float64
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func vec(n int) blas64.Vector { return blas64.Vector{N: n, Inc: 1, Data: make([]float64, n)} }

// Forward runs the sequence xs (each of length D) and returns the output.
// When tp is not nil it records the activations.
func (n *Net) Forward(xs [][]float64, tp *tape) float64 {
	H := n.H
	W, U, B, Wy, By := n.views(n.P)
	h := make([]float64, H)
	c := make([]float64, H)
	z := vec(4 * H)
	if tp != nil {
		*tp = tape{xs: xs}
	}
	// Without a tape the gates of a step are not kept: one set of buffers
	// serves every step, and the new state is written over the old (each
	// element reads only its own old value, and h is read by the Gemv before
	// it is overwritten), with the same arithmetic as with a tape.
	var buf [][]float64
	if tp == nil {
		buf = make([][]float64, 5)
		for i := range buf {
			buf[i] = make([]float64, H)
		}
	}
	for _, x := range xs {
		copy(z.Data, B)
		blas64.Gemv(blas.NoTrans, 1, W, blas64.Vector{N: n.D, Inc: 1, Data: x}, 1, z)
		blas64.Gemv(blas.NoTrans, 1, U, blas64.Vector{N: H, Inc: 1, Data: h}, 1, z)
		var ig, fg, og, gg, nc, nh, tc []float64
		if tp == nil {
			ig, fg, og, gg, tc, nc, nh = buf[0], buf[1], buf[2], buf[3], buf[4], c, h
		} else {
			ig, fg, og, gg = make([]float64, H), make([]float64, H), make([]float64, H), make([]float64, H)
			nc, nh, tc = make([]float64, H), make([]float64, H), make([]float64, H)
		}
		for k := 0; k < H; k++ {
			ig[k] = sigmoid(z.Data[k])
			fg[k] = sigmoid(z.Data[H+k])
			og[k] = sigmoid(z.Data[2*H+k])
			gg[k] = math.Tanh(z.Data[3*H+k])
			nc[k] = fg[k]*c[k] + ig[k]*gg[k]
			tc[k] = math.Tanh(nc[k])
			nh[k] = og[k] * tc[k]
		}
		if tp != nil {
			tp.i = append(tp.i, ig)
			tp.f = append(tp.f, fg)
			tp.o = append(tp.o, og)
			tp.g = append(tp.g, gg)
			tp.c = append(tp.c, nc)
			tp.h = append(tp.h, nh)
			tp.tanhC = append(tp.tanhC, tc)
		}
		h, c = nh, nc
	}
	y := By[0]
	for k := 0; k < H; k++ {
		y += Wy[k] * h[k]
	}
	if tp != nil {
		tp.y = y
	}
	return y
}

// Backward accumulates into grad (same layout as P) the gradient of a loss
// whose derivative with respect to the output is dy, through time.
func (n *Net) Backward(tp *tape, dy float64, grad []float64) {
	H, T := n.H, len(tp.xs)
	_, U, _, Wy, _ := n.views(n.P)
	gW, _, gB, gWy, gBy := n.views(grad)
	_, gU, _, _, _ := n.views(grad)
	hLast := tp.h[T-1]
	for k := 0; k < H; k++ {
		gWy[k] += dy * hLast[k]
	}
	gBy[0] += dy
	dh := make([]float64, H)
	dc := make([]float64, H)
	for k := 0; k < H; k++ {
		dh[k] = dy * Wy[k]
	}
	dz := vec(4 * H)
	dhPrev := vec(H)
	zeros := make([]float64, H)
	for t := T - 1; t >= 0; t-- {
		cPrev, hPrev := zeros, zeros
		if t > 0 {
			cPrev, hPrev = tp.c[t-1], tp.h[t-1]
		}
		ig, fg, og, gg, tc := tp.i[t], tp.f[t], tp.o[t], tp.g[t], tp.tanhC[t]
		for k := 0; k < H; k++ {
			do := dh[k] * tc[k]
			dct := dc[k] + dh[k]*og[k]*(1-tc[k]*tc[k])
			di := dct * gg[k]
			df := dct * cPrev[k]
			dg := dct * ig[k]
			dc[k] = dct * fg[k]
			dz.Data[k] = di * ig[k] * (1 - ig[k])
			dz.Data[H+k] = df * fg[k] * (1 - fg[k])
			dz.Data[2*H+k] = do * og[k] * (1 - og[k])
			dz.Data[3*H+k] = dg * (1 - gg[k]*gg[k])
		}
		for k := range gB {
			gB[k] += dz.Data[k]
		}
		blas64.Ger(1, dz, blas64.Vector{N: n.D, Inc: 1, Data: tp.xs[t]}, gW)
		blas64.Ger(1, dz, blas64.Vector{N: H, Inc: 1, Data: hPrev}, gU)
		for k := range dhPrev.Data {
			dhPrev.Data[k] = 0
		}
		blas64.Gemv(blas.Trans, 1, U, dz, 0, dhPrev)
		copy(dh, dhPrev.Data)
	}
}

// Pinball is the quantile (pinball) loss of predicting pred for target y at
// quantile tau, and its derivative with respect to pred.
func Pinball(y, pred, tau float64) (loss, dpred float64) {
	u := y - pred
	if u >= 0 {
		return tau * u, -tau
	}
	return (tau - 1) * u, 1 - tau
}

// Example is one training example: an input sequence and the target.
type Example struct {
	X [][]float64
	Y float64
}

// Loss returns the mean pinball loss over examples and, when grad is not
// nil, accumulates its gradient.
func (n *Net) Loss(ex []Example, tau float64, grad []float64) float64 {
	var total float64
	var tp tape
	for _, e := range ex {
		var pred float64
		if grad != nil {
			pred = n.Forward(e.X, &tp)
		} else {
			pred = n.Forward(e.X, nil)
		}
		l, d := Pinball(e.Y, pred, tau)
		total += l
		if grad != nil {
			n.Backward(&tp, d/float64(len(ex)), grad)
		}
	}
	return total / float64(len(ex))
}

// Adam is the Adam optimiser.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	m, v                  []float64
	t                     int
}

// Step applies one update to p with gradient g.
func (a *Adam) Step(p, g []float64) {
	if a.m == nil {
		a.m = make([]float64, len(p))
		a.v = make([]float64, len(p))
	}
	a.t++
	b1t := 1 - math.Pow(a.Beta1, float64(a.t))
	b2t := 1 - math.Pow(a.Beta2, float64(a.t))
	for i := range p {
		a.m[i] = a.Beta1*a.m[i] + (1-a.Beta1)*g[i]
		a.v[i] = a.Beta2*a.v[i] + (1-a.Beta2)*g[i]*g[i]
		p[i] -= a.LR * (a.m[i] / b1t) / (math.Sqrt(a.v[i]/b2t) + a.Eps)
	}
}
