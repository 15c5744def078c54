package cpu

import (
	"math"

	"github.com/mfpo/mfpo/gocore/backend"
)

// lnForwardRow turns row x into x̂ in place, sets y = γ⊙x̂ + β and returns
// 1/σ. Sums run over four interleaved accumulators (a fixed order, so
// results stay deterministic) to shorten the addition chains.
func lnForwardRow[T Float](y, x, g, b []T) (rstd T) {
	n := len(x)
	y = y[:n]
	g, b = g[:n], b[:n]
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
	rstd = T(1 / math.Sqrt(float64(sq/T(n))+backend.LayerNormEps))
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

// lnJVPRow sets the tangent x̂̇ = (ċ − x̂·mean(x̂⊙ċ))/σ with ċ = ẋ − mean ẋ,
// then ẏ = γ⊙x̂̇⊙post into dy. dy may alias dx.
func lnJVPRow[T Float](dy, dx, xhat []T, rstd T, g, post []T) {
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
	g = g[:n]
	post = post[:n]
	for j, v := range dx {
		dy[j] = g[j] * (v - mdx - xhat[j]*mxc) * rstd * post[j]
	}
}

// lnBackwardRow accumulates dγ += dy⊙x̂, dβ += dy and sets
// dx = (g − mean g − x̂·mean(g⊙x̂))/σ with g = γ⊙dy, where dy is the
// incoming gradient times pre⊙ (the following GELU's derivative). dx may
// alias the incoming dy, which is then overwritten.
func lnBackwardRow[T Float](dx, dScale, dBias, dy, xhat []T, rstd T, gamma, pre []T) {
	n := len(xhat)
	dy, dx = dy[:n], dx[:n]
	dScale, dBias, gamma = dScale[:n], dBias[:n], gamma[:n]
	mulRow(dx, dy, pre[:n])
	dy = dx
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
