package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/par"
)

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

// smallNets returns a small policy and ADN for obs dim o and action dim d.
func smallNets(t *testing.T, o, d int, hidden []int, seed uint64) (*nn.MLP[float32], *nn.MLP[float32]) {
	t.Helper()
	ps := nn.PolicySpec(o, d, hidden)
	ps.TimeFeatures, ps.TimeWidth = 16, 16
	ds := nn.AverageDivergenceSpec(o, d, hidden)
	ds.TimeFeatures, ds.TimeWidth = 16, 16
	p, err := nn.New(cpu.New[float32](), ps, rng(seed))
	if err != nil {
		t.Fatal(err)
	}
	a, err := nn.New(cpu.New[float32](), ds, rng(seed+1))
	if err != nil {
		t.Fatal(err)
	}
	return p, a
}

func normals(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

func TestTimeSampler(t *testing.T) {
	s := DefaultTimeSampler()
	rows := 256
	tt, h := make([]float32, rows), make([]float32, rows)
	r := rng(1)
	var meanT float64
	for rep := 0; rep < 200; rep++ {
		s.Sample(r, tt, h, rows)
		for i := 0; i < rows; i++ {
			if !(tt[i] > 0 && tt[i] < 1 && h[i] >= 0 && h[i] <= tt[i]) {
				t.Fatalf("row %d: t = %v, h = %v", i, tt[i], h[i])
			}
			if (i < 192) != (h[i] == 0) { // the first ⌊0.75·256⌋ rows are flow matching
				t.Fatalf("row %d: h = %v", i, h[i])
			}
			meanT += float64(tt[i])
		}
	}
	// E[max(σ(−0.4+n1), σ(−0.4+n2))] by quadrature in float64.
	want := 0.0
	const k = 400
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			x, y := -6+12*(float64(a)+0.5)/k, -6+12*(float64(b)+0.5)/k
			w := math.Exp(-(x*x+y*y)/2) / (2 * math.Pi) * (12.0 / k) * (12.0 / k)
			want += w * math.Max(sigmoid(-0.4+x), sigmoid(-0.4+y))
		}
	}
	if got := meanT / (200 * float64(rows)); math.Abs(got-want) > 0.005 {
		t.Fatalf("mean t = %.4f, want %.4f", got, want)
	}
}

func TestSamplerMatchesTheRecurrence(t *testing.T) {
	// The sampler against the recurrence written out with Forward calls, for
	// T = 1, 2 and 3, with likelihoods, states repeated, on 1 and 2 shards.
	o, d := 3, 2
	policy, adn := smallNets(t, o, d, []int{16, 16}, 10)
	r := rng(11)
	states, repeat := 3, 4
	rows := states * repeat
	obs := normals(r, states*o)
	eps := normals(r, rows*d)
	for _, steps := range []int{1, 2, 3} {
		// Reference, one row at a time.
		wantA, wantL := make([]float32, rows*d), make([]float32, rows)
		pws, dws := policy.NewWorkspace(1, 0), adn.NewWorkspace(1, 0)
		for i := 0; i < rows; i++ {
			a := append([]float32(nil), eps[i*d:(i+1)*d]...)
			l := -0.5*float64(d)*math.Log(2*math.Pi) - 0.5*float64(a[0]*a[0]+a[1]*a[1])
			s := obs[(i/repeat)*o : (i/repeat+1)*o]
			for k := steps; k >= 1; k-- {
				tk, h := []float32{float32(k) / float32(steps)}, []float32{1 / float32(steps)}
				in := nn.Vars[float32]{X: [][]float32{a, s}, Time: [][]float32{tk, h}}
				u, delta := make([]float32, d), make([]float32, 1)
				policy.Forward(pws, u, in, 1)
				adn.Forward(dws, delta, in, 1)
				l += float64(h[0] * delta[0])
				for j := range a {
					a[j] -= h[0] * u[j]
				}
			}
			for j := range a {
				wantA[i*d+j] = min(max(a[j], -1), 1)
			}
			wantL[i] = float32(l)
		}
		for _, shards := range []int{1, 2} {
			var pool *par.Pool
			if shards > 1 {
				pool = par.NewPool(shards)
			}
			s := NewSampler(policy, adn, rows, pool)
			act, logp := make([]float32, rows*d), make([]float32, rows)
			s.Sample(act, logp, obs, repeat, eps, rows, steps)
			for i := range act {
				if math.Abs(float64(act[i]-wantA[i])) > 1e-5 {
					t.Fatalf("T=%d shards=%d: action[%d] = %v, want %v", steps, shards, i, act[i], wantA[i])
				}
			}
			for i := range logp {
				if math.Abs(float64(logp[i]-wantL[i])) > 1e-4 {
					t.Fatalf("T=%d shards=%d: logp[%d] = %v, want %v", steps, shards, i, logp[i], wantL[i])
				}
			}
			if pool != nil {
				pool.Close()
			}
		}
	}
}

// skipShort skips a learning run under -short (go test -short is the quick
// pass; make test-go runs them).
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("a learning run: skipped under -short")
	}
}

// In float64 the split sampler (§8: the state's term once per state, the
// time embeddings once per step) is the recurrence written out with plain
// Forward calls to rounding, with a state straddling the shards' boundary.
func TestSamplerFloat64IsTheRecurrence(t *testing.T) {
	o, d, hidden := 3, 2, []int{8, 8}
	ps, ds := nn.PolicySpec(o, d, hidden), nn.AverageDivergenceSpec(o, d, hidden)
	ps.TimeFeatures, ps.TimeWidth, ds.TimeFeatures, ds.TimeWidth = 4, 5, 4, 5
	policy, _ := nn.New(cpu.New[float64](), ps, rng(20))
	adn, _ := nn.New(cpu.New[float64](), ds, rng(21))
	r := rng(22)
	for _, m := range []*nn.MLP[float64]{policy, adn} {
		for i := range m.Params {
			m.Params[i] += 0.3 * r.NormFloat64()
		}
	}
	for _, steps := range []int{2, 17} { // 17: the grid in two blocks
		samplerFloat64Case(t, policy, adn, o, d, steps)
	}
}

func samplerFloat64Case(t *testing.T, policy, adn *nn.MLP[float64], o, d, steps int) {
	r := rng(uint64(23 + steps))
	states, repeat := 3, 5
	rows := states * repeat
	obs, eps := make([]float64, states*o), make([]float64, rows*d)
	for i := range obs {
		obs[i] = r.NormFloat64()
	}
	for i := range eps {
		eps[i] = r.NormFloat64()
	}
	// The recurrence on all rows at once, states written out per row.
	full := nn.Vars[float64]{X: [][]float64{make([]float64, rows*d), make([]float64, rows*o)}, Time: [][]float64{make([]float64, rows), make([]float64, rows)}}
	wantA, wantL := full.X[0], make([]float64, rows)
	copy(wantA, eps)
	for i := 0; i < rows; i++ {
		copy(full.X[1][i*o:(i+1)*o], obs[(i/repeat)*o:])
		wantL[i] = -0.5 * float64(d) * math.Log(2*math.Pi)
		for _, e := range eps[i*d : (i+1)*d] {
			wantL[i] -= 0.5 * e * e
		}
	}
	pws, dws := policy.NewWorkspace(rows, 0), adn.NewWorkspace(rows, 0)
	u, delta := make([]float64, rows*d), make([]float64, rows)
	h := 1 / float64(steps)
	for k := steps; k >= 1; k-- {
		for i := 0; i < rows; i++ {
			full.Time[0][i], full.Time[1][i] = float64(k)/float64(steps), h
		}
		policy.Forward(pws, u, full, rows)
		adn.Forward(dws, delta, full, rows)
		for i := range wantL {
			wantL[i] += h * delta[i]
		}
		for i := range wantA {
			wantA[i] -= h * u[i]
		}
	}
	for i, v := range wantA {
		wantA[i] = min(max(v, -1), 1)
	}
	pool := par.NewPool(2) // rows 0…7 and 8…14: state 1 is split 3 + 2
	defer pool.Close()
	s := NewSampler(policy, adn, rows, pool)
	act, logp := make([]float64, rows*d), make([]float64, rows)
	s.Sample(act, logp, obs, repeat, eps, rows, steps)
	for i := range act {
		if math.Abs(act[i]-wantA[i]) > 1e-12 {
			t.Fatalf("T=%d: action[%d] = %.17g, want %.17g", steps, i, act[i], wantA[i])
		}
	}
	for i := range logp {
		if math.Abs(logp[i]-wantL[i]) > 1e-12*(1+math.Abs(wantL[i])) {
			t.Fatalf("T=%d: logp[%d] = %.17g, want %.17g", steps, i, logp[i], wantL[i])
		}
	}
}

// A grid computed once gives Sample's results bit for bit, the sampler
// allocates nothing per call, and the trajectory may run in eps itself.
func TestSamplerGrid(t *testing.T) {
	o, d := 3, 2
	policy, adn := smallNets(t, o, d, []int{16, 16}, 30)
	r := rng(31)
	rows, repeat, steps := 12, 4, 2
	obs, eps := normals(r, rows/repeat*o), normals(r, rows*d)
	s := NewSampler(policy, adn, rows, nil)
	act, logp := make([]float32, rows*d), make([]float32, rows)
	s.Sample(act, logp, obs, repeat, eps, rows, steps)
	var g Grid[float32]
	NewSampler(policy, adn, 1, nil).SetGrid(&g, steps)
	act2, logp2 := make([]float32, rows*d), make([]float32, rows)
	s.SampleGrid(&g, act2, logp2, obs, repeat, eps, rows)
	inPlace := append([]float32(nil), eps...)
	s.SampleGrid(&g, inPlace, nil, obs, repeat, inPlace, rows)
	for i := range act {
		if act[i] != act2[i] || act[i] != inPlace[i] {
			t.Fatalf("action[%d]: Sample %v, SampleGrid %v, in place %v", i, act[i], act2[i], inPlace[i])
		}
	}
	for i := range logp {
		if logp[i] != logp2[i] {
			t.Fatalf("logp[%d]: Sample %v, SampleGrid %v", i, logp[i], logp2[i])
		}
	}
	if n := testing.AllocsPerRun(10, func() { s.Sample(act, logp, obs, repeat, eps, rows, steps) }); n != 0 {
		t.Fatalf("Sample: %v allocations per call", n)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("log-likelihoods from a grid without an ADN: no panic")
			}
		}()
		var pg Grid[float32]
		NewSampler(policy, nil, 1, nil).SetGrid(&pg, steps)
		s.SampleGrid(&pg, act, logp, obs, repeat, eps, rows)
	}()
}
