// Package backendtest is the conformance suite of the backend seam
// (gocore/backend): every backend's tests call it, as gonum's testblas is
// called by each BLAS implementation's tests. The CPU backend runs it on
// every kernel path the machine has (gocore/backend/cpu's
// conformance_test.go); a device backend runs the same two functions on
// its own backend.
//
// Ops checks every operation of the seam, one table row per operation
// (ops.go) over its shapes: the paper's [256×256] and [2048×256], small
// odd widths 1, 3, 7, 64, 255, 257, rows 1, 5, 128, tangents P = 1, 2, 6,
// inputs from a seeded generator with large magnitudes, near-constant
// LayerNorm rows, GELU's tails and NaN/Inf where the operation's formula
// says what they become. Each float32 result is compared with the float64
// CPU backend (cpu.New[float64]) on the same inputs, within a first-order
// float32 error bound stated per operation (tolerance.go). Every operand
// is a view into one buffer from the backend's Alloc, at offsets that are
// no alignment boundary, between NaN padding: an operation must write its
// outputs only (inputs, padding and the gaps between strided rows stay
// bit-identical), give the same bits when run twice, and allow the
// aliasing the contract and its callers use. The host writes the inputs
// only after Sync and reads the outputs only after Sync.
//
// Update checks the whole update: the float64 check does not apply there
// (the agent is float32 only), so it compares an agent on the backend
// under test with one on the CPU float32 backend on its portable Go
// kernels, from the same seed and stored transitions, after each of a few
// updates (update.go says which figures, within which tolerance).
package backendtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

// seed is the generator's seed; case i of operation k draws from
// PCG(seed, k<<20 | i).
const seed = 0x6261636b656e64

// rounded returns s with its scalars rounded to float32, so that both
// backends get the same values.
func (s shape) rounded() shape {
	for _, x := range []*float64{&s.alpha, &s.beta, &s.lo, &s.hi, &s.gamma} {
		*x = float64(float32(*x))
	}
	return s
}

// Ops runs every row of the table on be against the float64 CPU backend
// and logs the number of op×shape cases and, per operation, the largest
// |got − want| as a fraction of its tolerance.
func Ops(t *testing.T, be backend.Backend[float32]) {
	t.Helper()
	checkAlloc(t, be)
	a32 := &arena[float32]{be: be}
	a64 := &arena[float64]{be: cpu.New[float64]()}
	t32, t64 := table[float32](), table[float64]()
	cases := 0
	for k := range t32 {
		o32, o64 := &t32[k], &t64[k]
		t.Run(o32.name, func(t *testing.T) {
			worst := 0.0
			for i, s := range o32.shapes {
				rng := rand.New(rand.NewPCG(seed, uint64(k)<<20|uint64(i)))
				s = s.rounded()
				var m mismatch
				runCase(&m, a32, a64, o32, o64, s, rng)
				if m.n > 0 {
					t.Errorf("%s %v on %s:\n\t%s", o32.name, s, be.Name(), m.String())
				}
				worst = math.Max(worst, m.worst)
			}
			cases += len(o32.shapes)
			t.Logf("%s: %d shapes, largest error %.3g of the tolerance", o32.name, len(o32.shapes), worst)
		})
	}
	t.Logf("%s: %d operations, %d op×shape cases", be.Name(), len(t32), cases)
}

// runCase runs one operation on one shape: on the backend under test
// twice (the same bits both times) and on the reference, and compares.
func runCase(m *mismatch, a32 *arena[float32], a64 *arena[float64], o32 *op[float32], o64 *op[float64], s shape, rng *rand.Rand) {
	b := layout(o32.args(s, rng))
	run32 := func() ([]float64, []float64) {
		return a32.run(b, func(be backend.Backend[float32], x [][]float32) []float64 { return o32.call(be, x, s) })
	}
	got, gres := run32()
	again, ares := run32()
	if j := sameBits(got, again, b.free); j >= 0 {
		m.addf("not deterministic: region element %d (%s) is %v, then %v", j, b.where(j), got[j], again[j])
	}
	for j := range gres {
		if math.Float64bits(gres[j]) != math.Float64bits(ares[j]) {
			m.addf("not deterministic: result %d is %v, then %v", j, gres[j], ares[j])
		}
	}
	x := make([][]float64, len(b.ops))
	for j := range b.ops {
		if !b.ops[j].isNil {
			x[j] = b.values(j, b.init)
		}
	}
	if o32.check != nil { // random draws: no reference to compare with
		b.compare(m, got, nil, nil)
		g := make([][]float64, len(b.ops))
		for j := range b.ops {
			if !b.ops[j].isNil {
				g[j] = b.values(j, got)
			}
		}
		for _, e := range o32.check(s, x, g, gres) {
			m.addf("%s", e)
		}
		return
	}
	want, wres := a64.run(b, func(be backend.Backend[float64], x [][]float64) []float64 { return o64.call(be, x, s) })
	var rtol []float64
	if o32.resTol != nil {
		rtol = o32.resTol(s, x, wres)
	}
	for j := range wres {
		g, w := gres[j], wres[j]
		ok := g == w || math.IsNaN(g) && math.IsNaN(w)
		if rtol != nil && !math.IsNaN(w) && !math.IsInf(w, 0) {
			bound := rtol[j] + floor
			ok = math.Abs(g-w) <= bound
			if ok && bound > 0 {
				m.worst = math.Max(m.worst, math.Abs(g-w)/bound)
			}
		}
		if !ok {
			m.addf("result %d = %.12g, want %.12g (tolerance %v)", j, g, w, rtol)
		}
	}
	var tol [][]float64
	if o32.tol != nil {
		w := make([][]float64, len(b.ops))
		for j := range b.ops {
			if !b.ops[j].isNil {
				w[j] = b.values(j, want)
			}
		}
		tol = o32.tol(s, x, w)
	}
	b.compare(m, got, want, tol)
}

// checkAlloc checks that Alloc returns n zeroed elements.
func checkAlloc(t *testing.T, be backend.Backend[float32]) {
	t.Helper()
	for _, n := range []int{1, 7, 1 << 16} {
		x := be.Alloc(n)
		be.Sync()
		if len(x) != n {
			t.Fatalf("%s: Alloc(%d) has %d elements", be.Name(), n, len(x))
		}
		for i, v := range x {
			if v != 0 || math.Signbit(float64(v)) {
				t.Fatalf("%s: Alloc(%d)[%d] = %v, want 0", be.Name(), n, i, v)
			}
		}
	}
}
