package envs

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Env is an episodic task with a Box action space [−1, 1]^ActDim.
type Env interface {
	// ObsDim is the length of every observation.
	ObsDim() int
	// ActDim is the length of every action.
	ActDim() int
	// Reset starts an episode and returns the first observation (owned by
	// the env, valid until the next call).
	Reset(rng *rand.Rand) []float32
	// Step applies an action (len ActDim, values outside [−1,1] are
	// clipped) and returns the next observation (owned by the env), the
	// reward, and whether the episode ended by termination (a true terminal
	// state) or truncation (a time limit).
	Step(act []float32) (obs []float32, reward float64, terminated, truncated bool)
}

// ConfigError reports an invalid constructor parameter.
type ConfigError struct {
	Field  string // name of the offending parameter
	Reason string // what was expected and what came
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("envs: invalid %s: %s", e.Field, e.Reason)
}

// Panic messages for programmer errors.
const (
	msgActLen   = "envs: action length does not match ActDim"
	msgActNaN   = "envs: action contains NaN"
	msgNotReset = "envs: Step called before Reset or after the episode ended"
	msgNilRNG   = "envs: Reset needs a non-nil *rand.Rand"
)

// clip1 returns a clipped to [−1, 1] as float64; NaN panics.
func clip1(a float32) float64 {
	x := float64(a)
	if math.IsNaN(x) {
		panic(msgActNaN)
	}
	return math.Max(-1, math.Min(1, x))
}

var (
	_ Env = (*Pendulum)(nil)
	_ Env = (*TwoOptimaBandit)(nil)
)
