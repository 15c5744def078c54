// Package critic holds MFPO's twin C51 distributional critics
// (docs/algorithm.md §3): two online critics φ1, φ2, their Polyak-averaged
// targets φ̄1, φ̄2, an Adam per critic, the target distribution and the
// online critics' expected values the actor (§4) scores with. (Best-of-N
// acting, §6, scores with the target critics in gocore/policy.)
//
// # Support
//
// A critic maps concat(s, a) ([rows×(ObsDim+ActDim)]) through
// [Dense → LayerNorm → GELU] × len(Hidden) → Dense(Atoms) to Atoms logits
// per row ([rows×Atoms]) over the fixed support
//
//	z_j = VMin + j·Δz,  Δz = (VMax − VMin)/(Atoms − 1),  j = 0 … Atoms−1
//
// (paper: 101 atoms on [−1600, 1600], Δz = 32). Its expected value is
// Q(s, a) = Σ_j softmax(logits)_j·z_j (SoftmaxMean, exported so that
// gocore/policy scores best-of-N candidates with the same arithmetic).
//
// # Target (TargetDistribution)
//
// For a batch (r, s′, m) with a′ ~ π(·|s′) and ℓ = log π(a′|s′) from the
// current policy (no target actor), m = 0 only on a true termination:
//
//	p_k  = softmax(logits_φ̄k(s′, a′))                        k = 0, 1
//	Tz_j = clip(r + γ·m·(z_j − α·ℓ), VMin, VMax)
//	ρ_k  = C51 projection of p_k placed at Tz (Support.Project):
//	       b = (Tz_j − VMin)/Δz, l = ⌊b⌋, u = ⌈b⌉ clipped to [0, Atoms−1];
//	       l == u: ρ[l] += p_j; else ρ[l] += p_j·(u − b), ρ[u] += p_j·(b − l)
//	ρ    = argmin over ρ_0, ρ_1 of Σ_j ρ_kj·z_j   (clipped double Q; ties: ρ_0)
//	       or (ρ_0 + ρ_1)/2 when ClippedDoubleQ is off.
//
// The projection conserves mass, so each row of ρ sums to 1 up to
// rounding.
//
// # Loss and step (Step)
//
// With ρ constant (stop-gradient), for each online critic k over rows B:
//
//	loss_k = (1/B) Σ_i −Σ_j ρ_ij·log_softmax(logits_φk(s_i, a_i))_j
//	∂loss_k/∂logit_ij = (softmax_ij·Σ_j′ ρ_ij′ − ρ_ij)/B
//
// (= (softmax − ρ)/B for a distribution ρ); backpropagated through the
// network, one Adam step per critic, then φ̄k ← τ·φk + (1−τ)·φ̄k. Softmax
// and log-softmax subtract the row maximum first; the exponential is a
// float32 polynomial (about 1 ulp), sums run in float64. A non-finite
// loss or gradient is a *nn.NonFiniteError and Step then changes nothing.
//
// # Values
//
// Values scores rows = states·repeat (state, action) pairs, each state
// row shared by repeat consecutive action rows (the actor's 48 candidates
// per state), with min(Q_φ1, Q_φ2) of the online critics (the mean when
// ClippedDoubleQ is off, §4) or min(Q_φ̄1, Q_φ̄2) of the targets (§6).
//
// # Parallelism and determinism
//
// Rows are split into par.Pool shards with par.Range; each shard owns its
// workspaces, logits and gradient vectors, and gradients and losses are
// reduced in shard order, so every result is bit-identical for a given
// shard count. Values goes further: it cuts the rows into blocks of
// Config.ChunkRows at fixed offsets and gives each shard whole blocks, so
// every matrix product sees the same rows and its values are
// bit-identical for any shard count. (OpenBLAS rounds a row of a product
// differently depending on the product's height, so TargetDistribution's
// ρ and Step change in the last bits with the shard count, and Values
// with ChunkRows.)
// Steady-state calls allocate nothing.
//
// # Choices where the paper is silent (all in docs/algorithm.md)
//
//   - Ties in clipped double Q pick critic 0; a NaN expected value wins,
//     so a diverged target critic shows up as a non-finite ρ.
//   - Tz is computed in float32; a NaN in it makes ρ non-finite.
package critic
