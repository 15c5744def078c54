package envs

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// TwoOptimaBanditConfig parameterises TwoOptimaBandit.
type TwoOptimaBanditConfig struct {
	// ObsDim is the length of the constant observation (all ones).
	// Default 1.
	ObsDim int
	// ActDim is the action dimension d. Default 1.
	ActDim int
	// C places the optima at ±C·1 (every coordinate ±C); 0 < C ≤ 1 so both
	// lie in the action box. Default 0.6.
	C float64
	// Sigma is the width σ of each reward bump; σ > 0. Default 0.15.
	Sigma float64
}

// DefaultTwoOptimaBanditConfig returns {ObsDim: 1, ActDim: 1, C: 0.6,
// Sigma: 0.15}.
func DefaultTwoOptimaBanditConfig() TwoOptimaBanditConfig {
	return TwoOptimaBanditConfig{ObsDim: 1, ActDim: 1, C: 0.6, Sigma: 0.15}
}

// Validate returns a *ConfigError for an out-of-range field, else nil.
func (c TwoOptimaBanditConfig) Validate() error {
	switch {
	case c.ObsDim < 1:
		return &ConfigError{"ObsDim", fmt.Sprintf("want ≥ 1, got %d", c.ObsDim)}
	case c.ActDim < 1:
		return &ConfigError{"ActDim", fmt.Sprintf("want ≥ 1, got %d", c.ActDim)}
	case !(c.C > 0 && c.C <= 1):
		return &ConfigError{"C", fmt.Sprintf("want 0 < C ≤ 1, got %v", c.C)}
	case !(c.Sigma > 0 && !math.IsInf(c.Sigma, 1)):
		return &ConfigError{"Sigma", fmt.Sprintf("want finite σ > 0, got %v", c.Sigma)}
	}
	return nil
}

// TwoOptimaBandit is a one-step task whose reward has two separated optima,
// so a unimodal (Gaussian) policy cannot put mass on both. The observation
// is a constant vector of ones; with a = clip(act, −1, 1) ∈ [−1, 1]^d,
//
//	r(a) = max(exp(−‖a − c·1‖²/(2σ²)), exp(−‖a + c·1‖²/(2σ²))) ∈ (0, 1],
//
// equal to 1 exactly at the optima ±c·1 and symmetric under a → −a. Every
// Step terminates the episode.
type TwoOptimaBandit struct {
	cfg    TwoOptimaBanditConfig
	obs    []float32
	active bool
}

// NewTwoOptimaBandit returns a bandit for cfg, or a *ConfigError.
func NewTwoOptimaBandit(cfg TwoOptimaBanditConfig) (*TwoOptimaBandit, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	obs := make([]float32, cfg.ObsDim)
	for i := range obs {
		obs[i] = 1
	}
	return &TwoOptimaBandit{cfg: cfg, obs: obs}, nil
}

// Config returns the bandit's parameters.
func (b *TwoOptimaBandit) Config() TwoOptimaBanditConfig { return b.cfg }

// ObsDim returns cfg.ObsDim.
func (b *TwoOptimaBandit) ObsDim() int { return b.cfg.ObsDim }

// ActDim returns cfg.ActDim.
func (b *TwoOptimaBandit) ActDim() int { return b.cfg.ActDim }

// Reset returns the constant observation; rng is unused and may be nil.
func (b *TwoOptimaBandit) Reset(rng *rand.Rand) []float32 {
	b.active = true
	b.restoreObs()
	return b.obs
}

// Step returns the constant observation, Reward(act) and terminated = true.
func (b *TwoOptimaBandit) Step(act []float32) (obs []float32, reward float64, terminated, truncated bool) {
	reward = b.Reward(act)
	if !b.active {
		panic(msgNotReset)
	}
	b.active = false
	b.restoreObs()
	return b.obs, reward, true, false
}

// Reward returns r(clip(act, −1, 1)) without touching the episode state.
func (b *TwoOptimaBandit) Reward(act []float32) float64 {
	if len(act) != b.cfg.ActDim {
		panic(msgActLen)
	}
	c := b.cfg.C
	var dp, dm float64 // ‖a − c·1‖², ‖a + c·1‖²
	for _, x := range act {
		a := clip1(x)
		dp += (a - c) * (a - c)
		dm += (a + c) * (a + c)
	}
	s2 := 2 * b.cfg.Sigma * b.cfg.Sigma
	return math.Exp(-math.Min(dp, dm) / s2)
}

// Optima returns the two maximisers {+c·1, −c·1} as fresh slices.
func (b *TwoOptimaBandit) Optima() [2][]float32 {
	var o [2][]float32
	for k, s := range [2]float64{1, -1} {
		o[k] = make([]float32, b.cfg.ActDim)
		for i := range o[k] {
			o[k][i] = float32(s * b.cfg.C)
		}
	}
	return o
}

// restoreObs rewrites the ones, in case a caller wrote into the returned
// slice.
func (b *TwoOptimaBandit) restoreObs() {
	for i := range b.obs {
		b.obs[i] = 1
	}
}
