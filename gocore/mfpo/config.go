package mfpo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mfpo/mfpo/gocore/flow"
	"github.com/mfpo/mfpo/gocore/policy"
)

// Config holds every hyperparameter of docs/algorithm.md. DefaultConfig
// returns the authors' published defaults; each field's comment gives its
// default and the section that uses it.
type Config struct {
	// Networks (§7).
	Hidden       []int `json:"hidden"`        // hidden widths of the policy, the ADN and the critics: 256, 256, 256
	TimeFeatures int   `json:"time_features"` // Fourier frequencies F of each time embedding: 64
	TimeWidth    int   `json:"time_width"`    // width of each time embedding: 64

	// Sampling (§1).
	Steps int `json:"steps"` // T, sampler steps: 2

	// Critics (§3).
	Atoms          int     `json:"atoms"` // C51 atoms: 101
	VMin           float64 `json:"v_min"` // support: −1600, 1600 (VMax)
	VMax           float64 `json:"v_max"`
	Gamma          float64 `json:"gamma"`            // discount γ: 0.99
	Tau            float64 `json:"tau"`              // Polyak rate τ of the target critics: 0.005
	ClippedDoubleQ bool    `json:"clipped_double_q"` // target = the lower-valued target distribution (else their mean); Q in the weights = min (else mean): true

	// Policy improvement (§4).
	PolicySamples    int              `json:"policy_samples"`    // K1, proposals from the current policy per state: 16
	PosteriorSamples int              `json:"posterior_samples"` // K2, proposals from the truncated Gaussian posterior per state: 32
	TimeGuard        float64          `json:"time_guard"`        // t is clamped to [TimeGuard, 1 − TimeGuard] where §4 divides by t or 1 − t: 1e-4
	TimeSampler      flow.TimeSampler `json:"time_sampler"`
	ProposalMix      ProposalMix      `json:"proposal_mix"` // how the two proposals' candidates combine into v̂: "ess" (the paper's)

	// Average divergence (§2).
	Probes     int  `json:"probes"`      // Hutchinson probes N: 2
	ExactTrace bool `json:"exact_trace"` // exact divergence by d JVPs instead of probes: false

	// Temperature (§5).
	InitAlpha           float64 `json:"init_alpha"`             // α at the start: 0.01
	TargetEntropyPerDim float64 `json:"target_entropy_per_dim"` // H̄ = TargetEntropyPerDim·d: −0.5

	// Optimisation (§7): Adam, β1 0.9, β2 0.999, ε 1e-8.
	ActorLR   float64 `json:"actor_lr"` // 3e-4 each
	ADNLR     float64 `json:"adn_lr"`
	CriticLR  float64 `json:"critic_lr"`
	AlphaLR   float64 `json:"alpha_lr"`
	BatchSize int     `json:"batch_size"` // 256

	// Replay and acting (§6, §7).
	BufferSize     int `json:"buffer_size"`     // replay capacity: 1 000 000
	LearningStarts int `json:"learning_starts"` // uniform random actions and no updates before this many stored transitions: 10 000
	EvalCandidates int `json:"eval_candidates"` // N of best-of-N evaluation acting (1 = plain sampling): 10

	// Execution.
	// Seed seeds every random draw. Shards is the number of batch slices
	// computed in parallel (2); it is part of the computation, not the
	// core count. The same Config, inputs and build give bit-identical
	// results wherever the same BLAS and vector kernels run (the
	// "blas_core" and "cpu_kernels" of the build info); on other kernels
	// (another CPU's OpenBLAS core or vector path) results agree to float32 rounding and a training run
	// drifts onto another trajectory. See docs/reproducibility.md.
	Seed   uint64 `json:"seed"`
	Shards int    `json:"shards"`
}

// DefaultConfig returns the paper's defaults.
func DefaultConfig() Config {
	return Config{
		Hidden: []int{256, 256, 256}, TimeFeatures: 64, TimeWidth: 64,
		Steps: 2,
		Atoms: 101, VMin: -1600, VMax: 1600, Gamma: 0.99, Tau: 0.005, ClippedDoubleQ: true,
		PolicySamples: 16, PosteriorSamples: 32, TimeGuard: 1e-4, TimeSampler: flow.DefaultTimeSampler(), ProposalMix: ESSMix,
		Probes:    2,
		InitAlpha: 0.01, TargetEntropyPerDim: -0.5,
		ActorLR: 3e-4, ADNLR: 3e-4, CriticLR: 3e-4, AlphaLR: 3e-4, BatchSize: 256,
		BufferSize: 1_000_000, LearningStarts: 10_000, EvalCandidates: 10,
		Seed: 1, Shards: 2,
	}
}

// Hard limits of the training fields (docs/limits.md); the acting fields'
// are policy's (MaxSteps, MaxAtoms, MaxEvalCandidates, MaxValue). Within
// them, the memory an agent needs is bounded by the budget (MemoryLimit).
const (
	MaxLayers       = 16      // hidden layers
	MaxWidth        = 1 << 16 // a hidden width, TimeWidth
	MaxTimeFeatures = 1 << 12 // Fourier frequencies F
	MaxSamples      = 1 << 12 // K1, K2
	MaxProbes       = 1 << 10 // Hutchinson probes N
	MaxBatch        = 1 << 16 // BatchSize
	MaxBuffer       = 1 << 30 // BufferSize
	MaxShards       = 64      // Shards
)

// ConfigError names the invalid field of a Config: one error type for
// the agent's configuration and its acting subset.
type ConfigError = policy.ConfigError

// configError is a *ConfigError.
func configError(field string, v any, reason string) error {
	return &ConfigError{Field: field, Value: v, Reason: reason}
}

// Acting is the subset of the configuration that acting needs.
func (c Config) Acting() policy.Config {
	return policy.Config{Steps: c.Steps, EvalCandidates: c.EvalCandidates, Atoms: c.Atoms, VMin: c.VMin, VMax: c.VMax}
}

// Validate returns a *ConfigError for the first invalid field.
func (c Config) Validate() error {
	bad := configError
	finite := policy.Float32 // each of these goes into float32 arithmetic
	if len(c.Hidden) == 0 || len(c.Hidden) > MaxLayers {
		return bad("Hidden", c.Hidden, fmt.Sprintf("want 1 … %d hidden layers", MaxLayers))
	}
	for _, w := range c.Hidden {
		if w < 1 || w > MaxWidth {
			return bad("Hidden", c.Hidden, fmt.Sprintf("every width must be 1 … %d", MaxWidth))
		}
	}
	switch {
	case c.TimeFeatures < 1 || c.TimeFeatures > MaxTimeFeatures:
		return bad("TimeFeatures", c.TimeFeatures, fmt.Sprintf("want 1 … %d", MaxTimeFeatures))
	case c.TimeWidth < 1 || c.TimeWidth > MaxWidth:
		return bad("TimeWidth", c.TimeWidth, fmt.Sprintf("want 1 … %d", MaxWidth))
	}
	if err := c.Acting().Validate(); err != nil { // Steps, Atoms, VMin, VMax, EvalCandidates
		return err
	}
	switch {
	case !(c.Gamma >= 0 && c.Gamma <= 1):
		return bad("Gamma", c.Gamma, "want 0 ≤ γ ≤ 1")
	case !(c.Tau > 0 && c.Tau <= 1):
		return bad("Tau", c.Tau, "want 0 < τ ≤ 1")
	case c.PolicySamples < 1 || c.PolicySamples > MaxSamples:
		return bad("PolicySamples", c.PolicySamples, fmt.Sprintf("want K1 = 1 … %d", MaxSamples))
	case c.PosteriorSamples < 1 || c.PosteriorSamples > MaxSamples:
		return bad("PosteriorSamples", c.PosteriorSamples, fmt.Sprintf("want K2 = 1 … %d", MaxSamples))
	case !(c.TimeGuard > 0 && c.TimeGuard < 0.5):
		return bad("TimeGuard", c.TimeGuard, "want 0 < guard < 0.5")
	case !c.ExactTrace && c.Probes < 1, c.Probes > MaxProbes, c.Probes < 0:
		return bad("Probes", c.Probes, fmt.Sprintf("want N = 1 … %d Hutchinson probes (or ExactTrace)", MaxProbes))
	case !(c.InitAlpha > 0) || !finite(c.InitAlpha):
		return bad("InitAlpha", c.InitAlpha, "want α > 0 "+policy.Float32Range)
	case !finite(c.TargetEntropyPerDim):
		return bad("TargetEntropyPerDim", c.TargetEntropyPerDim, "want a number "+policy.Float32Range)
	case c.BatchSize < 1 || c.BatchSize > MaxBatch:
		return bad("BatchSize", c.BatchSize, fmt.Sprintf("want 1 … %d", MaxBatch))
	case c.BufferSize < 1 || c.BufferSize > MaxBuffer:
		return bad("BufferSize", c.BufferSize, fmt.Sprintf("want 1 … %d", MaxBuffer))
	case c.BufferSize < c.BatchSize:
		return bad("BufferSize", c.BufferSize, fmt.Sprintf("want ≥ BatchSize (%d)", c.BatchSize))
	case c.LearningStarts < 0:
		return bad("LearningStarts", c.LearningStarts, "want ≥ 0")
	case c.Shards < 1 || c.Shards > MaxShards:
		return bad("Shards", c.Shards, fmt.Sprintf("want 1 … %d", MaxShards))
	}
	for _, lr := range []struct {
		name string
		v    float64
	}{{"ActorLR", c.ActorLR}, {"ADNLR", c.ADNLR}, {"CriticLR", c.CriticLR}, {"AlphaLR", c.AlphaLR}} {
		if !(lr.v > 0) || !finite(lr.v) {
			return bad(lr.name, lr.v, "want a learning rate > 0 "+policy.Float32Range)
		}
	}
	if err := c.TimeSampler.Validate(); err != nil {
		return bad("TimeSampler", c.TimeSampler, strings.TrimPrefix(err.Error(), "flow: "))
	}
	if !slices.Contains(ProposalMixes, c.ProposalMix) {
		return bad("ProposalMix", c.ProposalMix, "want "+mixList())
	}
	return nil
}

// ProposalMix names how the velocity estimate of §4 combines the K1
// policy and K2 posterior candidates of a state.
type ProposalMix string

const (
	// ESSMix is the paper's: self-normalised importance sampling within
	// each proposal, the two estimates mixed by their effective sample
	// sizes (§4, "Adaptive mix").
	ESSMix ProposalMix = "ess"
	// BalanceMix weights every candidate against the mixture of both
	// proposals' densities: multiple importance sampling with the balance
	// heuristic (§4.1), which a collapsed policy proposal cannot fool.
	BalanceMix ProposalMix = "balance"
)

// ProposalMixes lists every ProposalMix, the paper's first: the one list
// of their names (the Python package reads it).
var ProposalMixes = []ProposalMix{ESSMix, BalanceMix}

// mixList is ProposalMixes as `"ess" or "balance"`.
func mixList() string {
	q := make([]string, len(ProposalMixes))
	for i, m := range ProposalMixes {
		q[i] = strconv.Quote(string(m))
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// SmallConfig is a preset for quick experiments, tests and small tasks
// such as Pendulum: 2×64 networks with 16 Fourier frequencies and 32-wide
// time embeddings, batch 128, K1 = 8 and K2 = 16 proposals, a 100 000
// transition buffer and 1 000 random steps first; everything else is the
// paper's.
func SmallConfig() Config {
	c := DefaultConfig()
	c.Hidden = []int{64, 64}
	c.TimeFeatures, c.TimeWidth = 16, 32
	c.BatchSize = 128
	c.PolicySamples, c.PosteriorSamples = 8, 16
	c.BufferSize = 100_000
	c.LearningStarts = 1_000
	return c
}
