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
