package policy

import (
	"fmt"
	"math"
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
	switch {
	case c.Steps < 1:
		return &ConfigError{"Steps", c.Steps, "the sampler needs T ≥ 1 steps"}
	case c.Atoms < 2:
		return &ConfigError{"Atoms", c.Atoms, "want ≥ 2"}
	case !Float32(c.VMin):
		return &ConfigError{"VMin", c.VMin, "want a number " + Float32Range}
	case !Float32(c.VMax):
		return &ConfigError{"VMax", c.VMax, "want a number " + Float32Range}
	case !(c.VMin < c.VMax):
		return &ConfigError{"VMin", c.VMin, fmt.Sprintf("want VMin < VMax (%v)", c.VMax)}
	case c.EvalCandidates < 1:
		return &ConfigError{"EvalCandidates", c.EvalCandidates, "want N ≥ 1"}
	}
	return nil
}
