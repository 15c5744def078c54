package mfpo

import (
	"math/rand/v2"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

// The estimator of §4 is the backend's: Backend.TruncPosterior draws the
// posterior proposals and Backend.SNISVelocity weighs the candidates;
// their CPU kernels (gocore/backend/cpu, estimator.go) hold the math.
// These are those kernels for one state, on the host.

// samplePosterior fills dst ([K2×d]) with K2 draws of the truncated
// Gaussian posterior proposal of one state from rng (cpu.SamplePosterior).
func samplePosterior(rng *rand.Rand, dst, at []float32, t float64) {
	cpu.SamplePosterior(rng, dst, at, t)
}

// snisVelocity is the velocity estimate of §4 for one state with the
// proposal mix mix (cpu.SNISRow); w is scratch of velocityScratch floats.
func snisVelocity(vhat, at []float32, t float64, cand, q, logp []float32, k1, k2 int, alpha float64, mix ProposalMix, w []float64) (ess1, ess2 float64) {
	return cpu.SNISRow(vhat, at, t, cand, q, logp, k1, k2, alpha, mix.backend(), w)
}

// velocityScratch is the length of snisVelocity's scratch.
func velocityScratch(k1, k2, d int) int { return cpu.VelocityScratch(k1, k2, d) }

// backend is the mix as the backend's operation takes it.
func (m ProposalMix) backend() backend.ProposalMix {
	if m == BalanceMix {
		return backend.BalanceMix
	}
	return backend.ESSMix
}
