// Package mfpotest holds the agent configuration the tests of the packages
// built on gocore/mfpo share. (gocore/mfpo's own tests keep a copy: they
// are in package mfpo, which cannot import this package.)
package mfpotest

import "github.com/mfpo/mfpo/gocore/mfpo"

// TinyConfig is the paper's defaults shrunk for unit tests: 2×32 networks,
// 8 Fourier features, 21 atoms on [−100, 100], K1 = 4, K2 = 8, batch 16, a
// 1000-row buffer, updates from the first batch, best-of-3.
func TinyConfig() mfpo.Config {
	c := mfpo.DefaultConfig()
	c.Hidden = []int{32, 32}
	c.TimeFeatures, c.TimeWidth = 8, 8
	c.Atoms, c.VMin, c.VMax = 21, -100, 100
	c.PolicySamples, c.PosteriorSamples = 4, 8
	c.BatchSize = 16
	c.BufferSize = 1000
	c.LearningStarts = 0
	c.EvalCandidates = 3
	return c
}
