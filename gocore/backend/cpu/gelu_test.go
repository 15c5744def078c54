package cpu

import (
	"math"
	"testing"

	"github.com/mfpo/mfpo/gocore/internal/fd"
)

func TestGELUVectorKernelMatchesPortable(t *testing.T) {
	if !useAVX2 {
		t.Log("no AVX2+FMA on this CPU: the portable path is the only path")
	}
	// Lengths around the 8-lane blocks, values across the tails, and the
	// special values, at an unaligned offset.
	rng := fd.NewRNG(90)
	for _, n := range []int{1, 7, 8, 9, 31, 256, 259} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(4 * rng.NormFloat64())
		}
		if n >= 8 {
			copy(x, []float32{0, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 30, -30, 1e-20, -1e-3})
		}
		g, gOK := fd.Guarded[float32](t, n)
		gp, gpOK := fd.Guarded[float32](t, n)
		gelu32(g, gp, x)
		gOK()
		gpOK()
		wg, wgp := make([]float32, n), make([]float32, n)
		geluPortable(wg, wgp, x)
		for i := range x {
			if !close32(g[i], wg[i], x[i]) || !close32(gp[i], wgp[i], x[i]) {
				t.Fatalf("n=%d, x=%v: kernel gives (%v, %v), portable (%v, %v)", n, x[i], g[i], gp[i], wg[i], wgp[i])
			}
		}
	}
}

// close32 accepts the rounding differences of fused multiply-adds. In
// float32, 1 + tanh z and 1 − tanh² z cancel in the tails, so both paths
// carry an absolute error of order 1e-7·|x| there: allow 1e-6·max(1, |x|).
// NaN must meet NaN.
func close32(a, b, x float32) bool {
	if math.IsNaN(float64(a)) || math.IsNaN(float64(b)) {
		return math.IsNaN(float64(a)) && math.IsNaN(float64(b))
	}
	if math.IsInf(float64(b), 0) {
		return a == b
	}
	d := math.Abs(float64(a) - float64(b))
	return d <= 1e-6*math.Max(1, math.Abs(float64(x)))
}
