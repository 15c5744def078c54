package nn

import (
	"math"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
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
	d := denseAt[float64](cpu.New[float64](), p, 0, in, out)
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
	// rows = 1 takes the row kernel (the BLAS's matrix-vector path on the
	// portable path).
	rng := newRNG(2)
	in, out, rows := 7, 9, 4
	p := randVec(rng, denseParams(in, out))
	d := denseAt[float64](cpu.New[float64](), p, 0, in, out)
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

func TestFourierDerivatives(t *testing.T) {
	rng := newRNG(5)
	f, rows, p := 4, 3, 2
	freq := randVec(rng, f)
	layer := Fourier[float64]{F: f, Freq: freq, Be: cpu.New[float64]()}
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

func TestLayerShapePanics(t *testing.T) {
	d := denseAt[float64](cpu.New[float64](), make([]float64, denseParams(3, 2)), 0, 3, 2)
	expectPanic(t, "Dense short input", func() { d.ForwardTo(make([]float64, 4), make([]float64, 5), 2) })
	expectPanic(t, "Dense short output", func() { d.ForwardTo(make([]float64, 3), make([]float64, 6), 2) })
}
