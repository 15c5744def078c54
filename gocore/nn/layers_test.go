package nn

import (
	"math"
	"testing"
)

// Each layer is checked three ways in float64: the backward pass against
// central finite differences of L = ⟨w, y⟩ (parameters and inputs), the
// JVP against finite differences along a random direction, and the
// adjoint identity ⟨JVP(x; v), w⟩ = ⟨v, VJP(x; w)⟩. Outputs are written
// into NaN-guarded buffers.

func TestDenseDerivatives(t *testing.T) {
	rng := newRNG(1)
	in, out, rows := 5, 4, 3
	p := randVec(rng, denseParams(in, out))
	d := denseAt(p, 0, in, out)
	x, w := randVec(rng, rows*in), randVec(rng, rows*out)
	y, yOK := guarded[float64](t, rows*out)
	loss := func() float64 { d.ForwardTo(y, x, rows); return dot(y, w) }

	grad := make([]float64, len(p))
	dx, dxOK := guarded[float64](t, rows*in)
	loss()
	d.BackwardTo(dx, grad[:in*out], grad[in*out:], w, x, rows)
	checkClose(t, "dParams", grad, numGrad(p, loss))
	checkClose(t, "dx", dx, numGrad(x, loss))

	v := randVec(rng, rows*in)
	dy, dyOK := guarded[float64](t, rows*out)
	d.JVPTo(dy, v, rows)
	checkClose(t, "JVP", dy, numJVP([][]float64{x}, [][]float64{v}, func() []float64 { d.ForwardTo(y, x, rows); return y }))
	if a, b := dot(dy, w), dot(v, dx); math.Abs(a-b) > 1e-12*(1+math.Abs(a)) {
		t.Fatalf("adjoint: ⟨JVP v, w⟩ = %v, ⟨v, VJP w⟩ = %v", a, b)
	}
	yOK()
	dxOK()
	dyOK()
}

func TestDenseSingleRowMatchesBatch(t *testing.T) {
	// rows = 1 takes the matrix-vector path of the BLAS seam.
	rng := newRNG(2)
	in, out, rows := 7, 9, 4
	p := randVec(rng, denseParams(in, out))
	d := denseAt(p, 0, in, out)
	x := randVec(rng, rows*in)
	y := make([]float64, rows*out)
	d.ForwardTo(y, x, rows)
	for i := 0; i < rows; i++ {
		y1, ok := guarded[float64](t, out)
		d.ForwardTo(y1, x[i*in:(i+1)*in], 1)
		checkClose(t, "single row", y1, y[i*out:(i+1)*out])
		ok()
	}
}

func TestLayerNormDerivatives(t *testing.T) {
	rng := newRNG(3)
	n, rows, p := 6, 3, 2
	params := randVec(rng, layerNormParams(n))
	l := LayerNorm[float64]{N: n, Scale: params[:n], Bias: params[n:]}
	x, w := randVec(rng, rows*n), randVec(rng, rows*n)
	y, yOK := guarded[float64](t, rows*n)
	xhat, rstd := make([]float64, rows*n), make([]float64, rows)
	forward := func() []float64 { l.ForwardTo(y, xhat, rstd, x, rows); return y }
	loss := func() float64 { return dot(forward(), w) }

	grad := make([]float64, len(params))
	dx, dxOK := guarded[float64](t, rows*n)
	loss()
	l.BackwardTo(dx, grad[:n], grad[n:], w, xhat, rstd, rows)
	checkClose(t, "dParams", grad, numGrad(params, loss))
	checkClose(t, "dx", dx, numGrad(x, loss))

	// P tangents per row: tangent k of row i is row i·P+k.
	v := randVec(rng, rows*p*n)
	dy, dyOK := guarded[float64](t, rows*p*n)
	forward()
	l.JVPTo(dy, v, xhat, rstd, rows, p)
	for k := 0; k < p; k++ {
		vk := make([]float64, rows*n)
		for i := 0; i < rows; i++ {
			copy(vk[i*n:(i+1)*n], v[(i*p+k)*n:(i*p+k+1)*n])
		}
		num := numJVP([][]float64{x}, [][]float64{vk}, forward)
		got := make([]float64, rows*n)
		for i := 0; i < rows; i++ {
			copy(got[i*n:(i+1)*n], dy[(i*p+k)*n:(i*p+k+1)*n])
		}
		checkClose(t, "JVP", got, num)
		if a, b := dot(got, w), dot(vk, dx); math.Abs(a-b) > 1e-12*(1+math.Abs(a)) {
			t.Fatalf("adjoint: %v vs %v", a, b)
		}
	}
	yOK()
	dxOK()
	dyOK()
}

func TestGELUDerivatives(t *testing.T) {
	rng := newRNG(4)
	n := 40
	x, w := randVec(rng, n), randVec(rng, n)
	for i := range x {
		x[i] *= 3 // reach the saturated tails
	}
	g, gOK := guarded[float64](t, n)
	gp := make([]float64, n)
	forward := func() []float64 { GELUForwardTo(g, gp, x, n); return g }
	loss := func() float64 { return dot(forward(), w) }
	loss()
	dx, dxOK := guarded[float64](t, n)
	GELUBackwardTo(dx, w, gp, n)
	checkClose(t, "dx", dx, numGrad(x, loss))
	v := randVec(rng, n)
	dg, dgOK := guarded[float64](t, n)
	forward()
	GELUJVPTo(dg, v, gp, n, 1, 1)
	checkClose(t, "JVP", dg, numJVP([][]float64{x}, [][]float64{v}, forward))
	// Analytic values: GELU(0) = 0, GELU'(0) = 1/2, GELU(x) → x for large x.
	GELUForwardTo(g[:3], gp[:3], []float64{0, 30, -30}, 3)
	if g[0] != 0 || gp[0] != 0.5 || g[1] != 30 || g[2] != 0 {
		t.Fatalf("GELU(0, 30, −30) = %v, GELU'(0) = %v", g[:3], gp[0])
	}
	gOK()
	dxOK()
	dgOK()
}

func TestFourierDerivatives(t *testing.T) {
	rng := newRNG(5)
	f, rows, p := 4, 3, 2
	freq := randVec(rng, f)
	layer := Fourier[float64]{F: f, Freq: freq}
	tt, w := randVec(rng, rows), randVec(rng, rows*2*f)
	out, outOK := guarded[float64](t, rows*2*f)
	forward := func() []float64 { layer.ForwardTo(out, tt, rows); return out }
	loss := func() float64 { return dot(forward(), w) }
	loss()
	dFreq := make([]float64, f)
	dt, dtOK := guarded[float64](t, rows)
	layer.BackwardTo(dt, dFreq, w, tt, out, rows)
	checkClose(t, "dFreq", dFreq, numGrad(freq, loss))
	checkClose(t, "dt", dt, numGrad(tt, loss))

	v := randVec(rng, rows*p)
	dout, doutOK := guarded[float64](t, rows*p*2*f)
	forward()
	layer.JVPTo(dout, v, out, rows, p)
	for k := 0; k < p; k++ {
		vk := make([]float64, rows)
		got := make([]float64, rows*2*f)
		for i := 0; i < rows; i++ {
			vk[i] = v[i*p+k]
			copy(got[i*2*f:(i+1)*2*f], dout[(i*p+k)*2*f:(i*p+k+1)*2*f])
		}
		checkClose(t, "JVP", got, numJVP([][]float64{tt}, [][]float64{vk}, forward))
		if a, b := dot(got, w), dot(vk, dt); math.Abs(a-b) > 1e-12*(1+math.Abs(a)) {
			t.Fatalf("adjoint: %v vs %v", a, b)
		}
	}
	outOK()
	dtOK()
	doutOK()
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

func TestLayerShapePanics(t *testing.T) {
	d := denseAt(make([]float64, denseParams(3, 2)), 0, 3, 2)
	expectPanic(t, "Dense short input", func() { d.ForwardTo(make([]float64, 4), make([]float64, 5), 2) })
	expectPanic(t, "Dense short output", func() { d.ForwardTo(make([]float64, 3), make([]float64, 6), 2) })
	l := LayerNorm[float64]{N: 3, Scale: make([]float64, 3), Bias: make([]float64, 3)}
	expectPanic(t, "LayerNorm short", func() { l.ForwardTo(make([]float64, 6), make([]float64, 6), make([]float64, 1), make([]float64, 6), 2) })
	expectPanic(t, "GELU short", func() { GELUForwardTo(make([]float64, 2), make([]float64, 3), make([]float64, 3), 3) })
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
	f := Fourier[float32]{F: 5, Freq: f32(randVec(newRNG(6), 5))}
	ts := []float32{0.3, 0.3, 0.7, 0.3}
	out := make([]float32, 4*10)
	f.ForwardTo(out, ts, 4)
	one := make([]float32, 10)
	for i, ti := range ts {
		f.ForwardTo(one, []float32{ti}, 1)
		for k := range one {
			if one[k] != out[i*10+k] {
				t.Fatalf("row %d differs from a fresh evaluation", i)
			}
		}
	}
}
