// Package policy is MFPO's inference path: an immutable policy network u_θ
// and the two target critics φ̄1, φ̄2 (best-of-N acting scores with them),
// shared by any number of goroutines acting at once. It is what a
// deployment loads from a checkpoint, what the C ABI's mfpo_policy handle
// and the Python bindings act with, and what mfpo.Agent acts through. It
// also owns the types every layer shares: Spaces (the environment's
// spaces), Mode (how actions are chosen, with their canonical names) and
// Config (what acting needs of an agent's configuration). It imports no
// training package (mfpo, replay, envs, dist); a test holds it to that.
//
//	p, err := policy.New(cfg, policy.Spaces{ObsDim: 17, ActDim: 6, Low: low, High: high}, actor, targets)
//	err = p.Act(act, obs, rows, policy.Sample, seed) // act [rows×ActDim] in the env's units
//
// # Shapes and units
//
// Observations are row-major [rows×ObsDim] float32. The networks act in
// [−1, 1]^ActDim; Act writes actions in the environment's units,
//
//	x = low + (a + 1)/2 · (high − low)
//
// with Spaces.Low and Spaces.High (both nil: x = a). Spaces.FromEnv is
// the inverse, clipped to [−1, 1], for storing an environment's actions.
//
// # Modes and randomness
//
// Sample runs the T-step sampler (docs/algorithm.md §1) from noise ε; BestOfN
// draws Config.EvalCandidates samples per observation and keeps the one
// the target critics value most, min(Q_φ̄1, Q_φ̄2) (§6); Deterministic runs
// the sampler from ε = 0. Explore is a training behaviour: Act refuses
// it with ErrExplore.
//
// The noise of one call comes from its seed argument alone: the
// rows·N·ActDim standard normal draws (N = EvalCandidates for BestOfN,
// else 1) are rand.New(rand.NewPCG(seed, NoiseStream)).NormFloat64() in
// row-major order (observation, then candidate, then action dimension).
// The same seed, observations and parameters give bit-identical actions
// on a given CPU and BLAS, whichever goroutine, thread or language makes
// the call; Deterministic ignores the seed. mfpo.Agent.Act acts through
// ActUnit, so an agent and a Policy made from it give bit-identical
// actions for the same seed. Best-of-N scores the candidates in blocks of
// 256 rows at fixed offsets.
//
// # Concurrency
//
// A Policy is safe for concurrent use. Its parameters are never written
// after New; each call takes a private context — the sampler's workspace,
// the critics' workspaces, the noise and candidate buffers, a PCG — from
// a free list and returns it afterwards. The list grows to the largest
// number of calls ever in flight at once and is never trimmed, so a
// steady state allocates nothing (a context grows when a call brings more
// rows than it has seen).
//
// New does not copy the networks: whoever built them must not change
// their parameters while the Policy is in use, for New computes once what
// the actor's first layer takes from the sampler's time grid alone
// (docs/algorithm.md §8). mfpo.Agent.CopyPolicy copies an agent's
// networks, so the agent can go on training; mfpo.Agent.ActingPolicy
// shares them (NewLive), for acting between its updates, and computes
// those terms at every call.
//
// # Cost of one call
//
// The first layer is split (§8, nn.MLP.ForwardGrouped): its state term
// is computed once per observation, for every sampler step and every
// best-of-N candidate, the time terms once per Policy, and only the
// action's term per candidate and step; the target critics' state term
// is likewise computed once per observation.
package policy
