package policy

import (
	"errors"
	"fmt"
	"math"

	"github.com/mfpo/mfpo/gocore/critic"
)

// Hard limits of the acting fields (docs/limits.md): each bounds the
// work or memory of one act call per observation row.
const (
	MaxSteps          = 256       // sampler steps T
	MaxEvalCandidates = ChunkRows // N of best-of-N: one observation's candidates fit a chunk
	MaxAtoms          = 1 << 12   // C51 atoms
	MaxValue          = 1e12      // |VMin|, |VMax|: returns beyond it overflow float32 arithmetic of the critics' losses
)

// Config is what acting needs of an agent's configuration (the fields of
// mfpo.Config of the same names; mfpo.Config.Acting extracts them).
type Config struct {
	Steps          int     // T, sampler steps (§1)
	EvalCandidates int     // N of best-of-N (§6)
	Atoms          int     // C51 atoms of the critics (§3)
	VMin, VMax     float64 // their support
}

// ConfigError names an invalid field of a configuration: of this Config,
// or of mfpo.Config, whose ConfigError it is.
type ConfigError struct {
	Field  string
	Value  any
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("mfpo: invalid config: %s = %v: %s", e.Field, e.Value, e.Reason)
}

// Float32 reports whether x is finite and within float32's range
// (|x| ≤ math.MaxFloat32), so that the float32 arithmetic it goes into
// sees the number that was given rather than an infinity.
func Float32(x float64) bool { return math.Abs(x) <= math.MaxFloat32 }

// Float32Range is how messages state Float32's condition.
const Float32Range = "within float32's range (|x| ≤ 3.4e38)"

// Validate returns a *ConfigError for the first invalid field.
func (c Config) Validate() error {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	within := func(x float64) bool { return finite(x) && math.Abs(x) <= MaxValue }
	switch {
	case c.Steps < 1 || c.Steps > MaxSteps:
		return &ConfigError{"Steps", c.Steps, fmt.Sprintf("want 1 … %d sampler steps", MaxSteps)}
	case c.Atoms < 2 || c.Atoms > MaxAtoms:
		return &ConfigError{"Atoms", c.Atoms, fmt.Sprintf("want 2 … %d", MaxAtoms)}
	case !within(c.VMin):
		return &ConfigError{"VMin", c.VMin, fmt.Sprintf("want a finite number of magnitude ≤ %g", MaxValue)}
	case !within(c.VMax):
		return &ConfigError{"VMax", c.VMax, fmt.Sprintf("want a finite number of magnitude ≤ %g", MaxValue)}
	case !(c.VMin < c.VMax):
		return &ConfigError{"VMin", c.VMin, fmt.Sprintf("want VMin < VMax (%v)", c.VMax)}
	case c.EvalCandidates < 1 || c.EvalCandidates > MaxEvalCandidates:
		return &ConfigError{"EvalCandidates", c.EvalCandidates, fmt.Sprintf("want N = 1 … %d", MaxEvalCandidates)}
	}
	if _, err := critic.NewSupport(c.Atoms, c.VMin, c.VMax); err != nil { // distinct atoms in float32
		var se *critic.ConfigError
		if errors.As(err, &se) {
			return &ConfigError{se.Field, c.VMax, se.Reason}
		}
		return err
	}
	return nil
}
