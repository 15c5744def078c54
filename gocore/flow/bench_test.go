package flow

import (
	"math"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/nn"
)

// BenchmarkSampler: the proposal rollouts of the actor step (§8) on one
// shard at HalfCheetah sizes (obs 17, act 6, 3×256 networks): 256 states
// × K1 = 16 proposals, T = 2, with log-likelihoods. "split" is Sampler
// (the first layer split, time embeddings once per step); "forward" is
// the same recurrence on plain Forward calls (states repeated per row,
// times per row), the computation before the split, measured in the same
// run. With -short (the smoke run): 16 states.
func BenchmarkSampler(b *testing.B) {
	const o, d, repeat, steps = 17, 6, 16, 2
	states := 256
	if testing.Short() {
		states = 16
	}
	rows := states * repeat
	ps, ds := nn.PolicySpec(o, d, nn.DefaultHidden), nn.AverageDivergenceSpec(o, d, nn.DefaultHidden)
	policy, _ := nn.New(cpu.New[float32](), ps, rng(1))
	adn, _ := nn.New(cpu.New[float32](), ds, rng(2))
	r := rng(3)
	obs, eps := normals(r, states*o), normals(r, rows*d)
	act, logp := make([]float32, rows*d), make([]float32, rows)

	b.Run("split", func(b *testing.B) {
		s := NewSampler(policy, adn, rows, nil)
		s.Sample(act, logp, obs, repeat, eps, rows, steps)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			s.Sample(act, logp, obs, repeat, eps, rows, steps)
		}
	})
	b.Run("forward", func(b *testing.B) {
		pws, dws := policy.NewWorkspace(rows, 0), adn.NewWorkspace(rows, 0)
		a, rep, u, delta := make([]float32, rows*d), make([]float32, rows*o), make([]float32, rows*d), make([]float32, rows)
		t, h := make([]float32, rows), make([]float32, rows)
		in := nn.Vars[float32]{X: [][]float32{a, rep}, Time: [][]float32{t, h}}
		run := func() {
			for i := 0; i < rows; i++ {
				copy(rep[i*o:(i+1)*o], obs[(i/repeat)*o:])
			}
			copy(a, eps)
			c := float32(-0.5 * d * math.Log(2*math.Pi))
			for i := range logp {
				var sq float32
				for _, e := range a[i*d : (i+1)*d] {
					sq += e * e
				}
				logp[i] = c - 0.5*sq
			}
			for k := steps; k >= 1; k-- {
				for i := range t {
					t[i], h[i] = float32(k)/steps, 1.0/steps
				}
				policy.Forward(pws, u, in, rows)
				adn.Forward(dws, delta, in, rows)
				for i := range logp {
					logp[i] += h[i] * delta[i]
				}
				for i := range a {
					a[i] -= h[0] * u[i]
				}
			}
			for i, v := range a {
				act[i] = min(max(v, -1), 1)
			}
		}
		run()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			run()
		}
	})
}
