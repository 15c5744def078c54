package flow

import (
	"math"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/par"
)

// float64 nets for the derivative checks.
func nets64(t *testing.T, o, d int, seed uint64) (*nn.MLP[float64], *nn.MLP[float64]) {
	t.Helper()
	ps := nn.PolicySpec(o, d, []int{8, 8})
	ps.TimeFeatures, ps.TimeWidth = 4, 6
	ds := nn.AverageDivergenceSpec(o, d, []int{8, 8})
	ds.TimeFeatures, ds.TimeWidth = 4, 6
	p, _ := nn.New(cpu.New[float64](), ps, rng(seed))
	a, _ := nn.New(cpu.New[float64](), ds, rng(seed+1))
	for _, m := range []*nn.MLP[float64]{p, a} {
		r := rng(seed + 2)
		for i := range m.Params {
			m.Params[i] += 0.2 * r.NormFloat64()
		}
	}
	return p, a
}

func vec64(seed uint64, n int, scale float64) []float64 {
	r := rng(seed)
	x := make([]float64, n)
	for i := range x {
		x[i] = scale * r.NormFloat64()
	}
	return x
}

type lossInputs struct {
	obs, at, t, h, v, probes []float64
	rows                     int
}

func randomLossInputs(o, d, rows, probes int) lossInputs {
	in := lossInputs{obs: vec64(1, rows*o, 1), at: vec64(2, rows*d, 1), v: vec64(3, rows*d, 1), probes: vec64(4, rows*probes*d, 1), rows: rows}
	r := rng(5)
	in.t, in.h = make([]float64, rows), make([]float64, rows)
	for i := 0; i < rows; i++ {
		a, b := r.Float64(), r.Float64()
		in.t[i], in.h[i] = math.Max(a, b), math.Abs(a-b)
	}
	in.h[0] = 0 // a flow-matching row
	return in
}

func forward(m *nn.MLP[float64], out []float64, in lossInputs, a, h []float64) {
	ws := m.NewWorkspace(in.rows, 0)
	m.Forward(ws, out, nn.Vars[float64]{X: [][]float64{a, in.obs}, Time: [][]float64{in.t, h}}, in.rows)
}

// jvp returns (out, d out/dτ along tangent (v, 1, 1)) of m at (a, t, h).
func jvp(m *nn.MLP[float64], in lossInputs, a, h, v []float64) ([]float64, []float64) {
	ws := m.NewWorkspace(in.rows, 1)
	out := make([]float64, in.rows*m.Spec.Out)
	dout := make([]float64, in.rows*m.Spec.Out)
	ones := make([]float64, in.rows)
	for i := range ones {
		ones[i] = 1
	}
	m.Forward(ws, out, nn.Vars[float64]{X: [][]float64{a, in.obs}, Time: [][]float64{in.t, h}}, in.rows)
	m.JVP(ws, dout, nn.Vars[float64]{X: [][]float64{v, nil}, Time: [][]float64{ones, ones}}, 1)
	return out, dout
}

// checkStopGradient compares grad with central differences of
// L(θ) = mean((net_θ − target)²) over every parameter, target held fixed.
func checkStopGradient(t *testing.T, what string, params, grad []float64, loss func() float64) {
	t.Helper()
	for i := range params {
		p := params[i]
		params[i] = p + 1e-6
		lp := loss()
		params[i] = p - 1e-6
		lm := loss()
		params[i] = p
		num := (lp - lm) / 2e-6
		if math.Abs(num-grad[i]) > 1e-6*(1+math.Abs(num)) {
			t.Fatalf("%s: ∂L/∂θ[%d] = %.10g, differences (target held) give %.10g", what, i, grad[i], num)
		}
	}
}

func TestMeanFlowLossGradientHoldsTheTargetConstant(t *testing.T) {
	o, d, rows := 3, 2, 5
	policy, adn := nets64(t, o, d, 20)
	in := randomLossInputs(o, d, rows, 2)
	for _, shards := range []int{1, 2} {
		var pool *par.Pool
		if shards > 1 {
			pool = par.NewPool(shards)
			defer pool.Close()
		}
		tr := NewTrainer(policy, adn, rows, 2, false, pool)
		loss, g := tr.MeanFlowLoss(in.obs, in.at, in.t, in.h, in.v, rows)
		grad := append([]float64(nil), g...)
		// The target at θ0: v − clip(h, 0, 1)·du/dt.
		_, du := jvp(policy, in, in.at, in.h, in.v)
		target := make([]float64, rows*d)
		for i := range target {
			target[i] = in.v[i] - math.Min(math.Max(in.h[i/d], 0), 1)*du[i]
		}
		u := make([]float64, rows*d)
		l := func() float64 {
			forward(policy, u, in, in.at, in.h)
			s := 0.0
			for i := range u {
				s += (u[i] - target[i]) * (u[i] - target[i])
			}
			return s / float64(rows*d)
		}
		if math.Abs(l()-loss) > 1e-12 {
			t.Fatalf("loss %v, want %v", loss, l())
		}
		checkStopGradient(t, "MeanFlowLoss", policy.Params, grad, l)
	}
}

// divergence returns ∇_a·v and Hutchinson's (1/N)Σ εᵀJε for v =
// u(s, a, t, 0), with J by central differences.
func divergence(policy *nn.MLP[float64], in lossInputs, d, probes int) (exact, hutch []float64) {
	zero := make([]float64, in.rows)
	exact, hutch = make([]float64, in.rows), make([]float64, in.rows)
	vp, vm := make([]float64, in.rows*d), make([]float64, in.rows*d)
	jac := make([]float64, in.rows*d*d) // J[i][out][in]
	for k := 0; k < d; k++ {
		a := append([]float64(nil), in.at...)
		for i := 0; i < in.rows; i++ {
			a[i*d+k] += 1e-6
		}
		forward(policy, vp, in, a, zero)
		for i := 0; i < in.rows; i++ {
			a[i*d+k] -= 2e-6
		}
		forward(policy, vm, in, a, zero)
		for i := 0; i < in.rows; i++ {
			for c := 0; c < d; c++ {
				jac[(i*d+c)*d+k] = (vp[i*d+c] - vm[i*d+c]) / 2e-6
			}
		}
	}
	for i := 0; i < in.rows; i++ {
		for k := 0; k < d; k++ {
			exact[i] += jac[(i*d+k)*d+k]
		}
		for n := 0; n < probes; n++ {
			e := in.probes[(i*probes+n)*d : (i*probes+n+1)*d]
			for c := 0; c < d; c++ {
				for k := 0; k < d; k++ {
					hutch[i] += e[c] * jac[(i*d+c)*d+k] * e[k] / float64(probes)
				}
			}
		}
	}
	return exact, hutch
}

func TestDivergenceLossGradientHoldsTheTargetConstant(t *testing.T) {
	o, d, rows, probes := 3, 2, 5, 3
	policy, adn := nets64(t, o, d, 30)
	in := randomLossInputs(o, d, rows, probes)
	exact, hutch := divergence(policy, in, d, probes)
	zero := make([]float64, rows)
	v := make([]float64, rows*d)
	forward(policy, v, in, in.at, zero)
	_, ddelta := jvp(adn, in, in.at, in.h, v)
	for _, exactTrace := range []bool{false, true} {
		div := hutch
		if exactTrace {
			div = exact
		}
		target := make([]float64, rows)
		for i := range target {
			target[i] = div[i] - math.Min(math.Max(in.h[i], 0), 1)*ddelta[i]
		}
		delta := make([]float64, rows)
		l := func() float64 {
			forward(adn, delta, in, in.at, in.h)
			s := 0.0
			for i := range delta {
				s += (delta[i] - target[i]) * (delta[i] - target[i])
			}
			return s / float64(rows)
		}
		tr := NewTrainer(policy, adn, rows, probes, exactTrace, nil)
		loss, g := tr.DivergenceLoss(in.obs, in.at, in.t, in.h, in.probes, rows)
		grad := append([]float64(nil), g...)
		// The divergence comes from differences of v: allow their error.
		if math.Abs(l()-loss) > 1e-7*(1+l()) {
			t.Fatalf("exact=%v: loss %.12g, want %.12g", exactTrace, loss, l())
		}
		checkStopGradient(t, "DivergenceLoss", adn.Params, grad, l)
	}
}
