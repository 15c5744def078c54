// Package fd holds the test helpers of the derivative checks shared by
// gocore/nn, the backends and the critics: float64 central finite differences,
// NaN-guarded buffers, random vectors and the float64 C51 projection.
package fd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend"
)

// The derivative checks run in float64, where a central difference with
// step Step has truncation error O(h²) ≈ 1e-10 and rounding error
// O(ε/h) ≈ 1e-11 relative to the function's scale.
const (
	Step = 1e-5
	Tol  = 1e-6 // |analytic − numeric| ≤ Tol·(1 + |analytic|)
)

// NewRNG is the tests' seeded generator.
func NewRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6d66706f)) }

// RandVec is n standard normal draws.
func RandVec(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// Dot is ⟨x, y⟩.
func Dot(x, y []float64) float64 {
	s := 0.0
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}

// guardPad is the number of NaN elements on each side of a guarded buffer.
const guardPad = 17

// Guarded returns a slice of n elements inside a buffer padded on both
// sides with NaN, and a check that fails t when a kernel wrote into the
// padding. The slice's capacity stops at its length, so appends are no
// way around the guard either.
func Guarded[T backend.Float](t *testing.T, n int) ([]T, func()) {
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

// CheckClose fails t unless got and want agree within Tol.
func CheckClose(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > Tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %.12g, finite differences give %.12g", what, i, got[i], want[i])
		}
	}
}

// NumGrad returns the central-difference gradient of f at x (x is
// restored).
func NumGrad(x []float64, f func() float64) []float64 {
	g := make([]float64, len(x))
	for i := range x {
		v := x[i]
		x[i] = v + Step
		fp := f()
		x[i] = v - Step
		fm := f()
		x[i] = v
		g[i] = (fp - fm) / (2 * Step)
	}
	return g
}

// NumJVP returns the central-difference directional derivative of the
// vector function f along direction vs of the variables xs (restored).
func NumJVP(xs [][]float64, vs [][]float64, f func() []float64) []float64 {
	shift := func(s float64) {
		for k, x := range xs {
			for i := range x {
				x[i] += s * vs[k][i]
			}
		}
	}
	shift(Step)
	fp := append([]float64(nil), f()...)
	shift(-2 * Step)
	fm := append([]float64(nil), f()...)
	shift(Step)
	d := make([]float64, len(fp))
	for i := range d {
		d[i] = (fp[i] - fm[i]) / (2 * Step)
	}
	return d
}
