package policy

import (
	"fmt"
	"math"
)

// Spaces are an environment's observation and action spaces: the one
// description every layer (agent, policy, checkpoint, faces) shares. The
// networks see flat observations of ObsDim floats and act in
// [−1, 1]^ActDim; ObsShape is the observation's shape before flattening
// (nil means [ObsDim]), and Low and High bound the ActDim action
// components in the environment's units (both nil mean the box [−1, 1]).
type Spaces struct {
	ObsShape       []int
	ObsDim, ActDim int
	Low, High      []float32
	// ObsSpace is a face's own description of the observation space
	// (Python: the gymnasium space as JSON); informational, checkpoints
	// keep it, nothing else reads it.
	ObsSpace string
}

// SpacesError names the invalid field of a Spaces.
type SpacesError struct {
	Field  string
	Reason string
}

func (e *SpacesError) Error() string { return "policy: invalid spaces: " + e.Field + ": " + e.Reason }

// Validate returns a *SpacesError unless ObsDim, ActDim ≥ 1, ObsShape
// (when given) has positive sizes whose product is ObsDim, and the bounds
// (when given) both have ActDim finite elements with Low[j] < High[j].
func (s Spaces) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &SpacesError{field, fmt.Sprintf(format, args...)}
	}
	switch {
	case s.ObsDim < 1:
		return bad("obs_dim", "%d, want ≥ 1", s.ObsDim)
	case s.ActDim < 1:
		return bad("act_dim", "%d, want ≥ 1", s.ActDim)
	}
	if s.ObsShape != nil {
		prod := 1.0
		for _, n := range s.ObsShape {
			prod *= float64(n)
			if n < 1 || n > math.MaxInt32 {
				prod = math.NaN()
			}
		}
		if prod != float64(s.ObsDim) {
			return bad("obs_shape", "%v, want positive sizes whose product is obs_dim = %d", s.ObsShape, s.ObsDim)
		}
	}
	switch {
	case (s.Low == nil) != (s.High == nil):
		return bad("act_low/act_high", "give both bounds or neither")
	case s.Low == nil:
		return nil
	case len(s.Low) != s.ActDim || len(s.High) != s.ActDim:
		return bad("act_low/act_high", "%d and %d elements, want act_dim = %d each", len(s.Low), len(s.High), s.ActDim)
	}
	for j := range s.Low {
		lo, hi := float64(s.Low[j]), float64(s.High[j])
		if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) {
			return bad("act_low/act_high", "dimension %d is [%v, %v], want finite bounds", j, lo, hi)
		}
		if !(lo < hi) {
			return bad("act_low/act_high", "dimension %d is [%v, %v], want low < high", j, lo, hi)
		}
	}
	return nil
}

// Shape is ObsShape, or [ObsDim] when it is nil.
func (s Spaces) Shape() []int {
	if s.ObsShape == nil {
		return []int{s.ObsDim}
	}
	return s.ObsShape
}

// Unit reports whether the action box is the agents' own [−1, 1]^ActDim:
// no bounds, or every Low[j] = −1 and High[j] = 1. ToEnv and FromEnv are
// then the identity (FromEnv still clips).
func (s Spaces) Unit() bool {
	for j := range s.Low {
		if s.Low[j] != -1 || s.High[j] != 1 {
			return false
		}
	}
	return true
}

// ToEnv writes the actions a ([rows×ActDim], in [−1, 1]) in the
// environment's units into dst: x = low + (a + 1)/2·(high − low),
// computed in float64 (x = a for the unit box). dst and a may be the
// same slice.
func (s Spaces) ToEnv(dst, a []float32) {
	if len(dst) < len(a) {
		panic(fmt.Sprintf("policy: Spaces.ToEnv: dst has %d elements, a %d", len(dst), len(a)))
	}
	if s.Unit() {
		copy(dst, a)
		return
	}
	d := s.ActDim
	for i, v := range a {
		lo, hi := float64(s.Low[i%d]), float64(s.High[i%d])
		dst[i] = float32(lo + (float64(v)+1)*0.5*(hi-lo))
	}
}

// FromEnv writes the environment's actions x ([rows×ActDim]) in the
// agent's units into dst: a = 2(x − low)/(high − low) − 1, clipped to
// [−1, 1] (an environment clips out-of-box actions the same way). NaN
// stays NaN. dst and x may be the same slice.
func (s Spaces) FromEnv(dst, x []float32) {
	if len(dst) < len(x) {
		panic(fmt.Sprintf("policy: Spaces.FromEnv: dst has %d elements, x %d", len(dst), len(x)))
	}
	d, unit := s.ActDim, s.Unit()
	for i, v := range x {
		a := float64(v)
		if !unit {
			lo, hi := float64(s.Low[i%d]), float64(s.High[i%d])
			a = 2*(a-lo)/(hi-lo) - 1
		}
		dst[i] = float32(min(max(a, -1), 1))
	}
}

// Clone returns s with private copies of its slices (nil stays nil).
func (s Spaces) Clone() Spaces {
	s.ObsShape = cloneOrNil(s.ObsShape)
	s.Low, s.High = cloneOrNil(s.Low), cloneOrNil(s.High)
	return s
}

func cloneOrNil[T any](x []T) []T {
	if x == nil {
		return nil
	}
	return append(make([]T, 0, len(x)), x...)
}
