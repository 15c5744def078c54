package nn

import (
	"math"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

// smallSpecs are the shapes the whole-network checks run on: the policy's
// (two vector inputs, two time embeddings, LayerNorm), the critic's (no
// time inputs) and one without LayerNorm.
func smallSpecs() map[string]Spec {
	return map[string]Spec{
		"policy": {Inputs: []int{2, 3}, Times: 2, Hidden: []int{6, 5}, Out: 2, LayerNorm: true, TimeFeatures: 3, TimeWidth: 4},
		"critic": CriticSpec(3, 2, 5, []int{7, 7}),
		"no-LN":  {Inputs: []int{3}, Times: 1, Hidden: []int{5}, Out: 3, TimeFeatures: 2, TimeWidth: 3},
	}
}

// randInputs returns random inputs for rows rows with p values per row
// (p = 1 for inputs, P for tangents); times are drawn in [0, 1].
func randInputs(spec Spec, rows, p int, seed uint64) Vars[float64] {
	rng := newRNG(seed)
	var v Vars[float64]
	for _, w := range spec.Inputs {
		v.X = append(v.X, randVec(rng, rows*p*w))
	}
	for j := 0; j < spec.Times; j++ {
		t := make([]float64, rows*p)
		for i := range t {
			t[i] = rng.Float64()
		}
		v.Time = append(v.Time, t)
	}
	return v
}

func allVars(v Vars[float64]) [][]float64 { return append(append([][]float64{}, v.X...), v.Time...) }

func TestMLPBackwardMatchesFiniteDifferences(t *testing.T) {
	for name, spec := range smallSpecs() {
		t.Run(name, func(t *testing.T) {
			rows := 4
			m, err := New(cpu.New[float64](), spec, newRNG(10))
			if err != nil {
				t.Fatal(err)
			}
			perturb(m.Params, 11) // break the symmetric init (zero biases, unit scales)
			in := randInputs(spec, rows, 1, 12)
			w := randVec(newRNG(13), rows*spec.Out)
			ws := m.NewWorkspace(rows, 0)
			out, outOK := guarded[float64](t, rows*spec.Out)
			loss := func() float64 { m.Forward(ws, out, in, rows); return dot(out, w) }

			loss()
			grad, gradOK := guarded[float64](t, m.NumParams())
			var din Vars[float64]
			var dinOK []func()
			for _, x := range in.X {
				g, ok := guarded[float64](t, len(x))
				din.X, dinOK = append(din.X, g), append(dinOK, ok)
			}
			for _, x := range in.Time {
				g, ok := guarded[float64](t, len(x))
				din.Time, dinOK = append(din.Time, g), append(dinOK, ok)
			}
			m.Backward(ws, w, grad, din)
			checkClose(t, "dParams", grad, numGrad(m.Params, loss))
			for k, x := range allVars(in) {
				checkClose(t, "dInput", allVars(din)[k], numGrad(x, loss))
			}
			// Backward accumulates: a second call doubles the gradient.
			once := append([]float64(nil), grad...)
			loss()
			m.Backward(ws, w, grad, Vars[float64]{X: make([][]float64, len(in.X)), Time: make([][]float64, len(in.Time))})
			for i := range grad {
				if math.Abs(grad[i]-2*once[i]) > 1e-12*(1+math.Abs(once[i])) {
					t.Fatalf("second Backward: grad[%d] = %v, want 2×%v", i, grad[i], once[i])
				}
			}
			outOK()
			gradOK()
			for _, ok := range dinOK {
				ok()
			}
		})
	}
}

func TestMLPJVPMatchesFiniteDifferences(t *testing.T) {
	for name, spec := range smallSpecs() {
		t.Run(name, func(t *testing.T) {
			rows, p := 3, 3
			m, _ := New(cpu.New[float64](), spec, newRNG(20))
			perturb(m.Params, 21)
			in := randInputs(spec, rows, 1, 22)
			tan := randInputs(spec, rows, p, 23)
			for j := range tan.Time { // tangents need not lie in [0, 1]
				tan.Time[j] = randVec(newRNG(24+uint64(j)), rows*p)
			}
			ws := m.NewWorkspace(rows, p)
			out := make([]float64, rows*spec.Out)
			m.Forward(ws, out, in, rows)
			dout, ok := guarded[float64](t, rows*p*spec.Out)
			m.JVP(ws, dout, tan, p)
			ok()
			forward := func() []float64 { m.Forward(ws, out, in, rows); return out }
			for k := 0; k < p; k++ {
				dir := tangentSlice(spec, tan, rows, p, k)
				num := numJVP(allVars(in), allVars(dir), forward)
				checkClose(t, "JVP", sliceTangent(dout, rows, p, spec.Out, k), num)
			}
		})
	}
}

func TestMLPJVPWithZeroTangents(t *testing.T) {
	// nil entries are zero tangents: tangent on the first input only.
	spec := smallSpecs()["policy"]
	rows := 3
	m, _ := New(cpu.New[float64](), spec, newRNG(30))
	perturb(m.Params, 31)
	in := randInputs(spec, rows, 1, 32)
	v := randVec(newRNG(33), rows*spec.Inputs[0])
	ws := m.NewWorkspace(rows, 1)
	out := make([]float64, rows*spec.Out)
	m.Forward(ws, out, in, rows)
	dout := make([]float64, rows*spec.Out)
	m.JVP(ws, dout, Vars[float64]{X: [][]float64{v, nil}, Time: [][]float64{nil, nil}}, 1)
	num := numJVP([][]float64{in.X[0]}, [][]float64{v}, func() []float64 { m.Forward(ws, out, in, rows); return out })
	checkClose(t, "JVP", dout, num)
}

func TestMLPAdjointIdentity(t *testing.T) {
	// ⟨JVP(x; v), w⟩ = ⟨v, VJP(x; w)⟩ over all inputs, for each of P
	// tangents of a multi-tangent JVP.
	for name, spec := range smallSpecs() {
		t.Run(name, func(t *testing.T) {
			rows, p := 5, 2
			m, _ := New(cpu.New[float64](), spec, newRNG(40))
			perturb(m.Params, 41)
			in := randInputs(spec, rows, 1, 42)
			tan := randInputs(spec, rows, p, 43)
			w := randVec(newRNG(44), rows*spec.Out)
			ws := m.NewWorkspace(rows, p)
			out := make([]float64, rows*spec.Out)
			m.Forward(ws, out, in, rows)
			dout := make([]float64, rows*p*spec.Out)
			m.JVP(ws, dout, tan, p)
			din := randInputs(spec, rows, 1, 45) // overwritten
			m.Backward(ws, w, make([]float64, m.NumParams()), din)
			for k := 0; k < p; k++ {
				lhs := dot(sliceTangent(dout, rows, p, spec.Out, k), w)
				rhs := 0.0
				for i, v := range allVars(tangentSlice(spec, tan, rows, p, k)) {
					rhs += dot(v, allVars(din)[i])
				}
				if math.Abs(lhs-rhs) > 1e-10*(1+math.Abs(lhs)) {
					t.Fatalf("tangent %d: ⟨JVP v, w⟩ = %.15g, ⟨v, VJP w⟩ = %.15g", k, lhs, rhs)
				}
			}
		})
	}
}

func TestMLPFloat32AgreesWithFloat64(t *testing.T) {
	// The paper's policy at HalfCheetah sizes, identical parameters.
	spec := PolicySpec(17, 6, DefaultHidden)
	rows, p := 8, 2
	m64, _ := New(cpu.New[float64](), spec, newRNG(50))
	m32, _ := New(cpu.New[float32](), spec, newRNG(50))
	for i, v := range m64.Params {
		if float32(v) != m32.Params[i] {
			t.Fatalf("float32 and float64 inits differ at %d", i)
		}
	}
	in64 := randInputs(spec, rows, 1, 51)
	tan64 := randInputs(spec, rows, p, 52)
	w64 := randVec(newRNG(53), rows*spec.Out)
	in32, tan32 := toF32(in64), toF32(tan64)
	w32 := f32(w64)

	ws64, ws32 := m64.NewWorkspace(rows, p), m32.NewWorkspace(rows, p)
	o64, o32 := make([]float64, rows*spec.Out), make([]float32, rows*spec.Out)
	m64.Forward(ws64, o64, in64, rows)
	m32.Forward(ws32, o32, in32, rows)
	agree(t, "forward", o32, o64, 1e-4)
	d64, d32 := make([]float64, rows*p*spec.Out), make([]float32, rows*p*spec.Out)
	m64.JVP(ws64, d64, tan64, p)
	m32.JVP(ws32, d32, tan32, p)
	agree(t, "JVP", d32, d64, 1e-4)
	g64, g32 := make([]float64, m64.NumParams()), make([]float32, m32.NumParams())
	di64, di32 := randInputs(spec, rows, 1, 54), toF32(randInputs(spec, rows, 1, 54))
	m64.Backward(ws64, w64, g64, di64)
	m32.Backward(ws32, w32, g32, di32)
	agree(t, "parameter gradient", g32, g64, 1e-4)
	for k, v := range allVars(di64) {
		agree(t, "input gradient", append(di32.X, di32.Time...)[k], v, 1e-4)
	}
}

func TestMLPSingleRowAndWorkspaceReuse(t *testing.T) {
	// A batch equals its rows run one at a time (rows = 1 takes the
	// matrix-vector path) in a workspace that held a larger batch before.
	spec := smallSpecs()["policy"]
	rows := 4
	m, _ := New(cpu.New[float64](), spec, newRNG(60))
	perturb(m.Params, 61)
	in := randInputs(spec, rows, 1, 62)
	ws := m.NewWorkspace(rows, 0)
	out := make([]float64, rows*spec.Out)
	m.Forward(ws, out, in, rows)
	for i := 0; i < rows; i++ {
		var one Vars[float64]
		for k, x := range in.X {
			w := spec.Inputs[k]
			one.X = append(one.X, x[i*w:(i+1)*w])
		}
		for _, tt := range in.Time {
			one.Time = append(one.Time, tt[i:i+1])
		}
		o, ok := guarded[float64](t, spec.Out)
		m.Forward(ws, o, one, 1)
		ok()
		checkClose(t, "row", o, out[i*spec.Out:(i+1)*spec.Out])
	}
}

func TestMLPShapePanics(t *testing.T) {
	spec := smallSpecs()["policy"]
	m, _ := New(cpu.New[float64](), spec, newRNG(70))
	ws := m.NewWorkspace(2, 1)
	in := randInputs(spec, 2, 1, 71)
	out := make([]float64, 2*spec.Out)
	expectPanic(t, "too many rows", func() { m.Forward(ws, out, in, 3) })
	expectPanic(t, "missing input", func() { m.Forward(ws, out, Vars[float64]{X: in.X[:1], Time: in.Time}, 2) })
	expectPanic(t, "short input", func() {
		m.Forward(ws, out, Vars[float64]{X: [][]float64{in.X[0][:3], in.X[1]}, Time: in.Time}, 2)
	})
	expectPanic(t, "short output", func() { m.Forward(ws, out[:1], in, 2) })
	expectPanic(t, "JVP before forward", func() { m.JVP(m.NewWorkspace(2, 1), out, in, 1) })
	m.Forward(ws, out, in, 2)
	expectPanic(t, "too many tangents", func() { m.JVP(ws, make([]float64, 100), in, 2) })
	other, _ := New(cpu.New[float64](), spec, newRNG(72))
	expectPanic(t, "foreign workspace", func() { other.Forward(ws, out, in, 2) })
	if _, err := New(cpu.New[float64](), Spec{Inputs: []int{3}, Hidden: []int{4}, Out: 0}, newRNG(1)); err == nil {
		t.Fatal("New accepted Out = 0")
	}
}

func TestNewIsSeededAndInitialisesAsSpecified(t *testing.T) {
	spec := PolicySpec(17, 6, DefaultHidden)
	a, _ := New(cpu.New[float32](), spec, newRNG(80))
	b, _ := New(cpu.New[float32](), spec, newRNG(80))
	for i := range a.Params {
		if a.Params[i] != b.Params[i] {
			t.Fatal("same seed, different parameters")
		}
	}
	for _, d := range a.dense {
		limit := math.Sqrt(6 / float64(d.In+d.Out))
		for _, v := range d.W {
			if math.Abs(float64(v)) > limit {
				t.Fatalf("Glorot weight %v beyond ±%v", v, limit)
			}
		}
		for _, v := range d.B {
			if v != 0 {
				t.Fatal("nonzero bias at init")
			}
		}
	}
	for _, l := range a.norm {
		for k := range l.Scale {
			if l.Scale[k] != 1 || l.Bias[k] != 0 {
				t.Fatal("LayerNorm init is not scale 1, bias 0")
			}
		}
	}
	var sum, sq float64
	n := 0
	for _, e := range a.emb {
		for _, v := range e.Fourier.Freq {
			sum += float64(v)
			sq += float64(v) * float64(v)
			n++
		}
	}
	if sd := math.Sqrt(sq/float64(n) - (sum/float64(n))*(sum/float64(n))); sd < 0.15 || sd > 0.25 {
		t.Fatalf("Fourier frequencies have standard deviation %.3f, want about 0.2", sd)
	}
}

// perturb adds N(0, 0.3²) noise to every parameter.
func perturb(p []float64, seed uint64) {
	rng := newRNG(seed)
	for i := range p {
		p[i] += 0.3 * rng.NormFloat64()
	}
}

// tangentSlice picks tangent k of P per row out of tangent inputs.
func tangentSlice(spec Spec, tan Vars[float64], rows, p, k int) Vars[float64] {
	var v Vars[float64]
	for i, x := range tan.X {
		v.X = append(v.X, sliceTangent(x, rows, p, spec.Inputs[i], k))
	}
	for _, x := range tan.Time {
		v.Time = append(v.Time, sliceTangent(x, rows, p, 1, k))
	}
	return v
}

// sliceTangent returns rows k, P+k, 2P+k, … of a [rows·P×w] matrix.
func sliceTangent(x []float64, rows, p, w, k int) []float64 {
	s := make([]float64, rows*w)
	for i := 0; i < rows; i++ {
		copy(s[i*w:(i+1)*w], x[(i*p+k)*w:(i*p+k+1)*w])
	}
	return s
}

func f32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func toF32(v Vars[float64]) Vars[float32] {
	var w Vars[float32]
	for _, x := range v.X {
		w.X = append(w.X, f32(x))
	}
	for _, x := range v.Time {
		w.Time = append(w.Time, f32(x))
	}
	return w
}

// agree fails t unless ‖got − want‖∞ ≤ tol·(1 + ‖want‖∞).
func agree(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	var diff, scale float64
	for i, v := range want {
		diff = math.Max(diff, math.Abs(float64(got[i])-v))
		scale = math.Max(scale, math.Abs(v))
	}
	if !(diff <= tol*(1+scale)) {
		t.Fatalf("%s: float32 differs from float64 by %.3g (scale %.3g)", what, diff, scale)
	}
	t.Logf("%s: max |float32 − float64| = %.3g (scale %.3g)", what, diff, scale)
}
