package mfpo

import (
	"math/rand/v2"

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

// snisVelocity is the adaptive velocity estimate of one state and its two
// ESS (cpu.SNISRow); w is scratch of ≥ k1 + k2.
func snisVelocity(vhat, at []float32, t float64, cand, q, logp []float32, k1, k2 int, alpha float64, w []float64) (ess1, ess2 float64) {
	return cpu.SNISRow(vhat, at, t, cand, q, logp, k1, k2, alpha, w)
}
