// Package mfpo is the MFPO agent (docs/algorithm.md): a MeanFlow policy
// and its average-divergence network (gocore/flow), twin C51 critics
// (gocore/critic), a replay buffer (gocore/replay) and a learned
// temperature, with Update reading top to bottom like §6:
//
//  1. critic step (§3): next actions and log π from the sampler with
//     likelihood, the entropy backup through the target critics, C51
//     projection, cross-entropy, soft target update;
//  2. actor step (§4): K1 policy proposals with log π and K2 posterior
//     proposals per state, scored by the online critics; the
//     self-normalised importance-sampled velocity v̂ of each proposal,
//     mixed by effective sample size; the MeanFlow loss toward v̂;
//  3. average-divergence step (§2), with the updated policy;
//  4. temperature step (§5).
//
// An Agent is not safe for concurrent use: Act, Store and Update run one
// at a time. Update runs its batches on Config.Shards shards in parallel;
// for a given Config (Seed and Shards included) every action, loss and
// parameter is bit-identical from run to run.
//
// Choices where the paper is silent (all in docs/algorithm.md):
//   - t is clamped to [TimeGuard, 1 − TimeGuard] (default 1e-4) for the
//     actor's a_t, where §4 divides by t and 1 − t; h is then clamped to
//     [0, t] so that r = t − h stays in [0, 1]. The ADN step uses the
//     same clamp.
//   - The "mean Q" statistic is the online critics' min (or mean) Q over
//     the policy's K1 proposals per state: the value of the current policy.
//   - If any loss or gradient of an update is not finite, Update returns
//     an *UpdateError and restores every parameter, target and optimiser
//     state (and α) to what it was before that update.
package mfpo
