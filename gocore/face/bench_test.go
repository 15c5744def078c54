package face

import (
	"slices"
	"testing"
	"time"

	"github.com/mfpo/mfpo/gocore/policy"
)

// BenchmarkAct is one observation's act (HalfCheetah sizes, obs 17, act
// 6, the paper's networks; -short: tiny networks) through face and, for
// comparison, the core call under it in the same process: core/agent is
// mfpo.Agent.Act with the mapping onto the box, face/agent AgentAct,
// core/policy policy.Policy.Act, face/policy PolicyAct. face − core is
// what the face layer adds (handle lookup, lock, checks), which both
// shells pay before their own crossing. Besides the mean (ns/op) each
// reports the median of per-call times (µs/median, each call timed with
// time.Now, as bench_act and bench_python time theirs): on a loaded
// machine the mean follows the preemptions, the median the work.
func BenchmarkAct(b *testing.B) {
	config := `{"buffer_size": 1000}`
	if testing.Short() {
		config = `{"buffer_size": 1000, "hidden": [4], "time_features": 2, "time_width": 2}`
	}
	h, err := CreateAgent([]byte(config), policy.Spaces{ObsDim: 17, ActDim: 6})
	if err != nil {
		b.Fatal(err)
	}
	defer FreeAgent(h)
	p, err := AgentPolicy(h)
	if err != nil {
		b.Fatal(err)
	}
	defer FreePolicy(p)
	ah := lookup(h).(*agentHandle)
	pol := lookup(p).(*policyHandle).p
	obs := make([]float32, 17)
	for i := range obs {
		obs[i] = float32(i)/17 - 0.5
	}
	dst, unit := make([]float32, 6), make([]float32, 6)
	for _, mode := range []policy.Mode{policy.Sample, policy.Deterministic, policy.BestOfN} {
		for _, c := range []struct {
			name string
			act  func(seed uint64) error
		}{
			{"core/agent", func(seed uint64) error {
				if err := ah.agent.Act(unit, obs, 1, mode, seed); err != nil {
					return err
				}
				ah.agent.Spaces.ToEnv(dst, unit)
				return nil
			}},
			{"face/agent", func(seed uint64) error { return AgentAct(h, dst, obs, 1, mode, seed) }},
			{"core/policy", func(seed uint64) error { return pol.Act(dst, obs, 1, mode, seed) }},
			{"face/policy", func(seed uint64) error { return PolicyAct(p, dst, obs, 1, mode, seed) }},
		} {
			b.Run(mode.String()+"/"+c.name, func(b *testing.B) {
				if err := c.act(0); err != nil {
					b.Fatal(err)
				}
				ts := make([]time.Duration, b.N)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					if err := c.act(uint64(i)); err != nil {
						b.Fatal(err)
					}
					ts[i] = time.Since(t0)
				}
				b.StopTimer()
				slices.Sort(ts)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/action")
				b.ReportMetric(float64(ts[len(ts)/2].Nanoseconds())/1e3, "µs/median")
			})
		}
	}
}
