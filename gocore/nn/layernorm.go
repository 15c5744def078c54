package nn

import "github.com/mfpo/mfpo/gocore/backend"

// LayerNormEps is the ε of docs/algorithm.md §7.
const LayerNormEps = backend.LayerNormEps

// LayerNorm holds the learnable scale γ (init 1) and bias β (init 0) of a
// hidden layer's normalisation, both [N] views into a parameter vector:
// c = x − mean x, σ = √(mean c² + ε), x̂ = c/σ, y = γ⊙x̂ + β. The
// arithmetic is the backend's fused LNGELU (LayerNorm then GELU).
type LayerNorm[T Float] struct {
	N           int
	Scale, Bias []T
}

func layerNormParams(n int) int { return 2 * n }
