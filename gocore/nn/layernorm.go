package nn

import (
	"fmt"
	"math"
)

// LayerNormEps is the ε of ALGORITHM.md §7.
const LayerNormEps = 1e-6

// LayerNorm normalises each row: c = x − mean x, σ = √(mean c² + ε),
// x̂ = c/σ, y = γ⊙x̂ + β, with learnable scale γ (init 1) and bias β
// (init 0), both [N] views into a parameter vector.
type LayerNorm[T Float] struct {
	N           int
	Scale, Bias []T
}

func layerNormParams(n int) int { return 2 * n }

// normalizeRow turns row x into x̂ in place and returns 1/σ.
func normalizeRow[T Float](x []T) (rstd T) {
	n := T(len(x))
	var mean T
	for _, v := range x {
		mean += v
	}
	mean /= n
	var sq T
	for j, v := range x {
		c := v - mean
		x[j] = c
		sq += c * c
	}
	rstd = T(1 / math.Sqrt(float64(sq/n+LayerNormEps)))
	for j := range x {
		x[j] *= rstd
	}
	return rstd
}

// affineRow sets y = γ⊙x̂ + β.
func (l LayerNorm[T]) affineRow(y, xhat []T) {
	y = y[:len(xhat)]
	g, b := l.Scale[:len(xhat)], l.Bias[:len(xhat)]
	for j, v := range xhat {
		y[j] = g[j]*v + b[j]
	}
}

// jvpRow sets the tangent x̂̇ = (ċ − x̂·mean(x̂⊙ċ))/σ with ċ = ẋ − mean ẋ,
// then ẏ = γ⊙x̂̇, into dy. dy may alias dx.
func (l LayerNorm[T]) jvpRow(dy, dx, xhat []T, rstd T) {
	n := T(len(xhat))
	dx, dy = dx[:len(xhat)], dy[:len(xhat)]
	var mdx T
	for _, v := range dx {
		mdx += v
	}
	mdx /= n
	var mxc T
	for j, v := range dx {
		mxc += xhat[j] * (v - mdx)
	}
	mxc /= n
	g := l.Scale[:len(xhat)]
	for j, v := range dx {
		dy[j] = g[j] * (v - mdx - xhat[j]*mxc) * rstd
	}
}

// backwardRow accumulates dγ += dy⊙x̂, dβ += dy and sets
// dx = (g − mean g − x̂·mean(g⊙x̂))/σ with g = γ⊙dy. dx may alias dy.
func (l LayerNorm[T]) backwardRow(dx, dScale, dBias, dy, xhat []T, rstd T) {
	n := len(xhat)
	dy, dx = dy[:n], dx[:n]
	dScale, dBias, gamma := dScale[:n], dBias[:n], l.Scale[:n]
	var mg, mgx T
	for j, v := range dy {
		dScale[j] += v * xhat[j]
		dBias[j] += v
		g := gamma[j] * v
		mg += g
		mgx += g * xhat[j]
	}
	mg /= T(n)
	mgx /= T(n)
	for j, v := range dy {
		dx[j] = (gamma[j]*v - mg - xhat[j]*mgx) * rstd
	}
}

func (l LayerNorm[T]) check(op string, rows int, bufs ...[]T) {
	if rows < 0 {
		panic(fmt.Sprintf("nn: LayerNorm.%s: rows = %d", op, rows))
	}
	for _, b := range bufs {
		needIn("LayerNorm", op, "operand", b, rows, l.N)
	}
}

// ForwardTo sets y = LayerNorm(x) for [rows×N] matrices and records x̂
// ([rows×N]) and 1/σ ([rows]) for the derivatives.
func (l LayerNorm[T]) ForwardTo(y, xhat, rstd, x []T, rows int) {
	l.check("ForwardTo", rows, y, xhat, x)
	need("LayerNorm.ForwardTo", "rstd", rstd, rows, 1)
	copy(xhat[:rows*l.N], x)
	for i := 0; i < rows; i++ {
		r := xhat[i*l.N : (i+1)*l.N]
		rstd[i] = normalizeRow(r)
		l.affineRow(y[i*l.N:(i+1)*l.N], r)
	}
}

// JVPTo sets the tangents dy ([rows·P×N]) from dx, P tangents per row of
// the recorded forward pass.
func (l LayerNorm[T]) JVPTo(dy, dx, xhat, rstd []T, rows, p int) {
	l.check("JVPTo", rows*p, dy, dx)
	for i := 0; i < rows*p; i++ {
		r := i / p
		l.jvpRow(dy[i*l.N:(i+1)*l.N], dx[i*l.N:(i+1)*l.N], xhat[r*l.N:(r+1)*l.N], rstd[r])
	}
}

// BackwardTo accumulates dScale and dBias and sets dx from dy.
func (l LayerNorm[T]) BackwardTo(dx, dScale, dBias, dy, xhat, rstd []T, rows int) {
	l.check("BackwardTo", rows, dx, dy, xhat)
	for i := 0; i < rows; i++ {
		l.backwardRow(dx[i*l.N:(i+1)*l.N], dScale, dBias, dy[i*l.N:(i+1)*l.N], xhat[i*l.N:(i+1)*l.N], rstd[i])
	}
}
