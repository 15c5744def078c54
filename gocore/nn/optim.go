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
	if err := a.check("Step", params, grad); err != nil {
		return err
	}
	step, epsHat := a.next()
	a.Be.Adam(params, grad, a.M, a.V, step, epsHat, T(a.Beta1), T(a.Beta2))
	return nil
}

// StepTo is Step out of place: it writes the stepped parameters into dst
// and the new moments into m and v (each len(params), none of them
// params, grad, M or V), makes m, v the moments M, V and returns the
// previous ones. params and the previous moments are left as they were,
// so that holding them keeps the state before the step (Undoable). It
// refuses a non-finite gradient as Step does.
func (a *Adam[T]) StepTo(dst, params, grad, m, v []T) (oldM, oldV []T, err error) {
	if err := a.check("StepTo", params, grad); err != nil {
		return nil, nil, err
	}
	if len(dst) != len(a.M) || len(m) != len(a.M) || len(v) != len(a.M) {
		panic(fmt.Sprintf("nn: Adam.StepTo: destinations of %d, %d and %d elements, optimiser has %d", len(dst), len(m), len(v), len(a.M)))
	}
	step, epsHat := a.next()
	a.Be.AdamTo(dst, m, v, params, grad, a.M, a.V, step, epsHat, T(a.Beta1), T(a.Beta2))
	oldM, oldV = a.M, a.V
	a.M, a.V = m, v
	return oldM, oldV, nil
}

// check panics on mismatched lengths and returns a *NonFiniteError for a
// non-finite gradient.
func (a *Adam[T]) check(op string, params, grad []T) error {
	if len(params) != len(a.M) || len(grad) != len(a.M) {
		panic(fmt.Sprintf("nn: Adam.%s: %d params and %d gradients, optimiser has %d", op, len(params), len(grad), len(a.M)))
	}
	if i := a.Be.FirstNonFinite(grad); i >= 0 {
		return &NonFiniteError{What: "gradient", Index: i, Value: float64(grad[i])}
	}
	return nil
}

// next counts a step and returns the step size and ε with the bias
// corrections folded in.
func (a *Adam[T]) next() (step, epsHat T) {
	a.Steps++
	c1 := 1 - math.Pow(a.Beta1, float64(a.Steps))
	c2 := 1 - math.Pow(a.Beta2, float64(a.Steps))
	// θ −= lr/c1 · m / (√(v/c2) + ε) = step·m / (√v + ε√c2) with step = lr·√c2/c1.
	return T(a.LR * math.Sqrt(c2) / c1), T(a.Eps * math.Sqrt(c2))
}

// Polyak sets target ← τ·online + (1−τ)·target elementwise on be (the
// soft target update of docs/algorithm.md §3, τ = 0.005).
func Polyak[T Float](be backend.Backend[T], target, online []T, tau float64) {
	if len(target) != len(online) {
		panic(fmt.Sprintf("nn: Polyak: target has %d parameters, online %d", len(target), len(online)))
	}
	be.Polyak(target, online, T(tau))
}
