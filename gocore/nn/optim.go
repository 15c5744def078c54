package nn

import (
	"fmt"
	"math"
)

// Adam is the Adam optimiser over one contiguous parameter vector
// (docs/algorithm.md §7: β1 0.9, β2 0.999, ε 1e-8, no weight decay, no
// clipping). With g the gradient and k the step count after increment:
//
//	m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
//	θ ← θ − lr·m̂/(√v̂ + ε),  m̂ = m/(1−β1^k),  v̂ = v/(1−β2^k)
type Adam[T Float] struct {
	LR, Beta1, Beta2, Eps float64
	M, V                  []T   // first and second moments, len(params)
	Steps                 int64 // steps taken
}

// NewAdam returns an Adam for n parameters with the paper's defaults and
// learning rate lr.
func NewAdam[T Float](n int, lr float64) *Adam[T] {
	return &Adam[T]{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, M: make([]T, n), V: make([]T, n)}
}

// Step applies one update to params from grad. It refuses (and changes
// nothing) when grad holds a NaN or an infinity, so a bad gradient never
// poisons the parameters or the moments.
func (a *Adam[T]) Step(params, grad []T) error {
	if len(params) != len(a.M) || len(grad) != len(a.M) {
		panic(fmt.Sprintf("nn: Adam.Step: %d params and %d gradients, optimiser has %d", len(params), len(grad), len(a.M)))
	}
	if err := CheckFinite("gradient", grad); err != nil {
		return err
	}
	a.Steps++
	b1, b2 := T(a.Beta1), T(a.Beta2)
	c1 := 1 - math.Pow(a.Beta1, float64(a.Steps))
	c2 := 1 - math.Pow(a.Beta2, float64(a.Steps))
	// θ −= lr/c1 · m / (√(v/c2) + ε) = step·m / (√v + ε√c2) with step = lr·√c2/c1.
	step := T(a.LR * math.Sqrt(c2) / c1)
	epsHat := T(a.Eps * math.Sqrt(c2))
	m, v := a.M, a.V[:len(a.M)]
	params, grad = params[:len(m)], grad[:len(m)]
	for i, g := range grad {
		mi := b1*m[i] + (1-b1)*g
		vi := b2*v[i] + (1-b2)*g*g
		m[i], v[i] = mi, vi
		params[i] -= step * mi / (T(math.Sqrt(float64(vi))) + epsHat)
	}
	return nil
}

// Polyak sets target ← τ·online + (1−τ)·target elementwise (the soft
// target update of docs/algorithm.md §3, τ = 0.005).
func Polyak[T Float](target, online []T, tau float64) {
	if len(target) != len(online) {
		panic(fmt.Sprintf("nn: Polyak: target has %d parameters, online %d", len(target), len(online)))
	}
	t, keep := T(tau), T(1-tau)
	online = online[:len(target)]
	for i, v := range online {
		target[i] = t*v + keep*target[i]
	}
}
