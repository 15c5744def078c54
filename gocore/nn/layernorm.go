package nn

import (
	"fmt"
	"math"
)

// LayerNormEps is the ε of docs/algorithm.md §7.
const LayerNormEps = 1e-6

// LayerNorm normalises each row: c = x − mean x, σ = √(mean c² + ε),
// x̂ = c/σ, y = γ⊙x̂ + β, with learnable scale γ (init 1) and bias β
// (init 0), both [N] views into a parameter vector.
type LayerNorm[T Float] struct {
	N           int
	Scale, Bias []T
}

func layerNormParams(n int) int { return 2 * n }

// forwardRow turns row x into x̂ in place, sets y = γ⊙x̂ + β and returns
// 1/σ. Sums run over four interleaved accumulators (a fixed order, so
// results stay deterministic) to shorten the addition chains.
func (l LayerNorm[T]) forwardRow(y, x []T) (rstd T) {
	n := len(x)
	y = y[:n]
	g, b := l.Scale[:n], l.Bias[:n]
	mean := sum4(x) / T(n)
	var s0, s1, s2, s3 T
	j := 0
	for ; j+4 <= n; j += 4 {
		c0, c1, c2, c3 := x[j]-mean, x[j+1]-mean, x[j+2]-mean, x[j+3]-mean
		x[j], x[j+1], x[j+2], x[j+3] = c0, c1, c2, c3
		s0 += c0 * c0
		s1 += c1 * c1
		s2 += c2 * c2
		s3 += c3 * c3
	}
	for ; j < n; j++ {
		c := x[j] - mean
		x[j] = c
		s0 += c * c
	}
	sq := (s0 + s1) + (s2 + s3)
	rstd = T(1 / math.Sqrt(float64(sq/T(n))+LayerNormEps))
	for j, c := range x {
		v := c * rstd
		x[j] = v
		y[j] = g[j]*v + b[j]
	}
	return rstd
}

// sum4 is Σx over four interleaved accumulators.
func sum4[T Float](x []T) T {
	var s0, s1, s2, s3 T
	j := 0
	for ; j+4 <= len(x); j += 4 {
		s0 += x[j]
		s1 += x[j+1]
		s2 += x[j+2]
		s3 += x[j+3]
	}
	for ; j < len(x); j++ {
		s0 += x[j]
	}
	return (s0 + s1) + (s2 + s3)
}

// jvpRow sets the tangent x̂̇ = (ċ − x̂·mean(x̂⊙ċ))/σ with ċ = ẋ − mean ẋ,
// then ẏ = γ⊙x̂̇, into dy, times post⊙ when post is not nil (the next
// GELU's derivative, fused here to save a pass). dy may alias dx.
func (l LayerNorm[T]) jvpRow(dy, dx, xhat []T, rstd T, post []T) {
	n := len(xhat)
	dx, dy = dx[:n], dy[:n]
	mdx := sum4(dx) / T(n)
	// mean(x̂⊙ċ) over four interleaved accumulators.
	var s0, s1, s2, s3 T
	j := 0
	for ; j+4 <= n; j += 4 {
		s0 += xhat[j] * (dx[j] - mdx)
		s1 += xhat[j+1] * (dx[j+1] - mdx)
		s2 += xhat[j+2] * (dx[j+2] - mdx)
		s3 += xhat[j+3] * (dx[j+3] - mdx)
	}
	for ; j < n; j++ {
		s0 += xhat[j] * (dx[j] - mdx)
	}
	mxc := ((s0 + s1) + (s2 + s3)) / T(n)
	g := l.Scale[:n]
	if post == nil {
		for j, v := range dx {
			dy[j] = g[j] * (v - mdx - xhat[j]*mxc) * rstd
		}
		return
	}
	post = post[:n]
	for j, v := range dx {
		dy[j] = g[j] * (v - mdx - xhat[j]*mxc) * rstd * post[j]
	}
}

// backwardRow accumulates dγ += dy⊙x̂, dβ += dy and sets
// dx = (g − mean g − x̂·mean(g⊙x̂))/σ with g = γ⊙dy, where dy is the
// incoming gradient times pre⊙ when pre is not nil (the following GELU's
// derivative, fused here to save a pass). dx may alias the incoming dy,
// which is then overwritten.
func (l LayerNorm[T]) backwardRow(dx, dScale, dBias, dy, xhat []T, rstd T, pre []T) {
	n := len(xhat)
	dy, dx = dy[:n], dx[:n]
	dScale, dBias, gamma := dScale[:n], dBias[:n], l.Scale[:n]
	if pre != nil {
		mulRow(dx, dy, pre[:n])
		dy = dx
	}
	var g0, g1, x0, x1 T
	j := 0
	for ; j+2 <= n; j += 2 {
		v0, v1 := dy[j], dy[j+1]
		dScale[j] += v0 * xhat[j]
		dScale[j+1] += v1 * xhat[j+1]
		dBias[j] += v0
		dBias[j+1] += v1
		a0, a1 := gamma[j]*v0, gamma[j+1]*v1
		g0 += a0
		g1 += a1
		x0 += a0 * xhat[j]
		x1 += a1 * xhat[j+1]
	}
	for ; j < n; j++ {
		v := dy[j]
		dScale[j] += v * xhat[j]
		dBias[j] += v
		a := gamma[j] * v
		g0 += a
		x0 += a * xhat[j]
	}
	mg := (g0 + g1) / T(n)
	mgx := (x0 + x1) / T(n)
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
		rstd[i] = l.forwardRow(y[i*l.N:(i+1)*l.N], r)
	}
}

// JVPTo sets the tangents dy ([rows·P×N]) from dx, P tangents per row of
// the recorded forward pass.
func (l LayerNorm[T]) JVPTo(dy, dx, xhat, rstd []T, rows, p int) {
	l.check("JVPTo", rows*p, dy, dx)
	for i := 0; i < rows*p; i++ {
		r := i / p
		l.jvpRow(dy[i*l.N:(i+1)*l.N], dx[i*l.N:(i+1)*l.N], xhat[r*l.N:(r+1)*l.N], rstd[r], nil)
	}
}

// BackwardTo accumulates dScale and dBias and sets dx from dy.
func (l LayerNorm[T]) BackwardTo(dx, dScale, dBias, dy, xhat, rstd []T, rows int) {
	l.check("BackwardTo", rows, dx, dy, xhat)
	for i := 0; i < rows; i++ {
		l.backwardRow(dx[i*l.N:(i+1)*l.N], dScale, dBias, dy[i*l.N:(i+1)*l.N], xhat[i*l.N:(i+1)*l.N], rstd[i], nil)
	}
}
