package nn

import (
	"fmt"
	"math"

	"github.com/mfpo/mfpo/gocore/backend"
)

// Adam is the Adam optimiser over one contiguous parameter vector
// (docs/algorithm.md §7: β1 0.9, β2 0.999, ε 1e-8, no weight decay, no
// clipping). With g the gradient and k the step count after increment:
//
//	m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//	θ ← θ − lr·m̂/(√v̂ + ε),  m̂ = m/(1−β1^k),  v̂ = v/(1−β2^k)
//
// The moments are buffers of the backend Be, which runs the step.
type Adam[T Float] struct {
	LR, Beta1, Beta2, Eps float64
	M, V                  []T   // first and second moments, len(params)
	Steps                 int64 // steps taken
	Be                    backend.Backend[T]
}

// NewAdam returns an Adam for n parameters on be with the paper's
// defaults and learning rate lr.
func NewAdam[T Float](be backend.Backend[T], n int, lr float64) *Adam[T] {
	return &Adam[T]{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, M: be.Alloc(n), V: be.Alloc(n), Be: be}
}

// Step applies one update to params from grad. It refuses (and changes
// nothing) when grad holds a NaN or an infinity, so a bad gradient never
// poisons the parameters or the moments.
func (a *Adam[T]) Step(params, grad []T) error {
	if len(params) != len(a.M) || len(grad) != len(a.M) {
		panic(fmt.Sprintf("nn: Adam.Step: %d params and %d gradients, optimiser has %d", len(params), len(grad), len(a.M)))
	}
	if i := a.Be.FirstNonFinite(grad); i >= 0 {
		return &NonFiniteError{What: "gradient", Index: i, Value: float64(grad[i])}
	}
	a.Steps++
	c1 := 1 - math.Pow(a.Beta1, float64(a.Steps))
	c2 := 1 - math.Pow(a.Beta2, float64(a.Steps))
	// θ −= lr/c1 · m / (√(v/c2) + ε) = step·m / (√v + ε√c2) with step = lr·√c2/c1.
	step := T(a.LR * math.Sqrt(c2) / c1)
	epsHat := T(a.Eps * math.Sqrt(c2))
	a.Be.Adam(params, grad, a.M, a.V, step, epsHat, T(a.Beta1), T(a.Beta2))
	return nil
}

// Polyak sets target ← τ·online + (1−τ)·target elementwise on be (the
// soft target update of docs/algorithm.md §3, τ = 0.005).
func Polyak[T Float](be backend.Backend[T], target, online []T, tau float64) {
	if len(target) != len(online) {
		panic(fmt.Sprintf("nn: Polyak: target has %d parameters, online %d", len(target), len(online)))
	}
	be.Polyak(target, online, T(tau))
}
