package checkpoint

import (
	"runtime"
	"testing"

	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

func allocated(f func()) float64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return float64(m1.TotalAlloc - m0.TotalAlloc)
}

// The memory estimates that Limits are checked against are between 1 and
// 2 times what mfpo.New and acting on a chunk, and loading a policy and
// acting on a chunk, allocate.
func TestCheckpointMemoryEstimate(t *testing.T) {
	small := mfpo.DefaultConfig()
	small.BufferSize = 10_000
	exact := tinyConfig()
	exact.ExactTrace = true
	exact.Probes = 50 // the probe buffer is allocated even with the exact trace
	wide := tinyConfig()
	wide.Shards, wide.BatchSize, wide.PolicySamples = 8, 512, 32
	for name, c := range map[string]struct {
		cfg      mfpo.Config
		obs, act int
	}{
		"paper, 10k buffer": {small, 17, 6}, "paper, 1M buffer": {mfpo.DefaultConfig(), 17, 6},
		"tiny": {tinyConfig(), 3, 2}, "tiny, exact trace": {exact, 5, 4}, "tiny, 8 shards, B 512": {wide, 3, 2},
		"micro": {microConfig(), 2, 1},
	} {
		var a *mfpo.Agent
		sp := policy.Spaces{ObsDim: c.obs, ActDim: c.act}
		rows := max(1, policy.ChunkRows/c.cfg.EvalCandidates) // one whole chunk
		act := func(f func(dst, obs []float32, rows int, mode policy.Mode, seed uint64) error) {
			if err := f(make([]float32, rows*c.act), make([]float32, rows*c.obs), rows, policy.BestOfN, 1); err != nil {
				t.Fatal(err)
			}
		}
		got := allocated(func() {
			var err error
			if a, err = mfpo.New(c.cfg, sp); err != nil {
				t.Fatal(err)
			}
			act(a.ActingPolicy().Act)
		})
		a.Close()
		est := mfpo.EstimateAgent(c.cfg, sp).Total()
		t.Logf("%s: agent estimate %.1f MB, allocated %.1f MB", name, est/1e6, got/1e6)
		if est < got || est > 2*got+(1<<20) {
			t.Errorf("%s: agent estimate %.0f bytes, mfpo.New allocated %.0f", name, est, got)
		}
		data, err := Marshal(a, Options{PolicyOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		got = allocated(func() {
			p, _, err := UnmarshalPolicy(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			act(p.Act)
		})
		est = mfpo.EstimatePolicy(c.cfg, sp).Total()
		t.Logf("%s: policy estimate %.1f MB, allocated %.1f MB", name, est/1e6, got/1e6)
		if est < got || est > 2*got+(1<<20) {
			t.Errorf("%s: policy estimate %.0f bytes, loading and acting allocated %.0f", name, est, got)
		}
	}
}
