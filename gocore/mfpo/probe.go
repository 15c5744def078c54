package mfpo

import (
	"fmt"
	"math/rand/v2"

	"github.com/mfpo/mfpo/gocore/flow"
)

// VelocityProbe is the velocity estimate of the actor step (§4) for one
// state at one time t, under both proposal mixes from the same
// candidates: a diagnostic of what the policy is trained towards.
type VelocityProbe struct {
	T  float64   // the time, clamped as in training (TimeGuard)
	At []float32 // a_t = (1 − t)·a_0 + t·ε, a_0 the first policy proposal
	// ESS and Balance are the estimates of ESSMix and BalanceMix.
	ESS, Balance MixEstimate
}

// MixEstimate is one mix's estimate for a VelocityProbe.
type MixEstimate struct {
	// Mean is Σ_i w̃_i·a_0^i = a_t − t·v̂, the estimated E[a_0 | a_t]
	// under p*(a_0 | a_t) ∝ exp(Q/α)·N(a_t; (1 − t)·a_0, t²I).
	Mean []float32
	// ESSPolicy and ESSPosterior are what the update's statistics report
	// (Stats): each proposal's own ESS for ESSMix, their shares of the
	// combined ESS for BalanceMix.
	ESSPolicy, ESSPosterior float64
	// PolicyShare is the weight the policy's K1 candidates carry in v̂:
	// λ for ESSMix, Σ_{i<K1} w̃_i for BalanceMix.
	PolicyShare float64
}

// ProbeVelocity returns reps probes of the velocity estimate for the
// observation obs ([ObsDim]) at time t, each with fresh proposals (K1
// from the policy with their ADN log-likelihoods, K2 from the truncated
// posterior), ε and a_0, scored by the online critics at the current α,
// exactly as an update draws them. Every draw comes from rng; the agent's
// training generator is left alone. It allocates its own buffers (a
// diagnostic, not for the training loop).
func (a *Agent) ProbeVelocity(obs []float32, t float64, reps int, rng *rand.Rand) ([]VelocityProbe, error) {
	cfg := &a.Config
	K1, K2, d := cfg.PolicySamples, cfg.PosteriorSamples, a.Spaces.ActDim
	if len(obs) != a.Spaces.ObsDim || reps < 1 || !(t >= 0 && t <= 1) {
		return nil, fmt.Errorf("mfpo: ProbeVelocity: want an observation of %d floats, reps ≥ 1 and 0 ≤ t ≤ 1; have %d, %d, %v",
			a.Spaces.ObsDim, len(obs), reps, t)
	}
	t = min(max(t, cfg.TimeGuard), 1-cfg.TimeGuard)
	rows := reps * K1
	eps := make([]float32, rows*d)
	for i := range eps {
		eps[i] = float32(rng.NormFloat64())
	}
	prop, logp := make([]float32, rows*d), make([]float32, rows)
	flow.NewSampler(a.Policy, a.ADN, rows, nil).Sample(prop, logp, obs, rows, eps, rows, cfg.Steps)
	K := K1 + K2
	cand := make([]float32, reps*K*d)
	at := make([]float32, reps*d)
	for r := 0; r < reps; r++ {
		c := cand[r*K*d : (r+1)*K*d]
		copy(c[:K1*d], prop[r*K1*d:(r+1)*K1*d])
		for j := 0; j < d; j++ {
			at[r*d+j] = float32((1-t)*float64(c[j]) + t*rng.NormFloat64())
		}
		samplePosterior(rng, c[K1*d:], at[r*d:(r+1)*d], t)
	}
	q := make([]float32, reps*K)
	a.Critics.Values(q, obs, reps*K, cand, reps*K)
	alpha := float64(a.Alpha())
	w := make([]float64, velocityScratch(K1, K2, d))
	v := make([]float32, d)
	probes := make([]VelocityProbe, reps)
	for r := range probes {
		p := &probes[r]
		p.T, p.At = t, at[r*d:(r+1)*d]
		for _, m := range []struct {
			mix ProposalMix
			est *MixEstimate
		}{{ESSMix, &p.ESS}, {BalanceMix, &p.Balance}} {
			e1, e2 := snisVelocity(v, p.At, t, cand[r*K*d:(r+1)*K*d], q[r*K:(r+1)*K], logp[r*K1:(r+1)*K1], K1, K2, alpha, m.mix, w)
			m.est.Mean = make([]float32, d)
			for j := range v {
				m.est.Mean[j] = float32(float64(p.At[j]) - t*float64(v[j]))
			}
			m.est.ESSPolicy, m.est.ESSPosterior = e1, e2
			if m.mix == ESSMix {
				m.est.PolicyShare = e1 / (e1 + e2 + 1e-10)
			} else {
				m.est.PolicyShare = e1 / (e1 + e2)
			}
		}
	}
	return probes, nil
}
