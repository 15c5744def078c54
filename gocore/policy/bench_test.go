package policy_test

import (
	"testing"

	"github.com/mfpo/mfpo/gocore/mfpo"
	. "github.com/mfpo/mfpo/gocore/policy"
)

// BenchmarkActSingle: one HalfCheetah observation (17 → 6) with the paper's
// networks, T = 2, one goroutine.
func BenchmarkActSingle(b *testing.B) {
	for _, mode := range []Mode{Sample, Deterministic, BestOfN} {
		b.Run(mode.String(), func(b *testing.B) {
			a, err := mfpo.New(mfpo.DefaultConfig(), Spaces{ObsDim: 17, ActDim: 6})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			p, err := a.CopyPolicy()
			if err != nil {
				b.Fatal(err)
			}
			obs, dst := randObs(1, 17), make([]float32, 6)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.Act(dst, obs, 1, mode, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkActSingleLive: BenchmarkActSingle through an agent's live view
// (ActingPolicy, NewLive), which computes the actor's time terms at every
// call because the agent's parameters change between calls (§8).
func BenchmarkActSingleLive(b *testing.B) {
	for _, mode := range []Mode{Sample, Deterministic} {
		b.Run(mode.String(), func(b *testing.B) {
			a, err := mfpo.New(mfpo.DefaultConfig(), Spaces{ObsDim: 17, ActDim: 6})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			p := a.ActingPolicy()
			obs, dst := randObs(1, 17), make([]float32, 6)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.Act(dst, obs, 1, mode, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
