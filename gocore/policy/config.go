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

// Validate returns a *ConfigError for the first invalid field.
func (c Config) Validate() error {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case c.Steps < 1:
		return &ConfigError{"Steps", c.Steps, "the sampler needs T ≥ 1 steps"}
	case c.Atoms < 2:
		return &ConfigError{"Atoms", c.Atoms, "want ≥ 2"}
	case !finite(c.VMin) || !finite(c.VMax) || !(c.VMin < c.VMax):
		return &ConfigError{"VMin", fmt.Sprintf("%v (VMax %v)", c.VMin, c.VMax), "want finite VMin < VMax"}
	case c.EvalCandidates < 1:
		return &ConfigError{"EvalCandidates", c.EvalCandidates, "want N ≥ 1"}
	}
	return nil
}
