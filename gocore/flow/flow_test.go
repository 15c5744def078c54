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
