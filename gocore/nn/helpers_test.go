package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The derivative checks run in float64, where a central difference with
// step fdStep has truncation error O(h²) ≈ 1e-10 and rounding error
// O(ε/h) ≈ 1e-11 relative to the function's scale.
const (
	fdStep = 1e-5
	fdTol  = 1e-6 // |analytic − numeric| ≤ fdTol·(1 + |analytic|)
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6d66706f)) }

func randVec(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

func dot(x, y []float64) float64 {
	s := 0.0
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}

// guardPad is the number of NaN elements on each side of a guarded buffer.
const guardPad = 17

// guarded returns a slice of n elements inside a buffer padded on both
// sides with NaN, and a check that fails t when a kernel wrote into the
// padding. The slice's capacity stops at its length, so appends are no
// way around the guard either.
func guarded[T Float](t *testing.T, n int) ([]T, func()) {
	t.Helper()
	buf := make([]T, n+2*guardPad)
	for i := range buf {
		buf[i] = T(math.NaN())
	}
	x := buf[guardPad : guardPad+n : guardPad+n]
	for i := range x {
		x[i] = 0
	}
	return x, func() {
		t.Helper()
		for i := 0; i < guardPad; i++ {
			if !math.IsNaN(float64(buf[i])) || !math.IsNaN(float64(buf[guardPad+n+i])) {
				t.Fatalf("write outside the guarded buffer of %d elements (pad index %d)", n, i)
			}
		}
	}
}

// checkClose fails t unless got and want agree within fdTol.
func checkClose(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > fdTol*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %.12g, finite differences give %.12g", what, i, got[i], want[i])
		}
	}
}

// numGrad returns the central-difference gradient of f at x (x is
// restored).
func numGrad(x []float64, f func() float64) []float64 {
	g := make([]float64, len(x))
	for i := range x {
		v := x[i]
		x[i] = v + fdStep
		fp := f()
		x[i] = v - fdStep
		fm := f()
		x[i] = v
		g[i] = (fp - fm) / (2 * fdStep)
	}
	return g
}

// numJVP returns the central-difference directional derivative of the
// vector function f along direction v of the variables xs (restored).
func numJVP(xs [][]float64, vs [][]float64, f func() []float64) []float64 {
	shift := func(s float64) {
		for k, x := range xs {
			for i := range x {
				x[i] += s * vs[k][i]
			}
		}
	}
	shift(fdStep)
	fp := append([]float64(nil), f()...)
	shift(-2 * fdStep)
	fm := append([]float64(nil), f()...)
	shift(fdStep)
	d := make([]float64, len(fp))
	for i := range d {
		d[i] = (fp[i] - fm[i]) / (2 * fdStep)
	}
	return d
}

// expectPanic fails t unless f panics with a message starting "nn: ".
func expectPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		s, ok := r.(string)
		if !ok || len(s) < 4 || s[:4] != "nn: " {
			t.Fatalf("%s: want a panic with an \"nn: \" message, got %v", what, r)
		}
	}()
	f()
}
