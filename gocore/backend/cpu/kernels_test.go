package cpu

import (
	"math"
	"testing"

	"github.com/mfpo/mfpo/gocore/internal/fd"
)

// The fused layer kernel is checked in float64 three ways: the backward
// pass against central finite differences of L = ⟨w, h⟩ (γ, β and the
// input), the JVP against finite differences along random directions
// (P tangents per row), and the adjoint identity ⟨JVP(x; v), w⟩ =
// ⟨v, VJP(x; w)⟩. Outputs are written into NaN-guarded buffers.
func TestLNGELUDerivatives(t *testing.T) {
	for _, tc := range []struct {
		name      string
		layerNorm bool
		bias      bool
	}{{"LayerNorm+GELU", true, false}, {"bias+LayerNorm+GELU", true, true}, {"GELU", false, false}} {
		t.Run(tc.name, func(t *testing.T) {
			be := New[float64]()
			rng := fd.NewRNG(3)
			n, rows, p := 6, 3, 2
			x, w := fd.RandVec(rng, rows*n), fd.RandVec(rng, rows*n)
			for i := range x {
				x[i] *= 2 // reach GELU's curved part and tails
			}
			var gamma, beta, bias []float64
			if tc.layerNorm {
				gamma, beta = fd.RandVec(rng, n), fd.RandVec(rng, n)
			}
			if tc.bias {
				bias = fd.RandVec(rng, n)
			}
			h, hOK := fd.Guarded[float64](t, rows*n)
			gp := make([]float64, rows*n)
			xhat, rstd := make([]float64, rows*n), make([]float64, rows)
			forward := func() []float64 {
				be.LNGELU(h, gp, xhat, rstd, x, bias, gamma, beta, rows, n)
				return h
			}
			loss := func() float64 { return fd.Dot(forward(), w) }

			loss()
			dgamma, dbeta := make([]float64, n), make([]float64, n)
			dx, dxOK := fd.Guarded[float64](t, rows*n)
			if !tc.layerNorm {
				dgamma, dbeta = nil, nil
			}
			be.LNGELUBackward(dx, dgamma, dbeta, w, xhat, rstd, gp, gamma, rows, n)
			fd.CheckClose(t, "dx", dx, fd.NumGrad(x, loss))
			if tc.layerNorm {
				fd.CheckClose(t, "dγ", dgamma, fd.NumGrad(gamma, loss))
				fd.CheckClose(t, "dβ", dbeta, fd.NumGrad(beta, loss))
			}

			v := fd.RandVec(rng, rows*p*n)
			dy, dyOK := fd.Guarded[float64](t, rows*p*n)
			forward()
			be.LNGELUJVP(dy, v, xhat, rstd, gp, gamma, rows, p, n)
			for k := 0; k < p; k++ {
				vk := make([]float64, rows*n)
				got := make([]float64, rows*n)
				for i := 0; i < rows; i++ {
					copy(vk[i*n:(i+1)*n], v[(i*p+k)*n:(i*p+k+1)*n])
					copy(got[i*n:(i+1)*n], dy[(i*p+k)*n:(i*p+k+1)*n])
				}
				fd.CheckClose(t, "JVP", got, fd.NumJVP([][]float64{x}, [][]float64{vk}, forward))
				if a, b := fd.Dot(got, w), fd.Dot(vk, dx); math.Abs(a-b) > 1e-12*(1+math.Abs(a)) {
					t.Fatalf("adjoint: %v vs %v", a, b)
				}
			}
			hOK()
			dxOK()
			dyOK()
		})
	}
}

func TestGELUAnalyticValues(t *testing.T) {
	// GELU(0) = 0, GELU′(0) = ½, GELU(x) → x for large x and → 0 for
	// large −x.
	be := New[float64]()
	x := []float64{0, 30, -30}
	h, gp := make([]float64, 3), make([]float64, 3)
	be.LNGELU(h, gp, nil, nil, x, nil, nil, nil, 1, 3)
	if h[0] != 0 || gp[0] != 0.5 || h[1] != 30 || h[2] != 0 {
		t.Fatalf("GELU(0, 30, −30) = %v, GELU′(0) = %v", h, gp[0])
	}
}

func TestLayerKernelShapePanics(t *testing.T) {
	be := New[float64]()
	s := func(n int) []float64 { return make([]float64, n) }
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"LNGELU short input", func() { be.LNGELU(s(6), s(6), s(6), s(2), s(5), nil, s(3), s(3), 2, 3) }},
		{"LNGELU short rstd", func() { be.LNGELU(s(6), s(6), s(6), s(1), s(6), nil, s(3), s(3), 2, 3) }},
		{"GELU short output", func() { be.LNGELU(s(2), s(3), nil, nil, s(3), nil, nil, nil, 1, 3) }},
		{"LNGELUJVP short tangent", func() { be.LNGELUJVP(s(12), s(11), s(6), s(2), s(6), s(3), 2, 2, 3) }},
		{"Fourier short out", func() { be.Fourier(s(7), s(2), s(2), 2) }},
		{"Adam length mismatch", func() { be.Adam(s(3), s(3), s(3), s(2), 1, 1, 0.9, 0.99) }},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Fatalf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

func TestTanh32(t *testing.T) {
	// Relative error against float64 tanh, over a dense grid of float32
	// values and the special values.
	var worst float64
	for i := -200000; i <= 200000; i++ {
		x := float32(i) * 6e-5 // ±12
		y := []float32{x}
		tanh32InPlace(y)
		want := math.Tanh(float64(x))
		err := math.Abs(float64(y[0]) - want)
		if want != 0 {
			err /= math.Abs(want)
		}
		worst = math.Max(worst, err)
	}
	if worst > 5e-7 {
		t.Fatalf("tanh32: worst relative error %.3g, want ≤ 5e-7", worst)
	}
	sp := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), 0, 1e-30, float32(math.NaN())}
	tanh32InPlace(sp)
	if math.Abs(float64(sp[0])-1) > 3e-7 || math.Abs(float64(sp[1])+1) > 3e-7 || sp[2] != 0 || sp[3] != 1e-30 || !math.IsNaN(float64(sp[4])) {
		t.Fatalf("tanh32(+Inf, −Inf, 0, 1e-30, NaN) = %v", sp)
	}
}

func TestSinCos2Pi(t *testing.T) {
	for i := -300000; i <= 300000; i++ {
		x := float64(i) * 1.37e-4 // ±41 turns
		s, c := sinCos2Pi(x)
		ws, wc := math.Sincos(2 * math.Pi * x)
		if math.Abs(s-ws) > 2e-9 || math.Abs(c-wc) > 2e-9 {
			t.Fatalf("sinCos2Pi(%v) = %v, %v; want %v, %v", x, s, c, ws, wc)
		}
	}
}

func TestFourierFloat32ReusesEqualTimes(t *testing.T) {
	// Rows with equal times (copied) equal rows computed afresh.
	be := New[float32]()
	freq := make([]float32, 5)
	for i, v := range fd.RandVec(fd.NewRNG(6), 5) {
		freq[i] = float32(v)
	}
	ts := []float32{0.3, 0.3, 0.7, 0.3}
	out := make([]float32, 4*10)
	be.Fourier(out, ts, freq, 4)
	one := make([]float32, 10)
	for i, ti := range ts {
		be.Fourier(one, []float32{ti}, freq, 1)
		for k := range one {
			if one[k] != out[i*10+k] {
				t.Fatalf("row %d differs from a fresh evaluation", i)
			}
		}
	}
}
