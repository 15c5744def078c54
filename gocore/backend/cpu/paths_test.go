package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/internal/fd"
)

// The float32 kernel paths (kernels.go) are tested one by one, every path
// this CPU runs (t.Log says which), each against the float64 portable
// code run on the same float32 inputs. Paths are never compared bit for
// bit with each other where they round differently (the LayerNorm and
// GELU kernels); where they promise the portable bits (Adam, Polyak,
// SumRows, the GELU′ product) the test holds them to it.
//
// Tolerances, for an output o against the float64 reference r of its row:
//
//	|o − r| ≤ 1e-5·|r| + 1e-5·S
//
// with the row's scale S the magnitude the float32 arithmetic works at:
//
//	LNGELU x̂:      S = max|z|/σ (z = x + bias: centring cancels at |z|)
//	LNGELU h, GELU′: S = max(1, max|γ|·max|z|/σ + max|β|), the reach of y
//	LNGELU 1/σ:    relative 1e-5 alone
//	JVP ẏ:         S = (1/σ)·max|γ|·max|gp|·max|ẋ|·(1 + max|x̂|)
//	backward dx:   S = (1/σ)·max|γ⊙g|·(1 + max|x̂|), g = gp⊙dh
//	backward dγ, dβ: S = the sum of the magnitudes of what is accumulated
//	GELU alone:    |o − r| ≤ 1e-6·max(1, |x|) (the tails' cancellation)
//
// Every path must also be deterministic: the same bits on a second run,
// at another alignment (operands offset by 1…3 elements in NaN-guarded
// buffers, which also catch stray writes of the masked tails), row by
// row alone (no dependence on the row count), in place (the aliasing nn
// uses) and forward-only (nil gp). NaN and ±Inf must come out where the portable float32 path
// puts them.

const (
	pathRel = 1e-5 // relative tolerance of the fused kernels
	pathAbs = 1e-5 // absolute tolerance, times the row's scale S
)

// testWidths straddle the 8- and 16-lane blocks and the unrolled loops.
var testWidths = []int{1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 100, 255, 256, 257}

// forEachPath runs f once per kernel path this CPU supports, with that
// path active, and restores the previous path.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	paths := SupportedKernels()
	t.Logf("kernel paths on this CPU: %s", strings.Join(paths, ", "))
	for _, name := range paths {
		t.Run(name, func(t *testing.T) {
			prev, err := SetKernels(name)
			if err != nil {
				t.Fatal(err)
			}
			defer SetKernels(prev) // prev was active, so it is supported
			if got := New[float32]().Name(); got != "cpu/"+name {
				t.Fatalf("Name() = %q with path %s", got, name)
			}
			f(t)
		})
	}
}

// guarded is a float32 buffer of n elements starting off elements into a
// NaN-padded allocation, and a check that the padding is intact.
func guarded(t *testing.T, n, off int) ([]float32, func()) {
	t.Helper()
	const pad = 16
	buf := make([]float32, n+off+2*pad)
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	x := buf[pad+off : pad+off+n : pad+off+n]
	clear(x)
	return x, func() {
		t.Helper()
		for i, v := range buf {
			if (i < pad+off || i >= pad+off+n) && !math.IsNaN(float64(v)) {
				t.Fatalf("write outside a buffer of %d elements at offset %d (index %d)", n, off, i-pad-off)
			}
		}
	}
}

// copyTo returns src copied into a guarded buffer at offset off.
func copyTo(t *testing.T, src []float32, off int) ([]float32, func()) {
	x, ok := guarded(t, len(src), off)
	copy(x, src)
	return x, ok
}

func randF32(rng *rand.Rand, n int, mean, sd float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(mean + sd*rng.NormFloat64())
	}
	return x
}

func to64(x []float32) []float64 {
	if x == nil {
		return nil
	}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func maxAbs32(x []float32) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// checkRow fails t unless got matches the reference want within
// pathRel·|want| + pathAbs·scale elementwise.
func checkRow(t *testing.T, what string, got []float32, want []float64, scale float64) {
	t.Helper()
	for j := range want {
		d := math.Abs(float64(got[j]) - want[j])
		if !(d <= pathRel*math.Abs(want[j])+pathAbs*scale) {
			t.Fatalf("%s[%d] = %.9g, float64 reference %.9g (|Δ| = %.3g, scale %.3g)", what, j, got[j], want[j], d, scale)
		}
	}
}

// sameBits fails t unless a and b are bit for bit equal.
func sameBits(t *testing.T, what string, a, b []float32) {
	t.Helper()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("%s: element %d differs: %v vs %v", what, i, a[i], b[i])
		}
	}
}

// lnCase is one LNGELU input: rows rows of width w.
type lnCase struct {
	rows, w            int
	x, bias, gamma, bt []float32
}

func newLNCase(rng *rand.Rand, rows, w int, bias bool) lnCase {
	c := lnCase{rows: rows, w: w}
	// Rows at different offsets and spreads, γ around 1, β small: the
	// LayerNorm outputs reach GELU's curved part and both tails.
	c.x = make([]float32, rows*w)
	for i := 0; i < rows; i++ {
		copy(c.x[i*w:], randF32(rng, w, 2*rng.NormFloat64(), math.Exp(rng.NormFloat64())))
	}
	if bias {
		c.bias = randF32(rng, w, 0, 1)
	}
	c.gamma = randF32(rng, w, 1, 0.5)
	c.bt = randF32(rng, w, 0, 0.5)
	return c
}

// lnOut is what LNGELU writes.
type lnOut struct{ h, gp, xhat, rstd []float32 }

// runLN runs the active path's LNGELU on c with every operand at offset
// off in guarded buffers; inPlace passes xhat as the input (nn's use).
func runLN(t *testing.T, c lnCase, off int, inPlace bool) lnOut {
	t.Helper()
	n := c.rows * c.w
	h, hOK := guarded(t, n, off)
	gp, gpOK := guarded(t, n, off+1)
	xhat, xhatOK := guarded(t, n, off+2)
	rstd, rstdOK := guarded(t, c.rows, off+3)
	x, xOK := copyTo(t, c.x, off+3)
	var bias []float32
	if c.bias != nil {
		bias, _ = copyTo(t, c.bias, off+1)
	}
	gamma, gOK := copyTo(t, c.gamma, off+2)
	beta, bOK := copyTo(t, c.bt, off)
	in := x
	if inPlace {
		copy(xhat, c.x)
		in = xhat
	}
	New[float32]().LNGELU(h, gp, xhat, rstd, in, bias, gamma, beta, c.rows, c.w)
	for _, ok := range []func(){hOK, gpOK, xhatOK, rstdOK, xOK, gOK, bOK} {
		ok()
	}
	if !inPlace {
		sameBits(t, "LNGELU input", x, c.x)
	}
	return lnOut{h, gp, xhat, rstd}
}

func TestLNGELUPaths(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := fd.NewRNG(11)
		for _, w := range testWidths {
			for _, bias := range []bool{false, true} {
				c := newLNCase(rng, 3, w, bias)
				got := runLN(t, c, 0, false)
				checkLNReference(t, c, got)
				// Determinism: alignment, aliasing, row count.
				for off := 1; off <= 3; off++ {
					o := runLN(t, c, off, off == 2)
					for _, p := range [][2][]float32{{o.h, got.h}, {o.gp, got.gp}, {o.xhat, got.xhat}, {o.rstd, got.rstd}} {
						sameBits(t, fmt.Sprintf("w=%d offset %d", w, off), p[0], p[1])
					}
				}
				// Forward only (nil gp): h alone, the same bits, in
				// place too.
				for _, inPlace := range []bool{false, true} {
					h, hOK := guarded(t, c.rows*w, 1)
					x, xOK := copyTo(t, c.x, 2)
					in := x
					if inPlace {
						copy(h, c.x)
						in = h
					}
					New[float32]().LNGELU(h, nil, nil, nil, in, c.bias, c.gamma, c.bt, c.rows, w)
					hOK()
					xOK()
					sameBits(t, fmt.Sprintf("w=%d forward-only h (in place %v)", w, inPlace), h, got.h)
				}
				for i := 0; i < c.rows; i++ {
					one := c
					one.rows, one.x = 1, c.x[i*w:(i+1)*w]
					o := runLN(t, one, i, false)
					sameBits(t, fmt.Sprintf("w=%d row %d alone", w, i), o.h, got.h[i*w:(i+1)*w])
					sameBits(t, fmt.Sprintf("w=%d row %d alone", w, i), o.gp, got.gp[i*w:(i+1)*w])
				}
			}
		}
	})
}

// checkLNReference compares an LNGELU result with the float64 portable
// code on the same inputs.
func checkLNReference(t *testing.T, c lnCase, got lnOut) {
	t.Helper()
	rows, w := c.rows, c.w
	be := New[float64]()
	h, gp, xhat, rstd := make([]float64, rows*w), make([]float64, rows*w), make([]float64, rows*w), make([]float64, rows)
	be.LNGELU(h, gp, xhat, rstd, to64(c.x), to64(c.bias), to64(c.gamma), to64(c.bt), rows, w)
	for i := 0; i < rows; i++ {
		z := slices.Clone(c.x[i*w : (i+1)*w])
		for j := range z {
			if c.bias != nil {
				z[j] += c.bias[j]
			}
		}
		m := maxAbs32(z) * rstd[i]
		s := math.Max(1, maxAbs32(c.gamma)*m+maxAbs32(c.bt))
		r := fmt.Sprintf("w=%d row %d ", w, i)
		if d := math.Abs(float64(got.rstd[i]) - rstd[i]); !(d <= pathRel*rstd[i]) {
			t.Fatalf("%s1/σ = %.9g, float64 reference %.9g", r, got.rstd[i], rstd[i])
		}
		checkRow(t, r+"x̂", got.xhat[i*w:(i+1)*w], xhat[i*w:(i+1)*w], m)
		checkRow(t, r+"h", got.h[i*w:(i+1)*w], h[i*w:(i+1)*w], s)
		checkRow(t, r+"GELU′", got.gp[i*w:(i+1)*w], gp[i*w:(i+1)*w], s)
	}
}

// recorded is a forward pass of the active path, the input of the JVP
// and backward tests.
func recorded(t *testing.T, rng *rand.Rand, rows, w int) (lnCase, lnOut) {
	c := newLNCase(rng, rows, w, true)
	return c, runLN(t, c, 0, false)
}

func TestLNGELUJVPPaths(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := fd.NewRNG(12)
		for _, w := range testWidths {
			for _, p := range []int{1, 3} {
				rows := 3
				c, fw := recorded(t, rng, rows, w)
				dx := randF32(rng, rows*p*w, 0.3*rng.NormFloat64(), 1)
				run := func(off int, inPlace bool) []float32 {
					d, dOK := copyTo(t, dx, off)
					dy, dyOK := guarded(t, rows*p*w, off+1)
					if inPlace {
						dy = d
					}
					xhat, _ := copyTo(t, fw.xhat, off+2)
					rstd, _ := copyTo(t, fw.rstd, off+3)
					gp, _ := copyTo(t, fw.gp, off)
					gamma, _ := copyTo(t, c.gamma, off+1)
					New[float32]().LNGELUJVP(dy, d, xhat, rstd, gp, gamma, rows, p, w)
					dOK()
					dyOK()
					return dy
				}
				got := run(0, false)
				want := make([]float64, rows*p*w)
				New[float64]().LNGELUJVP(want, to64(dx), to64(fw.xhat), to64(fw.rstd), to64(fw.gp), to64(c.gamma), rows, p, w)
				for i := 0; i < rows*p; i++ {
					r := i / p
					s := float64(fw.rstd[r]) * maxAbs32(c.gamma) * maxAbs32(fw.gp[r*w:(r+1)*w]) *
						maxAbs32(dx[i*w:(i+1)*w]) * (1 + maxAbs32(fw.xhat[r*w:(r+1)*w]))
					checkRow(t, fmt.Sprintf("w=%d p=%d tangent row %d", w, p, i), got[i*w:(i+1)*w], want[i*w:(i+1)*w], s)
				}
				for off := 1; off <= 3; off++ {
					sameBits(t, fmt.Sprintf("JVP w=%d p=%d offset %d", w, p, off), run(off, off == 2), got)
				}
			}
		}
	})
}

func TestLNGELUBackwardPaths(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := fd.NewRNG(13)
		for _, w := range testWidths {
			rows := 4
			c, fw := recorded(t, rng, rows, w)
			dh := randF32(rng, rows*w, 0, 1)
			dg0, db0 := randF32(rng, w, 0, 1), randF32(rng, w, 0, 1)
			run := func(off int, inPlace bool) (dx, dgamma, dbeta []float32) {
				d, dOK := copyTo(t, dh, off)
				dx, dxOK := guarded(t, rows*w, off+1)
				if inPlace {
					dx = d
				}
				dgamma, dgOK := copyTo(t, dg0, off+2)
				dbeta, dbOK := copyTo(t, db0, off+3)
				xhat, _ := copyTo(t, fw.xhat, off)
				rstd, _ := copyTo(t, fw.rstd, off+1)
				gp, _ := copyTo(t, fw.gp, off+2)
				gamma, _ := copyTo(t, c.gamma, off+3)
				New[float32]().LNGELUBackward(dx, dgamma, dbeta, d, xhat, rstd, gp, gamma, rows, w)
				for _, ok := range []func(){dOK, dxOK, dgOK, dbOK} {
					ok()
				}
				return dx, dgamma, dbeta
			}
			dx, dgamma, dbeta := run(0, false)
			wdx, wdg, wdb := make([]float64, rows*w), to64(dg0), to64(db0)
			New[float64]().LNGELUBackward(wdx, wdg, wdb, to64(dh), to64(fw.xhat), to64(fw.rstd), to64(fw.gp), to64(c.gamma), rows, w)
			sg, sb := make([]float64, w), make([]float64, w)
			for j := range w {
				sg[j], sb[j] = math.Abs(float64(dg0[j])), math.Abs(float64(db0[j]))
			}
			for i := 0; i < rows; i++ {
				var mg float64
				for j := range w {
					g := float64(fw.gp[i*w+j]) * float64(dh[i*w+j])
					mg = math.Max(mg, math.Abs(g*float64(c.gamma[j])))
					sg[j] += math.Abs(g * float64(fw.xhat[i*w+j]))
					sb[j] += math.Abs(g)
				}
				s := float64(fw.rstd[i]) * mg * (1 + maxAbs32(fw.xhat[i*w:(i+1)*w]))
				checkRow(t, fmt.Sprintf("w=%d dx row %d", w, i), dx[i*w:(i+1)*w], wdx[i*w:(i+1)*w], s)
			}
			for j := range w {
				checkRow(t, fmt.Sprintf("w=%d dγ", w), dgamma[j:j+1], wdg[j:j+1], sg[j])
				checkRow(t, fmt.Sprintf("w=%d dβ", w), dbeta[j:j+1], wdb[j:j+1], sb[j])
			}
			for off := 1; off <= 3; off++ {
				a, b, g := run(off, off == 2)
				what := fmt.Sprintf("backward w=%d offset %d", w, off)
				sameBits(t, what, a, dx)
				sameBits(t, what, b, dgamma)
				sameBits(t, what, g, dbeta)
			}
		}
	})
}

// special classifies a float32 result: NaN, +Inf, −Inf or finite.
func special(v float32) string {
	switch f := float64(v); {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return "finite"
}

// sameSpecials fails t unless got has NaN and ±Inf exactly where want
// (the portable float32 path) has them.
func sameSpecials(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if special(got[i]) != special(want[i]) {
			t.Fatalf("%s[%d] = %v, the portable path gives %v", what, i, got[i], want[i])
		}
	}
}

// portable runs f with the portable path active.
func portable(f func()) {
	prev, _ := SetKernels("go")
	defer SetKernels(prev) // prev was active: no error
	f()
}

func TestNonFinitePropagation(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	forEachPath(t, func(t *testing.T) {
		for _, w := range []int{7, 16, 33, 256} {
			rng := fd.NewRNG(14)
			c := newLNCase(rng, 4, w, true)
			c.x[0*w+w/2] = nan  // a NaN row
			c.x[1*w+w-1] = inf  // an infinite row
			c.x[2*w] = -inf     // and −Inf
			c.bias[w/3] = 3e38  // near overflow in every row
			c.x[3*w+w/3] = 3e38 // …and in row 3 z = 6e38 = +Inf
			got := runLN(t, c, 1, false)
			var want lnOut
			portable(func() { want = runLN(t, c, 1, false) })
			for _, p := range [][3]any{{"h", got.h, want.h}, {"GELU′", got.gp, want.gp}, {"x̂", got.xhat, want.xhat}, {"1/σ", got.rstd, want.rstd}} {
				sameSpecials(t, fmt.Sprintf("w=%d %s", w, p[0]), p[1].([]float32), p[2].([]float32))
			}

			// GELU alone on the special values.
			x := []float32{0, nan, inf, -inf, 30, -30, 1e-20, -1e-3, 1e30, -1e30, 8.9, -8.9}
			x = append(x, randF32(rng, w, 0, 4)...)
			h, gp := make([]float32, len(x)), make([]float32, len(x))
			wh, wgp := make([]float32, len(x)), make([]float32, len(x))
			be := New[float32]()
			be.LNGELU(h, gp, nil, nil, x, nil, nil, nil, 1, len(x))
			portable(func() { be.LNGELU(wh, wgp, nil, nil, x, nil, nil, nil, 1, len(x)) })
			sameSpecials(t, "GELU", h, wh)
			sameSpecials(t, "GELU′", gp, wgp)

			// The JVP and backward with a non-finite tangent or gradient.
			c2, fw := recorded(t, rng, 2, w)
			d := randF32(rng, 2*w, 0, 1)
			d[3%w], d[w+w-1] = nan, inf
			for _, name := range []string{"JVP", "backward"} {
				var outs [2][]float32
				for k, run := range []func(func()){func(f func()) { f() }, portable} {
					out := make([]float32, 2*w)
					dg, db := make([]float32, w), make([]float32, w)
					run(func() {
						if name == "JVP" {
							be.LNGELUJVP(out, d, fw.xhat, fw.rstd, fw.gp, c2.gamma, 2, 1, w)
						} else {
							be.LNGELUBackward(out, dg, db, d, fw.xhat, fw.rstd, fw.gp, c2.gamma, 2, w)
							out = append(out, append(dg, db...)...)
						}
					})
					outs[k] = out
				}
				sameSpecials(t, name, outs[0], outs[1])
			}
		}
	})
}

func TestGELUPaths(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := fd.NewRNG(15)
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 31, 256, 259, 1000} {
			x := randF32(rng, n, 0, 4)
			run := func(off int, inPlace bool) ([]float32, []float32) {
				in, inOK := copyTo(t, x, off)
				h, hOK := guarded(t, n, off+1)
				gp, gpOK := guarded(t, n, off+2)
				if inPlace {
					h = in
				}
				New[float32]().LNGELU(h, gp, nil, nil, in, nil, nil, nil, 1, n)
				inOK()
				hOK()
				gpOK()
				return h, gp
			}
			h, gp := run(0, false)
			wh, wgp := make([]float64, n), make([]float64, n)
			geluPortable(wh, wgp, to64(x))
			for i, v := range x {
				tol := 1e-6 * math.Max(1, math.Abs(float64(v)))
				if math.Abs(float64(h[i])-wh[i]) > tol || math.Abs(float64(gp[i])-wgp[i]) > tol {
					t.Fatalf("n=%d, x=%v: (%v, %v), float64 reference (%v, %v)", n, v, h[i], gp[i], wh[i], wgp[i])
				}
			}
			for off := 1; off <= 3; off++ {
				a, b := run(off, off == 2)
				sameBits(t, fmt.Sprintf("GELU n=%d offset %d", n, off), a, h)
				sameBits(t, fmt.Sprintf("GELU′ n=%d offset %d", n, off), b, gp)
			}
			// Forward only (nil gp): the same h.
			fo, foOK := guarded(t, n, 3)
			New[float32]().LNGELU(fo, nil, nil, nil, x, nil, nil, nil, 1, n)
			foOK()
			sameBits(t, fmt.Sprintf("GELU n=%d forward-only", n), fo, h)
			// Elementwise: any prefix gives the same bits.
			ph, pgp := make([]float32, n/2+1), make([]float32, n/2+1)
			New[float32]().LNGELU(ph, pgp, nil, nil, x[:n/2+1], nil, nil, nil, 1, n/2+1)
			sameBits(t, "GELU prefix", ph, h)
			sameBits(t, "GELU′ prefix", pgp, gp)
		}
	})
}

// TestPortableBitsPaths holds the kernels that promise the portable
// code's bits to it (Adam and Polyak, in place and out of place, SumRows,
// the GELU-only JVP and backward), and checks the portable code against
// float64.
func TestPortableBitsPaths(t *testing.T) {
	type result struct{ p, m, v, target, db, mul []float32 }
	type input struct {
		params, grad, m, v, dy, db0 []float32
		rows                        int
	}
	rng := fd.NewRNG(16)
	var ins []input
	for _, n := range []int{1, 7, 8, 17, 64, 257, 1031} {
		in := input{params: randF32(rng, n, 0, 1), grad: randF32(rng, n, 0, 1e-2), m: randF32(rng, n, 0, 1e-3), v: make([]float32, n), rows: 5}
		for i := range in.v {
			in.v[i] = float32(rng.Float64() * 1e-5)
		}
		in.grad[0] = 0
		in.dy, in.db0 = randF32(rng, in.rows*n, 0, 1), randF32(rng, n, 0, 1)
		ins = append(ins, in)
	}
	run := func(t *testing.T, in input, off int) result {
		be := New[float32]()
		n := len(in.params)
		pp, pOK := copyTo(t, in.params, off)
		mm, mOK := copyTo(t, in.m, off+1)
		vv, vOK := copyTo(t, in.v, off+2)
		be.Adam(pp, in.grad, mm, vv, 1e-3, 1e-8, 0.9, 0.999)
		tg, tOK := copyTo(t, in.m, off+3)
		be.Polyak(tg, in.params, 0.005)
		db, dbOK := copyTo(t, in.db0, off)
		be.SumRows(db, in.dy, in.rows)
		mul, mulOK := guarded(t, in.rows*n, off+1)
		be.LNGELUBackward(mul, nil, nil, in.dy, nil, nil, in.dy, nil, in.rows, n)
		// Out of place: the same bits in the destinations, sources untouched.
		pTo, pToOK := guarded(t, n, off+2)
		mTo, mToOK := guarded(t, n, off+3)
		vTo, vToOK := guarded(t, n, off)
		tTo, tToOK := guarded(t, n, off+1)
		src := [][]float32{append([]float32(nil), in.params...), append([]float32(nil), in.m...), append([]float32(nil), in.v...)}
		be.AdamTo(pTo, mTo, vTo, src[0], in.grad, src[1], src[2], 1e-3, 1e-8, 0.9, 0.999)
		be.PolyakTo(tTo, src[1], src[0], 0.005)
		sameBits(t, "AdamTo θ", pTo, pp)
		sameBits(t, "AdamTo m", mTo, mm)
		sameBits(t, "AdamTo v", vTo, vv)
		sameBits(t, "PolyakTo", tTo, tg)
		for i, orig := range [][]float32{in.params, in.m, in.v} {
			sameBits(t, fmt.Sprintf("AdamTo/PolyakTo source %d", i), src[i], orig)
		}
		for _, ok := range []func(){pOK, mOK, vOK, tOK, dbOK, mulOK, pToOK, mToOK, vToOK, tToOK} {
			ok()
		}
		return result{pp, mm, vv, tg, db, mul}
	}
	forEachPath(t, func(t *testing.T) {
		for _, in := range ins {
			var want result
			portable(func() { want = run(t, in, 0) })
			for off := 0; off <= 3; off++ {
				got := run(t, in, off)
				what := fmt.Sprintf("n=%d offset %d", len(in.params), off)
				sameBits(t, what+" Adam θ", got.p, want.p)
				sameBits(t, what+" Adam m", got.m, want.m)
				sameBits(t, what+" Adam v", got.v, want.v)
				sameBits(t, what+" Polyak", got.target, want.target)
				sameBits(t, what+" SumRows", got.db, want.db)
				sameBits(t, what+" GELU-only backward", got.mul, want.mul)
			}
		}
	})

	// The portable float32 code against float64.
	for _, in := range ins {
		var want result
		portable(func() { want = run(t, in, 0) })
		be := New[float64]()
		p64, m64, v64 := to64(in.params), to64(in.m), to64(in.v)
		r := func(x float64) float64 { return float64(float32(x)) } // the float32 inputs
		be.Adam(p64, to64(in.grad), m64, v64, r(1e-3), r(1e-8), r(0.9), r(0.999))
		t64 := to64(in.m)
		be.Polyak(t64, to64(in.params), r(0.005))
		for i := range in.params {
			// Scales: the magnitudes of the terms each result sums.
			step := math.Abs(p64[i] - float64(in.params[i]))
			checkRow(t, "Adam θ", want.p[i:i+1], p64[i:i+1], math.Abs(float64(in.params[i]))+step)
			checkRow(t, "Adam m", want.m[i:i+1], m64[i:i+1], 0.9*math.Abs(float64(in.m[i]))+0.1*math.Abs(float64(in.grad[i])))
			checkRow(t, "Adam v", want.v[i:i+1], v64[i:i+1], 0)
			checkRow(t, "Polyak", want.target[i:i+1], t64[i:i+1], math.Abs(float64(in.m[i])))
		}
	}
}

func TestKernelSelection(t *testing.T) {
	best := SupportedKernels()[len(SupportedKernels())-1]
	if got := New[float64]().Name(); got != "cpu/go" {
		t.Fatalf("float64 Name() = %q, want cpu/go", got)
	}
	for _, tc := range []struct{ req, want, log string }{
		{"", best, ""},
		{"auto", best, ""},
		{"go", "go", ""},
		{" AVX2 ", "avx2", ""},
		{"avx512", "avx512", ""},
		{"sse9", best, "unknown kernel path"},
	} {
		if tc.want != best && !slices.Contains(SupportedKernels(), tc.want) {
			tc.want, tc.log = best, "lacks the "+tc.want+" kernels"
		}
		lv, msg := chooseLevel(tc.req)
		if lv.String() != tc.want || (tc.log == "") != (msg == "") || !strings.Contains(msg, tc.log) {
			t.Errorf("chooseLevel(%q) = %s, %q; want %s and a log line containing %q", tc.req, lv, msg, tc.want, tc.log)
		}
	}
	prev, err := SetKernels("go")
	if err != nil {
		t.Fatal(err)
	}
	defer SetKernels(prev) // prev was active: no error
	if _, err := SetKernels("sse9"); err == nil || Kernels() != "go" {
		t.Fatalf("SetKernels(sse9) = %v, path now %s; want an error and no change", err, Kernels())
	}
	for _, name := range []string{"avx2", "avx512"} {
		_, err := SetKernels(name)
		if slices.Contains(SupportedKernels(), name) != (err == nil) {
			t.Fatalf("SetKernels(%s) = %v with paths %v", name, err, SupportedKernels())
		}
		t.Logf("SetKernels(%s): %v", name, err)
	}
}

// TestKernelsEnv runs this test binary with MFPO_CPU_KERNELS set and
// checks the path that package initialisation chose, and the log line of
// a bad request.
func TestKernelsEnv(t *testing.T) {
	if os.Getenv("MFPO_KERNELS_CHILD") == "1" {
		fmt.Printf("path=%s\n", Kernels())
		return
	}
	best := SupportedKernels()[len(SupportedKernels())-1]
	for _, tc := range []struct{ env, want, log string }{
		{"go", "go", ""},
		{"bogus", best, "unknown kernel path"},
		{"", best, ""},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKernelsEnv$")
		cmd.Env = append(os.Environ(), "MFPO_KERNELS_CHILD=1", kernelsEnv+"="+tc.env)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s=%q: %v\n%s", kernelsEnv, tc.env, err, out)
		}
		if !strings.Contains(string(out), "path="+tc.want+"\n") || !strings.Contains(string(out), tc.log) {
			t.Fatalf("%s=%q: want path %s and log %q, got:\n%s", kernelsEnv, tc.env, tc.want, tc.log, out)
		}
		if tc.log == "" && strings.Contains(string(out), kernelsEnv) {
			t.Fatalf("%s=%q logged:\n%s", kernelsEnv, tc.env, out)
		}
	}
}
