package mfpo

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

// paperVelocity is snisVelocity as it was before ProposalMix existed,
// frozen: the reference the ESS mix must still equal bit for bit.
func paperVelocity(vhat, at []float32, t float64, cand, q, logp []float32, k1, k2 int, alpha float64, w []float64) (ess1, ess2 float64) {
	d := len(at)
	w = w[:k1+k2]
	for k := 0; k < k1; k++ {
		var sq float64
		for j, a := range at {
			r := float64(a) - (1-t)*float64(cand[k*d+j])
			sq += r * r
		}
		w[k] = float64(q[k])/alpha - sq/(2*t*t) - float64(logp[k])
	}
	for k := k1; k < k1+k2; k++ {
		w[k] = float64(q[k]) / alpha
	}
	ess1 = cpu.Normalise(w[:k1])
	ess2 = cpu.Normalise(w[k1:])
	lambda := ess1 / (ess1 + ess2 + 1e-10)
	for j, a := range at {
		var v1, v2 float64
		for k := 0; k < k1; k++ {
			v1 += w[k] * float64(cand[k*d+j])
		}
		for k := k1; k < k1+k2; k++ {
			v2 += w[k] * float64(cand[k*d+j])
		}
		// Σ w̃ (a_t − a_0)/t = (a_t − Σ w̃ a_0)/t, as the weights sum to 1.
		v1 = (float64(a) - v1) / t
		v2 = (float64(a) - v2) / t
		vhat[j] = float32(lambda*v1 + (1-lambda)*v2)
	}
	return ess1, ess2
}

// With ESSMix, snisVelocity is the paper's estimator exactly as before the
// option: the same bits of v̂ and of both ESS on random inputs, every
// time regime, so a default agent trains bit for bit as it did.
func TestESSMixIsUnchanged(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	const k1, k2 = 5, 7
	for _, d := range []int{1, 3} {
		for _, tt := range []float64{1e-4, 0.02, 0.3, 0.7, 0.99, 1 - 1e-4} {
			for r := 0; r < 50; r++ {
				at := make([]float32, d)
				for j := range at {
					at[j] = float32(2 * rng.NormFloat64())
				}
				cand := make([]float32, (k1+k2)*d)
				q := make([]float32, k1+k2)
				logp := make([]float32, k1)
				for i := range cand {
					cand[i] = float32(2*rng.Float64() - 1)
				}
				for i := range q {
					q[i] = float32(rng.NormFloat64())
				}
				for i := range logp {
					logp[i] = float32(rng.NormFloat64())
				}
				v0, v1 := make([]float32, d), make([]float32, d)
				a0, b0 := paperVelocity(v0, at, tt, cand, q, logp, k1, k2, 0.05, make([]float64, k1+k2))
				a1, b1 := snisVelocity(v1, at, tt, cand, q, logp, k1, k2, 0.05, ESSMix, make([]float64, velocityScratch(k1, k2, d)))
				if !equal(v0, v1) || math.Float64bits(a0) != math.Float64bits(a1) || math.Float64bits(b0) != math.Float64bits(b1) {
					t.Fatalf("d = %d, t = %v: v̂ %v, ESS %v %v; before the option %v, %v %v", d, tt, v1, a1, b1, v0, a0, b0)
				}
			}
		}
	}
}

func TestProposalMixConfig(t *testing.T) {
	if DefaultConfig().ProposalMix != ESSMix || SmallConfig().ProposalMix != ESSMix {
		t.Fatal("the presets must use the paper's ESS mix")
	}
	c, err := ConfigFromJSON([]byte(`{"preset": "small", "proposal_mix": "balance"}`))
	if err != nil || c.ProposalMix != BalanceMix {
		t.Fatalf(`"balance": %v, %v`, c.ProposalMix, err)
	}
	if back, err := ConfigFromJSON([]byte(c.JSON())); err != nil || back.ProposalMix != BalanceMix || !strings.Contains(c.JSON(), `"proposal_mix":"balance"`) {
		t.Fatalf("round trip: %v, %v in %s", back.ProposalMix, err, c.JSON())
	}
	for doc, field := range map[string]string{
		`{"proposal_mix": "Balance"}`: "ProposalMix",
		`{"proposal_mix": ""}`:        "ProposalMix",
		`{"proposal_mix": 1}`:         "proposal_mix",
		`{"proposal_mix": null}`:      "proposal_mix",
	} {
		_, err := ConfigFromJSON([]byte(doc))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: %v, want a *ConfigError naming %s", doc, err, field)
		}
	}
	bad := DefaultConfig()
	bad.ProposalMix = "mis"
	err = bad.Validate()
	if err == nil || !strings.Contains(err.Error(), `want "ess" or "balance"`) {
		t.Errorf("Validate of an unknown mix: %v", err)
	}
}

// An agent with BalanceMix trains deterministically, allocates nothing in
// an update, and its updates differ from the ESS mix's (the option
// reaches the estimator).
func TestBalanceMixAgent(t *testing.T) {
	run := func(mix ProposalMix) ([]Stats, [][]float32, *Agent) {
		cfg := tinyConfig()
		cfg.Shards, cfg.ProposalMix = 2, mix
		a := newTiny(t, cfg, 3, 2)
		fill(t, a, 200)
		var stats []Stats
		for i := 0; i < 10; i++ {
			st, err := a.Update()
			if err != nil {
				t.Fatal(err)
			}
			stats = append(stats, st)
		}
		return stats, state(a), a
	}
	s1, p1, a := run(BalanceMix)
	s2, p2, _ := run(BalanceMix)
	s3, p3, _ := run(ESSMix)
	for i := range s1 {
		if s1[i] != s2[i] {
			t.Fatalf("update %d: stats %+v vs %+v", i, s1[i], s2[i])
		}
	}
	if !sameBits(p1, p2) {
		t.Fatal("same seed, different parameters")
	}
	if sameBits(p1, p3) || s1[0].ActorLoss == s3[0].ActorLoss {
		t.Fatal("BalanceMix trained exactly as ESSMix")
	}
	// The critic step comes first and does not depend on the mix.
	if s1[0].CriticLoss != s3[0].CriticLoss {
		t.Fatalf("first critic losses %v and %v differ", s1[0].CriticLoss, s3[0].CriticLoss)
	}
	for _, st := range s1 {
		if e := st.ESSPolicy + st.ESSPosterior; !(e >= 1 && e <= float32(a.Config.PolicySamples+a.Config.PosteriorSamples)) {
			t.Fatalf("combined ESS %v outside [1, K1 + K2]", e)
		}
	}
	if n := testing.AllocsPerRun(5, func() { a.Update() }); n != 0 {
		t.Fatalf("Update with BalanceMix allocates %v times", n)
	}
}

// The velocity estimate of one state at the paper's sizes (K1 = 16,
// K2 = 32, d = 6: HalfCheetah's actions), per mix: an update runs it
// BatchSize times (256), split over the shards.
func BenchmarkVelocity(b *testing.B) {
	const k1, k2, d = 16, 32, 6
	rng := rand.New(rand.NewPCG(81, 82))
	at := make([]float32, d)
	cand := make([]float32, (k1+k2)*d)
	q, logp := make([]float32, k1+k2), make([]float32, k1)
	for i := range cand {
		cand[i] = float32(2*rng.Float64() - 1)
	}
	for i := range at {
		at[i] = float32(rng.NormFloat64())
	}
	for i := range q {
		q[i] = float32(rng.NormFloat64())
	}
	for i := range logp {
		logp[i] = float32(rng.NormFloat64())
	}
	v, w := make([]float32, d), make([]float64, velocityScratch(k1, k2, d))
	for _, mix := range ProposalMixes {
		b.Run(string(mix), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				snisVelocity(v, at, 0.5, cand, q, logp, k1, k2, 0.01, mix, w)
			}
		})
	}
}
