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
	Limit float64 // > 0: Value is finite but beyond ±Limit (CheckInput)
}

func (e *NonFiniteError) Error() string {
	switch {
	case e.Limit > 0:
		return fmt.Sprintf("nn: %s element %d is %v, beyond ±%g, the range the networks take", e.What, e.Index, e.Value, e.Limit)
	case e.Index < 0:
		return fmt.Sprintf("nn: non-finite %s: %v", e.What, e.Value)
	}
	return fmt.Sprintf("nn: non-finite %s at element %d: %v", e.What, e.Index, e.Value)
}

// MaxInput is the largest magnitude of an input element (an observation)
// the networks take: the first layer sums products of inputs and
// weights, and LayerNorm squares those sums; inputs up to 1e9 keep both
// far from float32's 3.4e38 for any weights an agent learns, where an
// input near 2e38 makes the actions NaN.
const MaxInput = 1e9

// CheckInput is CheckFinite that also refuses finite values beyond
// ±MaxInput (a *NonFiniteError with Limit set).
func CheckInput(what string, x []float32) error {
	for i, v := range x {
		if !(v >= -MaxInput && v <= MaxInput) {
			e := &NonFiniteError{What: what, Index: i, Value: float64(v)}
			if v-v == 0 {
				e.Limit = MaxInput
			}
			return e
		}
	}
	return nil
}

func CheckFinite[T Float](what string, x []T) error {
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return &NonFiniteError{What: what, Index: i, Value: f}
		}
	}
	return nil
}
