// Package envs holds small continuous-control tasks written in Go, used by
// the MFPO agent's end-to-end learning tests and benchmarks without Python.
//
// # Interface
//
// Every task implements Env: an episodic task with an observation vector of
// length ObsDim and a Box action space [−1, 1]^ActDim. Actions are given in
// the agent's normalised box; each env clips them to [−1, 1] and scales them
// to its own physical range itself.
//
// Reset starts an episode and returns the first observation; Step returns
// the next observation, the reward and two flags: terminated (the episode
// reached a true terminal state, so the return after it is zero and a
// critic must not bootstrap) and truncated (a time limit cut the episode,
// so a critic should bootstrap from the returned observation). After either
// flag is true the caller must call Reset before stepping again.
//
// # Buffers
//
// The observation slices returned by Reset and Step are owned by the env and
// stay valid only until its next Reset or Step call: copy them to keep
// them. Inputs (actions) are never mutated or retained. Reset and Step
// allocate nothing.
//
// # Errors
//
// Misuse is a programmer error and panics with a constant message naming
// the package: an action of the wrong length, a NaN action, Step before
// Reset or after the episode ended, a nil generator where one is needed.
// Bad constructor parameters are data errors, returned as *ConfigError.
//
// # Tasks
//
//   - Pendulum: Gymnasium's Pendulum-v1 (swing up and balance a pendulum;
//     θ = 0 is upright), with its 200-step time limit.
//   - TwoOptimaBandit: a one-step task whose reward has two separated
//     optima at ±c·1, so a unimodal (Gaussian) policy cannot put mass on
//     both while a multimodal (flow) policy can.
//
// Randomness is explicit: Reset takes a seeded *rand.Rand (math/rand/v2),
// and the same seed and actions give bit-identical episodes.
package envs
