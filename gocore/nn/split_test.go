package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

// splitSpecs adds to smallSpecs the shapes whose first Dense is special:
// the output layer itself (no hidden layer), and a network of time inputs
// only.
func splitSpecs() map[string]Spec {
	s := smallSpecs()
	s["no-hidden"] = Spec{Inputs: []int{2, 3}, Times: 1, Out: 2, TimeFeatures: 2, TimeWidth: 3}
	s["times-only"] = Spec{Times: 2, Hidden: []int{4}, Out: 2, LayerNorm: true, TimeFeatures: 2, TimeWidth: 3}
	return s
}

// netOf returns a network of spec with element type T whose parameters
// are a perturbed float64 initialisation rounded to T.
func netOf[T Float](t *testing.T, spec Spec, seed uint64) *MLP[T] {
	m64, err := New(cpu.New[float64](), spec, newRNG(seed))
	if err != nil {
		t.Fatal(err)
	}
	perturb(m64.Params, seed+1)
	m, _ := New(cpu.New[T](), spec, newRNG(seed))
	for i, v := range m64.Params {
		m.Params[i] = T(v)
	}
	return m
}

type splitCase struct {
	group            int // the input given per group, −1 none
	rows, rep, phase int
}

// checkGrouped runs FirstBias, SetGroups and ForwardGrouped for c and
// compares with Forward on the same rows written out in full: the largest
// |split − full| / (1 + max |full|) must be at most tol.
func checkGrouped[T Float](t *testing.T, spec Spec, c splitCase, tol float64) {
	t.Helper()
	m := netOf[T](t, spec, 7)
	rng := newRNG(uint64(100 + 10*c.rows + c.rep + c.group))
	times := make([]T, spec.Times)
	for j := range times {
		times[j] = T(rng.Float64())
	}
	groups := 1
	if c.group >= 0 {
		groups = (c.rows-1+c.phase)/c.rep + 1
	}
	full := Vars[T]{X: make([][]T, len(spec.Inputs)), Time: make([][]T, spec.Times)}
	perRow := make([][]T, len(spec.Inputs))
	perGroup := make([][]T, len(spec.Inputs))
	for i, w := range spec.Inputs {
		full.X[i] = make([]T, c.rows*w)
		if i == c.group {
			g := make([]T, groups*w)
			for k := range g {
				g[k] = T(rng.NormFloat64())
			}
			perGroup[i] = g
			for r := 0; r < c.rows; r++ {
				s := (r + c.phase) / c.rep
				copy(full.X[i][r*w:(r+1)*w], g[s*w:(s+1)*w])
			}
			continue
		}
		for k := range full.X[i] {
			full.X[i][k] = T(rng.NormFloat64())
		}
		perRow[i] = full.X[i]
	}
	for j := range full.Time {
		full.Time[j] = make([]T, c.rows)
		for r := range full.Time[j] {
			full.Time[j][r] = times[j]
		}
	}
	want := make([]T, c.rows*spec.Out)
	m.Forward(m.NewWorkspace(c.rows, 0), want, full, c.rows)

	ws := m.NewWorkspace(c.rows, 0)
	bias, biasOK := guarded[T](t, m.FirstWidth())
	tt := make([][]T, spec.Times)
	for j := range tt {
		tt[j] = times[j : j+1]
	}
	m.FirstBias(ws, bias, tt, 1)
	biasOK()
	if c.group >= 0 {
		m.SetGroups(ws, perGroup, groups)
	}
	in := Grouped[T]{X: perRow, Repeat: c.rep, Phase: c.phase, Bias: bias}
	if spec.Times == 0 && c.rows%2 == 1 {
		in.Bias = nil // the first layer's b: the same as FirstBias without times
	}
	got, gotOK := guarded[T](t, c.rows*spec.Out)
	m.ForwardGrouped(ws, got, in, c.rows)
	gotOK()
	var diff, scale float64
	for i, v := range want {
		diff = math.Max(diff, math.Abs(float64(got[i])-float64(v)))
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	if !(diff <= tol*(1+scale)) {
		t.Fatalf("%+v: ForwardGrouped differs from Forward by %.3g (scale %.3g, tolerance %.1g)", c, diff, scale, tol)
	}
}

func splitCases(spec Spec) []splitCase {
	cs := []splitCase{{-1, 5, 1, 0}}
	for i := range spec.Inputs {
		for _, r := range [][3]int{{5, 1, 0}, {6, 3, 0}, {7, 4, 1}, {2, 4, 3}, {13, 5, 2}, {1, 3, 2}} {
			cs = append(cs, splitCase{i, r[0], r[1], r[2]})
		}
	}
	return cs
}

// The split first layer computes Forward's function: to float64 rounding
// in float64, within float32 rounding in float32 (sums in another order).
func TestForwardGroupedMatchesForward(t *testing.T) {
	for name, spec := range splitSpecs() {
		for _, c := range splitCases(spec) {
			t.Run(fmt.Sprintf("%s/%d_%d_%d_%d", name, c.group, c.rows, c.rep, c.phase), func(t *testing.T) {
				checkGrouped[float64](t, spec, c, 1e-12)
				checkGrouped[float32](t, spec, c, 2e-6)
			})
		}
	}
	// The paper's policy and critic at HalfCheetah sizes.
	for name, spec := range map[string]Spec{"policy": PolicySpec(17, 6, DefaultHidden), "critic": CriticSpec(17, 6, 101, DefaultHidden)} {
		t.Run("paper-"+name, func(t *testing.T) {
			for _, c := range []splitCase{{-1, 3, 1, 0}, {1, 48, 16, 0}, {0, 50, 48, 20}} {
				checkGrouped[float64](t, spec, c, 1e-12)
				checkGrouped[float32](t, spec, c, 2e-6)
			}
		})
	}
}

// The split passes are forward-only, and SetGroups' term is gone after
// Backward; misuse panics with a message.
func TestForwardGroupedMisuse(t *testing.T) {
	spec := smallSpecs()["policy"]
	m := netOf[float64](t, spec, 3)
	ws := m.NewWorkspace(4, 1)
	in := randInputs(spec, 4, 1, 4)
	out := make([]float64, 4*spec.Out)
	bias := make([]float64, m.FirstWidth())
	m.Forward(ws, out, in, 4)
	m.FirstBias(ws, bias, [][]float64{{0.5}, {0.25}}, 1)
	expectPanic(t, "FirstBias beyond the workspace", func() {
		m.FirstBias(ws, make([]float64, 5*len(bias)), [][]float64{make([]float64, 5), make([]float64, 5)}, 5)
	})
	expectPanic(t, "JVP after FirstBias", func() { m.JVP(ws, make([]float64, 4*spec.Out), in, 1) })
	m.SetGroups(ws, [][]float64{nil, in.X[1][:3]}, 1)
	grouped := Grouped[float64]{X: [][]float64{in.X[0], nil}, Repeat: 4, Bias: bias}
	m.ForwardGrouped(ws, out, grouped, 4)
	expectPanic(t, "Backward after ForwardGrouped", func() {
		m.Backward(ws, out, make([]float64, m.NumParams()), Vars[float64]{X: make([][]float64, 2), Time: make([][]float64, 2)})
	})
	expectPanic(t, "too few groups", func() { m.ForwardGrouped(ws, out, Grouped[float64]{X: grouped.X, Repeat: 2, Bias: bias}, 4) })
	expectPanic(t, "phase ≥ repeat", func() { m.ForwardGrouped(ws, out, Grouped[float64]{X: grouped.X, Repeat: 4, Phase: 4, Bias: bias}, 4) })
	expectPanic(t, "nil bias with times", func() { m.ForwardGrouped(ws, out, Grouped[float64]{X: grouped.X, Repeat: 4}, 4) })
	expectPanic(t, "input both per row and per group", func() {
		m.ForwardGrouped(ws, out, Grouped[float64]{X: in.X, Repeat: 4, Bias: bias}, 4)
	})
	expectPanic(t, "nil input not given per group", func() {
		m.ForwardGrouped(ws, out, Grouped[float64]{X: [][]float64{nil, in.X[1]}, Repeat: 4, Bias: bias}, 4)
	})
	expectPanic(t, "SetGroups of nothing", func() { m.SetGroups(ws, [][]float64{nil, nil}, 1) })
	expectPanic(t, "short group input", func() { m.SetGroups(ws, [][]float64{nil, in.X[1][:5]}, 2) })
	m.Forward(ws, out, in, 4)
	m.Backward(ws, out, make([]float64, m.NumParams()), Vars[float64]{X: make([][]float64, 2), Time: make([][]float64, 2)})
	expectPanic(t, "groups after Backward", func() { m.ForwardGrouped(ws, out, grouped, 4) })
}

func TestForwardGroupedAllocatesNothing(t *testing.T) {
	spec := PolicySpec(17, 6, []int{32, 32})
	m := netOf[float32](t, spec, 5)
	ws := m.NewWorkspace(8, 0)
	in := toF32(randInputs(spec, 8, 1, 6))
	bias, out := make([]float32, m.FirstWidth()), make([]float32, 8*spec.Out)
	times := [][]float32{{1}, {0.5}}
	state := [][]float32{nil, in.X[1][:2*17]}
	grouped := Grouped[float32]{X: [][]float32{in.X[0], nil}, Repeat: 4, Bias: bias}
	if n := testing.AllocsPerRun(20, func() {
		m.FirstBias(ws, bias, times, 1)
		m.SetGroups(ws, state, 2)
		m.ForwardGrouped(ws, out, grouped, 8)
	}); n != 0 {
		t.Fatalf("%v allocations per split pass", n)
	}
}

// FirstBias on several rows is its rows one at a time, to rounding.
func TestFirstBiasRows(t *testing.T) {
	for name, spec := range splitSpecs() {
		m := netOf[float64](t, spec, 9)
		rows := 3
		times := randInputs(spec, rows, 1, 10).Time
		ws := m.NewWorkspace(rows, 0)
		h := m.FirstWidth()
		all, ok := guarded[float64](t, rows*h)
		m.FirstBias(ws, all, times, rows)
		ok()
		for r := 0; r < rows; r++ {
			one := make([][]float64, spec.Times)
			for j := range one {
				one[j] = times[j][r : r+1]
			}
			want := make([]float64, h)
			m.FirstBias(m.NewWorkspace(1, 0), want, one, 1)
			for k, v := range want {
				if math.Abs(all[r*h+k]-v) > 1e-12*(1+math.Abs(v)) {
					t.Fatalf("%s: row %d of %d: %v, alone %v", name, r, rows, all[r*h+k], v)
				}
			}
		}
	}
}
