package critic

import (
	"fmt"
	"math"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

// Support is the fixed C51 support of docs/algorithm.md §3: Atoms values
// z_j = Min + j·Delta, j = 0 … Atoms−1, with Delta = (Max − Min)/(Atoms − 1)
// (paper: 101 atoms on [−1600, 1600], Δz = 32).
type Support struct {
	Atoms           int
	Min, Max, Delta float32
	// Z holds the atoms z_j, each computed in float64 and rounded, so that
	// Z[0] = Min and Z[Atoms−1] = Max exactly. Shared, read-only.
	Z []float32
}

// NewSupport returns the support of atoms values evenly spaced on
// [vmin, vmax]. It needs atoms ≥ 2 and finite vmin < vmax that stay
// distinct, with a positive spacing, in float32; the error (a
// *ConfigError) names the offending field.
func NewSupport(atoms int, vmin, vmax float64) (Support, error) {
	if atoms < 2 {
		return Support{}, &ConfigError{Field: "Atoms", Reason: fmt.Sprintf("%d, want ≥ 2", atoms)}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"VMin", vmin}, {"VMax", vmax}} {
		if math.IsNaN(f.v) || math.Abs(f.v) > math.MaxFloat32 {
			return Support{}, &ConfigError{Field: f.name, Reason: fmt.Sprintf("%v, want a finite float32", f.v)}
		}
	}
	delta := (vmax - vmin) / float64(atoms-1)
	if !(vmin < vmax) || float32(vmin) >= float32(vmax) || float32(delta) <= 0 || math.IsInf(delta, 0) {
		return Support{}, &ConfigError{Field: "VMax", Reason: fmt.Sprintf("[VMin, VMax] = [%v, %v] with %d atoms, want VMin < VMax with a positive float32 spacing", vmin, vmax, atoms)}
	}
	s := Support{Atoms: atoms, Min: float32(vmin), Max: float32(vmax), Delta: float32(delta), Z: make([]float32, atoms)}
	for j := range s.Z {
		s.Z[j] = float32(vmin + float64(j)*delta)
	}
	s.Z[atoms-1] = float32(vmax)
	return s, nil
}

// Project sets rho to the C51 projection onto the support of the
// probabilities p placed at the values tz (docs/algorithm.md §3): for
// each j, with Tz = clip(tz[j], Min, Max),
//
//	b = (Tz − Min)/Delta,  l = floor(b),  u = ceil(b), both clipped to [0, Atoms−1]
//	l == u:  rho[l] += p[j]
//	else:    rho[l] += p[j]·(u − b),  rho[u] += p[j]·(b − l)
//
// from rho = 0, so Σ rho = Σ p up to rounding. A NaN in tz makes rho[0]
// NaN (never a silent finite value); a NaN in p propagates into rho. All
// three slices have length Atoms. It is the projection of the backend's
// C51Target (gocore/backend/cpu.Project) with the values given.
func (s Support) Project(rho, p, tz []float32) {
	n := s.Atoms
	if len(rho) != n || len(p) != n || len(tz) != n {
		panic(fmt.Sprintf("critic: Support.Project: rho %d, p %d, tz %d elements, want %d atoms", len(rho), len(p), len(tz), n))
	}
	cpu.Project(rho, p, tz, 0, 1, 0, s.backend())
}

// backend is s as the backend's operations take it (sharing Z).
func (s Support) backend() backend.Support[float32] {
	return backend.Support[float32]{Z: s.Z, Min: s.Min, Max: s.Max, Delta: s.Delta}
}

// Mean is the expected value Σ_j p_j·z_j of a distribution p over the
// support (len Atoms), accumulated in float64.
func (s Support) Mean(p []float32) float32 {
	if len(p) != s.Atoms {
		panic(fmt.Sprintf("critic: Support.Mean: p has %d elements, want %d atoms", len(p), s.Atoms))
	}
	return float32(mean64(p, s.Z))
}

func mean64(p, z []float32) float64 {
	z = z[:len(p)]
	var m float64
	for j, v := range p {
		m += float64(v) * float64(z[j])
	}
	return m
}

// SoftmaxMean returns the expected value of a C51 critic's output row
// (docs/algorithm.md §3),
//
//	E[Z] = Σ_j softmax(logits)_j·z_j = Σ_j e^(l_j − m)·z_j / Σ_j e^(l_j − m),  m = max_j l_j,
//
// and overwrites logits with the unnormalised e^(l_j − m). Subtracting the
// row maximum m first keeps every exponential in (0, 1], so large logits
// cannot overflow; the exponential is a float32 polynomial (about 1 ulp)
// and both sums are accumulated in float64. Any NaN in the row gives NaN.
// z must hold at least len(logits) atoms (Support.Z). It allocates
// nothing. It is the CPU backend's kernel (gocore/backend/cpu.SoftmaxMean),
// which critic.Twin.Values scores with (C51Values) and gocore/policy's
// best-of-N through this function, so the two choose the same candidate
// bit for bit.
func SoftmaxMean(logits, z []float32) float32 { return cpu.SoftmaxMean(logits, z) }
