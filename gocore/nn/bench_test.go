package nn

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/blas"
)

// The engine benchmarks (a)–(d) of bench/RESULTS.md, with (a′) and (d′)
// on the split first layer (§8). Each reports, beside
// ns/op and allocs/op:
//
//	GFLOP/s        matrix-product FLOPs of the operation (counted from the
//	               shapes, 2 per multiply-add) per second
//	sgemm_GFLOP/s  the rate of bare blas.Gemm calls on exactly the same
//	               shapes, measured in the same run
//	frac_sgemm     GFLOP/s ÷ sgemm_GFLOP/s: the share of the machine's
//	               matrix-product rate that the layer code keeps
//
// Run with: make bench (or go test -tags openblas -run '^$' -bench . ./gocore/nn).

// HalfCheetah sizes (docs/algorithm.md §8).
const benchObs, benchAct = 17, 6

type gemmShape struct {
	transA, transB bool
	m, n, k        int
}

func flops(shapes []gemmShape) float64 {
	f := 0.0
	for _, s := range shapes {
		f += 2 * float64(s.m) * float64(s.n) * float64(s.k)
	}
	return f
}

// forwardShapes are the products of Forward on rows rows.
func forwardShapes(s Spec, rows int) []gemmShape {
	var g []gemmShape
	for j := 0; j < s.Times; j++ {
		g = append(g, gemmShape{false, false, rows, s.TimeWidth, 2 * s.TimeFeatures},
			gemmShape{false, false, rows, s.TimeWidth, s.TimeWidth})
	}
	w := s.widths()
	for l := 0; l+1 < len(w); l++ {
		g = append(g, gemmShape{false, false, rows, w[l+1], w[l]})
	}
	return g
}

// backwardShapes are the products of Backward without input gradients.
func backwardShapes(s Spec, rows int) []gemmShape {
	var g []gemmShape
	w := s.widths()
	for l := 0; l+1 < len(w); l++ {
		g = append(g, gemmShape{true, false, w[l], w[l+1], rows})
		if l > 0 || s.Times > 0 {
			g = append(g, gemmShape{false, true, rows, w[l], w[l+1]})
		}
	}
	for j := 0; j < s.Times; j++ {
		g = append(g, gemmShape{true, false, s.TimeWidth, s.TimeWidth, rows}, gemmShape{false, true, rows, s.TimeWidth, s.TimeWidth},
			gemmShape{true, false, 2 * s.TimeFeatures, s.TimeWidth, rows}, gemmShape{false, true, rows, 2 * s.TimeFeatures, s.TimeWidth})
	}
	return g
}

// sgemmRate measures blas.Gemm in float32 on shapes: the median over
// repeats of (FLOPs of one pass over all shapes) ÷ (its time), in GFLOP/s;
// at least 5 repeats of 20 ms and 600 ms in all (with -short, the smoke run
// of `make bench-smoke`: one repeat).
func sgemmRate(shapes []gemmShape) float64 {
	reps, total := 5, 600*time.Millisecond
	if testing.Short() {
		reps, total = 1, 0
	}
	type op struct {
		s       gemmShape
		a, b, c []float32
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	ops := make([]op, len(shapes))
	for i, s := range shapes {
		ops[i] = op{s, fill(s.m * s.k), fill(s.k * s.n), fill(s.m * s.n)}
	}
	pass := func() {
		for _, o := range ops {
			s := o.s
			lda, ldb := s.k, s.n
			if s.transA {
				lda = s.m
			}
			if s.transB {
				ldb = s.k
			}
			blas.Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, o.a, lda, o.b, ldb, 0, o.c, s.n)
		}
	}
	pass()
	f := flops(shapes)
	var rates []float64
	deadline := time.Now().Add(total)
	for len(rates) < reps || time.Now().Before(deadline) {
		start := time.Now()
		n := 0
		for time.Since(start) < 20*time.Millisecond {
			pass()
			n++
		}
		rates = append(rates, f*float64(n)/time.Since(start).Seconds()/1e9)
	}
	sort.Float64s(rates)
	return rates[len(rates)/2]
}

// report adds the FLOP/s metrics for an operation of opFlops FLOPs whose
// products are shapes.
func report(b *testing.B, opFlops float64, shapes []gemmShape) {
	b.StopTimer()
	gf := opFlops * float64(b.N) / b.Elapsed().Seconds() / 1e9
	peak := sgemmRate(shapes)
	b.ReportMetric(gf, "GFLOP/s")
	b.ReportMetric(peak, "sgemm_GFLOP/s")
	b.ReportMetric(gf/peak, "frac_sgemm")
}

func benchInputs(spec Spec, rows int) Vars[float32] {
	return toF32(randInputs(spec, rows, 1, 99))
}

// (a) Policy forward at batch 4096: one step of the proposal rollouts of
// §8, where every row has the same (t, h) — here the first step's (1, ½).
func BenchmarkPolicyForward4096(b *testing.B) {
	spec := PolicySpec(benchObs, benchAct, DefaultHidden)
	rows := 4096
	m, _ := New(cpu.New[float32](), spec, newRNG(1))
	ws := m.NewWorkspace(rows, 0)
	in := benchInputs(spec, rows)
	for i := 0; i < rows; i++ {
		in.Time[0][i], in.Time[1][i] = 1, 0.5
	}
	out := make([]float32, rows*spec.Out)
	m.Forward(ws, out, in, rows)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Forward(ws, out, in, rows)
	}
	shapes := forwardShapes(spec, rows)
	report(b, flops(shapes), shapes)
}

// groupedShapes are the products of one sampler step on the split first
// layer (FirstBias, SetGroups, ForwardGrouped; §8) for rows rows of
// `states` states: the time terms of one row, the state term per state,
// then the action's term and the trunk per row.
func groupedShapes(s Spec, rows, states int) []gemmShape {
	var g []gemmShape
	w := s.widths()
	for j := 0; j < s.Times; j++ {
		g = append(g, gemmShape{false, false, 1, s.TimeWidth, 2 * s.TimeFeatures},
			gemmShape{false, false, 1, s.TimeWidth, s.TimeWidth})
	}
	if s.Times > 0 {
		g = append(g, gemmShape{false, false, 1, w[1], s.TimeWidth})
	}
	g = append(g, gemmShape{false, false, states, w[1], s.Inputs[1]}, gemmShape{false, false, rows, w[1], s.Inputs[0]})
	for l := 1; l+1 < len(w); l++ {
		g = append(g, gemmShape{false, false, rows, w[l+1], w[l]})
	}
	return g
}

// (a′) The same step of (a) on the split first layer: 256 states × 16
// proposals, the times' terms once, the states' once per state. Its
// GFLOP/s counts the products it runs (groupedShapes); eff_GFLOP/s counts
// (a)'s, the work of the unsplit network, per second.
func BenchmarkPolicyForwardGrouped4096(b *testing.B) {
	spec := PolicySpec(benchObs, benchAct, DefaultHidden)
	rows, repeat := 4096, 16
	m, _ := New(cpu.New[float32](), spec, newRNG(1))
	ws := m.NewWorkspace(rows, 0)
	in := benchInputs(spec, rows)
	bias := make([]float32, m.FirstWidth())
	times := [][]float32{{1}, {0.5}}
	state := [][]float32{nil, in.X[1][:rows/repeat*benchObs]}
	grouped := Grouped[float32]{X: [][]float32{in.X[0], nil}, Repeat: repeat, Bias: bias}
	out := make([]float32, rows*spec.Out)
	step := func() {
		m.FirstBias(ws, bias, times, 1)
		m.SetGroups(ws, state, rows/repeat)
		m.ForwardGrouped(ws, out, grouped, rows)
	}
	step()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	b.StopTimer()
	b.ReportMetric(flops(forwardShapes(spec, rows))*float64(b.N)/b.Elapsed().Seconds()/1e9, "eff_GFLOP/s")
	shapes := groupedShapes(spec, rows, rows/repeat)
	report(b, flops(shapes), shapes)
}

// (b) One critic step at batch 256: forward, backward, Adam.
func BenchmarkCriticStep256(b *testing.B) {
	spec := CriticSpec(benchObs, benchAct, 101, DefaultHidden)
	rows := 256
	m, _ := New(cpu.New[float32](), spec, newRNG(2))
	ws := m.NewWorkspace(rows, 0)
	in := benchInputs(spec, rows)
	out := make([]float32, rows*spec.Out)
	dout := f32(randVec(newRNG(3), rows*spec.Out))
	grad := make([]float32, m.NumParams())
	opt := NewAdam(cpu.New[float32](), m.NumParams(), 3e-4)
	noGrad := Vars[float32]{X: make([][]float32, len(spec.Inputs))}
	step := func() {
		m.Forward(ws, out, in, rows)
		clear(grad)
		m.Backward(ws, dout, grad, noGrad)
		if err := opt.Step(m.Params, grad); err != nil {
			b.Fatal(err)
		}
	}
	step()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	shapes := append(forwardShapes(spec, rows), backwardShapes(spec, rows)...)
	report(b, flops(shapes), shapes)
}

// (c) Policy forward and JVP at batch 256: the MeanFlow total derivative,
// tangent (v, 1, 1) on (a, t, h).
func BenchmarkPolicyForwardJVP256(b *testing.B) {
	spec := PolicySpec(benchObs, benchAct, DefaultHidden)
	rows := 256
	m, _ := New(cpu.New[float32](), spec, newRNG(4))
	ws := m.NewWorkspace(rows, 1)
	in := benchInputs(spec, rows)
	ones := make([]float32, rows)
	for i := range ones {
		ones[i] = 1
	}
	tan := Vars[float32]{X: [][]float32{f32(randVec(newRNG(5), rows*benchAct)), nil}, Time: [][]float32{ones, ones}}
	out, dout := make([]float32, rows*spec.Out), make([]float32, rows*spec.Out)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Forward(ws, out, in, rows)
		m.JVP(ws, dout, tan, 1)
	}
	shapes := append(forwardShapes(spec, rows), forwardShapes(spec, rows)...)
	report(b, flops(shapes), shapes)
}

// (d) One single-observation action with the 2-step sampler (§1):
// a ← ε, then a ← a − h·u_θ(s, a, t, h) at (t, h) = (1, ½), (½, ½).
func BenchmarkAct2Step(b *testing.B) {
	spec := PolicySpec(benchObs, benchAct, DefaultHidden)
	m, _ := New(cpu.New[float32](), spec, newRNG(6))
	ws := m.NewWorkspace(1, 0)
	obs := f32(randVec(newRNG(7), benchObs))
	eps := f32(randVec(newRNG(8), benchAct))
	a, u := make([]float32, benchAct), make([]float32, benchAct)
	t, h := []float32{0}, []float32{0.5}
	in := Vars[float32]{X: [][]float32{a, obs}, Time: [][]float32{t, h}}
	act := func() {
		copy(a, eps)
		for _, ti := range [2]float32{1, 0.5} {
			t[0] = ti
			m.Forward(ws, u, in, 1)
			for j := range a {
				a[j] -= h[0] * u[j]
			}
		}
		for j := range a {
			a[j] = min(max(a[j], -1), 1)
		}
	}
	act()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		act()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/action")
	b.ReportMetric(2*flops(forwardShapes(spec, 1))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// (d′) The action of (d) on the split first layer, as gocore/policy acts:
// the state's term once, both steps' time terms computed beforehand (once
// per model), then per step the action's term and the trunk.
func BenchmarkAct2StepGrouped(b *testing.B) {
	spec := PolicySpec(benchObs, benchAct, DefaultHidden)
	m, _ := New(cpu.New[float32](), spec, newRNG(6))
	ws := m.NewWorkspace(1, 0)
	obs := f32(randVec(newRNG(7), benchObs))
	eps := f32(randVec(newRNG(8), benchAct))
	a, u := make([]float32, benchAct), make([]float32, benchAct)
	h1 := m.FirstWidth()
	grid := make([]float32, 2*h1)
	m.FirstBias(ws, grid[:h1], [][]float32{{1}, {0.5}}, 1)
	m.FirstBias(ws, grid[h1:], [][]float32{{0.5}, {0.5}}, 1)
	state := [][]float32{nil, obs}
	in := Grouped[float32]{X: [][]float32{a, nil}, Repeat: 1}
	act := func() {
		copy(a, eps)
		m.SetGroups(ws, state, 1)
		for k := 0; k < 2; k++ {
			in.Bias = grid[k*h1 : (k+1)*h1]
			m.ForwardGrouped(ws, u, in, 1)
			for j := range a {
				a[j] -= 0.5 * u[j]
			}
		}
		for j := range a {
			a[j] = min(max(a[j], -1), 1)
		}
	}
	act()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		act()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/action")
}
