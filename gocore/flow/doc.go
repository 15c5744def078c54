// Package flow is MFPO's generative policy (docs/algorithm.md §1–§2): the
// MeanFlow network u_θ(s, a_t, t, h) that predicts the average velocity
// over [t − h, t], the average-divergence network δ_ω(s, a_t, t, h), and
// what is computed from them:
//
//   - the (t, r) sampler of the training losses (TimeSampler);
//   - the T-step sampler, a ← a − h·u_θ(s, a, t_i, h) from a_1 = ε, with
//     the log-likelihood ℓ = log N(ε; 0, I) + Σ_i h·δ_ω(s, a, t_i, h) when
//     asked for (Sampler);
//   - the instantaneous divergence ∇_a·v_θ, by Hutchinson's estimator with
//     N Gaussian probes or exactly with d basis vectors (both one JVP of
//     u_θ with P tangents per row);
//   - the MeanFlow loss ‖u_θ − sg(v − clip(h,0,1)·du/dt)‖² with du/dt one
//     JVP of u_θ with tangent (v, 1, 1) on (a, t, h), and the same loss
//     for δ_ω with the divergence as its instantaneous target (Trainer).
//
// Time runs from t = 0 (the clean action) to t = 1 (pure noise); the
// networks take (t, h = t − r). Every batch is split into a fixed number of
// shards (gocore/par) that run in parallel with their own workspaces;
// gradients are reduced in shard order, so results are bit-identical for
// a given seed and shard count.
package flow
