package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// TimeSampler draws the (t, r) pairs of the training losses (§1):
// per row n1, n2 ~ N(0, 1), t′ = σ(Mean + Std·n1), r′ = σ(Mean + Std·n2),
// t = max(t′, r′), r = min(t′, r′); then the first ⌊FlowMatchingRatio·B⌋
// rows of a batch of B get r = t (plain flow matching for them). With
// Uniform, t′ and r′ are U(0, 1) instead of logit-normal.
type TimeSampler struct {
	Mean              float64 `json:"mean"`                // −0.4
	Std               float64 `json:"std"`                 // 1.0
	FlowMatchingRatio float64 `json:"flow_matching_ratio"` // 0.75
	Uniform           bool    `json:"uniform"`
}

// DefaultTimeSampler is the paper's logit-normal sampler.
func DefaultTimeSampler() TimeSampler {
	return TimeSampler{Mean: -0.4, Std: 1, FlowMatchingRatio: 0.75}
}

// Validate reports the first invalid field.
func (s TimeSampler) Validate() error {
	if !(s.Std > 0) || math.IsInf(s.Std, 0) || math.IsNaN(s.Mean) || math.IsInf(s.Mean, 0) {
		return fmt.Errorf("flow: time sampler mean %v, std %v: want a finite mean and a finite std > 0", s.Mean, s.Std)
	}
	if !(s.FlowMatchingRatio >= 0 && s.FlowMatchingRatio <= 1) {
		return fmt.Errorf("flow: time sampler flow-matching ratio %v: want 0 ≤ ratio ≤ 1", s.FlowMatchingRatio)
	}
	return nil
}

// Sample fills t and h = t − r for rows rows.
func (s TimeSampler) Sample(rng *rand.Rand, t, h []float32, rows int) {
	if len(t) < rows || len(h) < rows {
		panic(fmt.Sprintf("flow: TimeSampler.Sample: %d rows, t has %d, h has %d", rows, len(t), len(h)))
	}
	fm := int(math.Floor(s.FlowMatchingRatio * float64(rows)))
	for i := 0; i < rows; i++ {
		var a, b float64
		if s.Uniform {
			a, b = rng.Float64(), rng.Float64()
		} else {
			a = sigmoid(s.Mean + s.Std*rng.NormFloat64())
			b = sigmoid(s.Mean + s.Std*rng.NormFloat64())
		}
		ti, ri := math.Max(a, b), math.Min(a, b)
		if i < fm {
			ri = ti
		}
		t[i], h[i] = float32(ti), float32(ti-ri)
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
