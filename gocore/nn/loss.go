package nn

import (
	"fmt"
	"math"
)

// NonFiniteError reports a NaN or an infinity where a finite number was
// required: a loss, a gradient, an input. What names the quantity and
// Index the first offending element (−1 for a scalar).
type NonFiniteError struct {
	What  string
	Index int
	Value float64
}

func (e *NonFiniteError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("nn: non-finite %s: %v", e.What, e.Value)
	}
	return fmt.Sprintf("nn: non-finite %s at element %d: %v", e.What, e.Index, e.Value)
}

// CheckFinite returns a *NonFiniteError naming what when x holds a NaN
// or an infinity.
func CheckFinite[T Float](what string, x []T) error {
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return &NonFiniteError{What: what, Index: i, Value: f}
		}
	}
	return nil
}

// MSE returns L = mean over all n = len(pred) elements of (pred − target)²
// and sets grad = ∂L/∂pred = 2(pred − target)/n. A non-finite L is a
// *NonFiniteError, and grad is then left unchanged.
func MSE[T Float](grad, pred, target []T) (T, error) {
	if len(target) != len(pred) || len(grad) != len(pred) || len(pred) == 0 {
		panic(fmt.Sprintf("nn: MSE: pred %d, target %d, grad %d elements", len(pred), len(target), len(grad)))
	}
	var sum float64
	for i, p := range pred {
		d := float64(p - target[i])
		sum += d * d
	}
	n := float64(len(pred))
	loss := sum / n
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return T(loss), &NonFiniteError{What: "MSE loss", Index: -1, Value: loss}
	}
	scale := T(2 / n)
	for i, p := range pred {
		grad[i] = scale * (p - target[i])
	}
	return T(loss), nil
}
