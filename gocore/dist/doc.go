// Package dist holds the probability distributions mfpo samples from
// beyond what math/rand/v2 offers. Today that is one: the standard normal
// truncated to an interval, the per-dimension proposal of the Gaussian
// posterior in the policy-improvement step (docs/algorithm.md §4,
// "Proposal 2"):
//
//	ε′ ~ N(0, 1) conditioned on lo ≤ ε′ ≤ hi,
//	density p(x) = φ(x) / (Φ(hi) − Φ(lo)) on [lo, hi],
//
// with φ the standard normal density and Φ its distribution function.
// TruncNormal draws from it; LogMass is log(Φ(hi) − Φ(lo)), its log
// normaliser, which the balance-heuristic weights of §4 need to evaluate
// the density exactly.
// Bounds may be infinite and may lie far in a tail (tens of standard
// deviations and beyond), intervals may be very narrow, and lo == hi is
// allowed (the draw is then lo). TruncNormal never returns NaN, an
// infinity, or a value outside [lo, hi].
//
// # Sampling: three exact rejection samplers
//
// By symmetry, an interval with lo + hi < 0 is mirrored, x = −sample(−hi,
// −lo), so that the sampler below always sees a ≤ b with b ≥ |a|: the
// interval lies to the right of 0 or straddles it with its larger part on
// the right. Then:
//
//  1. a < 0 (the interval contains 0, the mode):
//     - width w = b − a ≤ 1.5: propose x ~ U[a, b], accept with
//     probability φ(x)/φ(0) = exp(−x²/2). The acceptance rate is
//     (Φ(b) − Φ(a))·√(2π)/w ≥ 0.72 for any such interval.
//     - w > 1.5: draw x ~ N(0, 1) until a ≤ x ≤ b. The interval holds 0
//     and is wider than 1.5, so its mass is ≥ Φ(1.5) − ½ = 0.43.
//  2. a ≥ 0 and a small density drop across the interval,
//     Δ = (b² − a²)/2 ≤ 1: propose x = a + y, y ~ U[0, w], accept with
//     probability φ(x)/φ(a) = exp(−y(a + y/2)). The exponent is convex in
//     y and at most Δ, so the acceptance rate is ≥ (1 − e^−Δ)/Δ ≥ 0.63.
//     This covers every very narrow interval, however far out, with no
//     cancellation: only the offset y is ever formed.
//  3. a ≥ 0 and Δ > 1 (a tail): Robert's (1995) exponential rejection. The
//     proposal is an exponential of rate λ = (a + √(a² + 4))/2 (the
//     optimal rate for the one-sided tail) shifted to a and truncated to
//     [a, b]: y = E/λ with E ~ Exp(1), folded into [0, w] as y mod w when
//     it overshoots (the exponential is memoryless, so y mod w is exactly
//     the truncated exponential; an overshoot has probability e^−λw, at
//     most e^−1). The ratio of target to proposal is proportional to
//     exp(−(x − λ)²/2), which on [a, b] peaks at m = min(λ, b), so x = a + y
//     is accepted with probability exp(−((x − λ)² − (m − λ)²)/2). Everything
//     is written in offsets from a (d = λ − a = 2/(a + √(a² + 4)), formed
//     without cancellation), so bounds of 40, 10⁶ or 10³⁰⁰ work alike; the
//     acceptance rate is ≥ 0.76 for one-sided tails and tends to 1 as a
//     grows.
//
// Each accept test compares a second Exp(1) variate with half the
// log-ratio, so no logarithm or exponential is evaluated; the standard
// normal and exponential variates come from math/rand/v2's ziggurats.
// Every loop's acceptance rate is bounded away from 0 (the lowest bound
// above is normal rejection's 0.43; measured over a grid of intervals the
// mean cost is at most about 3.2 random 64-bit words per draw), and the
// result is finally clamped into [a, b] to absorb the last rounding of
// a + y.
//
// Why not the inverse CDF: x = Φ⁻¹(Φ(a) + U·(Φ(b) − Φ(a))) costs two
// complementary error functions and an inverse one (several times the
// rejection samplers' cost), loses all precision once Φ(b) − Φ(a) is
// below the rounding of Φ(a) (narrow intervals) and needs a separate
// log-space branch where Φ underflows (a ≳ 37). The rejection samplers are
// exact in all three regimes and draw a variable number of uniforms; the
// same seed still gives the same draws.
package dist
