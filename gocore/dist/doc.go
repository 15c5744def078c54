// Package dist samples the standard normal distribution truncated to an
// interval [lo, hi], the per-dimension proposal of MFPO's posterior
// importance sampler (docs/ALGORITHM.md §4), where bounds reach tens of
// standard deviations as t → 0 or 1.
//
// TruncNormal picks a method by where the interval lies (by symmetry an
// interval entirely below 0 is mirrored onto the positive side):
//
//   - lo < 0 < hi: the inverse CDF, x = Φ⁻¹(Φ(lo) + u·(Φ(hi) − Φ(lo))),
//     with Φ and Φ⁻¹ through math.Erfc and math.Erfcinv; near the mode
//     there is no loss of precision.
//   - 0 ≤ lo, narrow ((hi − lo)·hi ≤ 1): uniform proposals on [lo, hi]
//     accepted with probability exp((lo² − x²)/2) ≥ e^(−1/2).
//   - 0 ≤ lo < 5: the inverse CDF on the upper tail,
//     x = Φc⁻¹(Φc(lo) − u·(Φc(lo) − Φc(hi))), Φc(x) = erfc(x/√2)/2.
//   - lo ≥ 5: Robert's (1995) exponential rejection: x = lo + E/λ with
//     λ = (lo + √(lo² + 4))/2, accepted with probability
//     exp(−(x − λ)²/2) and x ≤ hi; acceptance is at least 1 − e^(−1).
//
// Every result is clamped into [lo, hi], so rounding can never leave the
// interval, and no branch divides by a probability that can underflow:
// draws are finite for any finite or one-sided infinite interval.
// TruncNormalMoments gives the exact mean and variance, computed through
// the Mills ratio R(x) = Φc(x)/φ(x) so that far tails (Φc(39) ≈ 1e−333)
// do not underflow.
package dist
