package fd

import "math"

// Project64 is an independent float64 C51 projection (docs/algorithm.md
// §3) onto atoms values evenly spaced on [lo, hi]: each probability p[j]
// at tz[j] (clipped to the support) is split between the atoms ⌊b⌋ and
// ⌈b⌉ around b = (tz − lo)/Δz, written with math.Floor and math.Ceil.
func Project64(atoms int, lo, hi float64, p, tz []float64) []float64 {
	dz := (hi - lo) / float64(atoms-1)
	rho := make([]float64, atoms)
	for j := range p {
		t := math.Min(math.Max(tz[j], lo), hi)
		b := (t - lo) / dz
		l := math.Max(0, math.Min(float64(atoms-1), math.Floor(b)))
		u := math.Max(0, math.Min(float64(atoms-1), math.Ceil(b)))
		if l == u {
			rho[int(l)] += p[j]
		} else {
			rho[int(l)] += p[j] * (u - b)
			rho[int(u)] += p[j] * (b - l)
		}
	}
	return rho
}
