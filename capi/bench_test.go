package main

import (
	"testing"

	"github.com/mfpo/mfpo/gocore/face"
	"github.com/mfpo/mfpo/gocore/policy"
)

// BenchmarkPolicyAct is one observation's mfpo_policy_act called from Go
// (obs 17, act 6, the paper's networks; -short: tiny networks) against
// face.PolicyAct in the same process: shell − face is what the C shell
// adds on the Go side (its checks, conversions and error handling), the
// crossing from C aside (bench_act measures that, tests/c/bench_act.cpp).
// allocs/op must stay 0.
func BenchmarkPolicyAct(b *testing.B) {
	config := `{"buffer_size": 1000}`
	if testing.Short() {
		config = `{"buffer_size": 1000, "hidden": [4], "time_features": 2, "time_width": 2}`
	}
	a, err := face.CreateAgent([]byte(config), policy.Spaces{ObsDim: 17, ActDim: 6})
	if err != nil {
		b.Fatal(err)
	}
	defer face.FreeAgent(a)
	h, err := face.AgentPolicy(a)
	if err != nil {
		b.Fatal(err)
	}
	defer face.FreePolicy(h)
	obs, dst := make([]float32, 17), make([]float32, 6)
	for i := range obs {
		obs[i] = float32(i)/17 - 0.5
	}
	p := (*_Ctype_mfpo_cpolicy)(token(uintptr(h)))
	o, d := (*_Ctype_mfpo_cfloat)(&obs[0]), (*_Ctype_float)(&dst[0])
	for _, mode := range []policy.Mode{policy.Sample, policy.Deterministic, policy.BestOfN} {
		n := _Ctype_int(modeNumber(b, mode))
		for _, c := range []struct {
			name string
			act  func(seed uint64) error
		}{
			{"face", func(seed uint64) error { return face.PolicyAct(h, dst, obs, 1, mode, seed) }},
			{"shell", func(seed uint64) error {
				if rc := mfpo_policy_act(p, o, 17, 1, n, _Ctype_uint64_t(seed), d, 6); rc != 0 {
					return &face.Error{Code: face.Code(rc), Msg: errmsg(uintptr(h))}
				}
				return nil
			}},
		} {
			b.Run(mode.String()+"/"+c.name, func(b *testing.B) {
				if err := c.act(0); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := c.act(uint64(i)); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/action")
			})
		}
	}
}

// modeNumber is mode's MFPO_ACT_* number.
func modeNumber(b *testing.B, m policy.Mode) int {
	for n := 0; ; n++ {
		got, err := face.ModeOfNumber(n)
		if err != nil {
			b.Fatalf("mode %v has no number", m)
		}
		if got == m {
			return n
		}
	}
}
