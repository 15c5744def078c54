package critic

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mfpo/mfpo/gocore/internal/fd"
)

func mustSupport(t *testing.T, atoms int, lo, hi float64) Support {
	t.Helper()
	s, err := NewSupport(atoms, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSupport(t *testing.T) {
	s := mustSupport(t, 101, -1600, 1600)
	if s.Delta != 32 || s.Min != -1600 || s.Max != 1600 || len(s.Z) != 101 {
		t.Fatalf("paper support: %+v", s)
	}
	for j, z := range s.Z {
		if want := float32(-1600 + 32*j); z != want {
			t.Fatalf("z_%d = %v, want %v", j, z, want)
		}
	}
	s = mustSupport(t, 7, -1, 2) // Δz = 0.5 exactly
	if s.Z[0] != -1 || s.Z[6] != 2 || s.Z[3] != 0.5 {
		t.Fatalf("Z = %v", s.Z)
	}
	for _, c := range []struct {
		atoms  int
		lo, hi float64
		field  string
	}{
		{1, -1, 1, "Atoms"}, {0, -1, 1, "Atoms"},
		{11, math.NaN(), 1, "VMin"}, {11, math.Inf(-1), 1, "VMin"}, {11, -1e39, 1, "VMin"},
		{11, -1, math.NaN(), "VMax"}, {11, -1, math.Inf(1), "VMax"},
		{11, 1, 1, "VMax"}, {11, 2, 1, "VMax"}, {11, 1, 1 + 1e-12, "VMax"},
	} {
		_, err := NewSupport(c.atoms, c.lo, c.hi)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("NewSupport(%d, %v, %v) = %v, want a ConfigError on %s", c.atoms, c.lo, c.hi, err, c.field)
		}
	}
}

func TestProjectHandCases(t *testing.T) {
	s := mustSupport(t, 11, -10, 10) // z = −10, −8, …, 10; Δz = 2
	for _, c := range []struct {
		name string
		tz   float32
		want map[int]float32 // atom → mass, for a unit mass at tz
	}{
		{"on an atom", 4, map[int]float32{7: 1}},
		{"on atom 1", -8, map[int]float32{1: 1}},
		{"halfway", 5, map[int]float32{7: 0.5, 8: 0.5}},
		{"a quarter", 4.5, map[int]float32{7: 0.75, 8: 0.25}},
		{"three quarters below zero", -0.5, map[int]float32{4: 0.25, 5: 0.75}},
		{"below VMin", -11, map[int]float32{0: 1}},
		{"far below VMin", -1e30, map[int]float32{0: 1}},
		{"-Inf", float32(math.Inf(-1)), map[int]float32{0: 1}},
		{"above VMax", 10.5, map[int]float32{10: 1}},
		{"+Inf", float32(math.Inf(1)), map[int]float32{10: 1}},
		{"exactly VMin", -10, map[int]float32{0: 1}},
		{"exactly VMax", 10, map[int]float32{10: 1}},
		{"just below VMax", 9, map[int]float32{9: 0.5, 10: 0.5}},
	} {
		// The unit mass sits on one source atom (index 3); the others carry 0.
		p := make([]float32, 11)
		tz := make([]float32, 11)
		for j := range tz {
			tz[j] = s.Z[j]
		}
		p[3], tz[3] = 1, c.tz
		rho := make([]float32, 11)
		for j := range rho {
			rho[j] = float32(math.NaN()) // Project must zero it
		}
		s.Project(rho, p, tz)
		for j, v := range rho {
			if v != c.want[j] {
				t.Errorf("%s: tz = %v: rho = %v, want %v", c.name, c.tz, rho, c.want)
				break
			}
		}
	}

	// Several sources landing on shared atoms, against the float64 formula.
	p := []float32{0.1, 0.2, 0.05, 0.15, 0.1, 0.1, 0.05, 0.05, 0.1, 0.05, 0.05}
	tz := []float32{-12, -9, -9, 0, 0.5, 3, 3.25, 9.9, 10, 40, -0.75}
	rho := make([]float32, 11)
	s.Project(rho, p, tz)
	ref := fd.Project64(11, -10, 10, f64(p), f64(tz))
	for j := range rho {
		if math.Abs(float64(rho[j])-ref[j]) > 1e-7 {
			t.Fatalf("rho = %v, want %v", rho, ref)
		}
	}
}

func TestProjectMassAndReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sc := range []struct {
		atoms  int
		lo, hi float64
	}{{11, -10, 10}, {101, -1600, 1600}, {2, 0, 1}, {51, -3.7, 12.1}} {
		s := mustSupport(t, sc.atoms, sc.lo, sc.hi)
		n := sc.atoms
		p, tz, rho := make([]float32, n), make([]float32, n), make([]float32, n)
		for trial := 0; trial < 200; trial++ {
			var sum float32
			for j := range p {
				p[j] = float32(rng.ExpFloat64())
				sum += p[j]
			}
			for j := range p {
				p[j] /= sum
				// Anywhere from far below to far above the support, some exactly on atoms.
				switch rng.IntN(6) {
				case 0:
					tz[j] = s.Z[rng.IntN(n)]
				case 1:
					tz[j] = float32((rng.Float64() - 0.5) * 1e6)
				default:
					w := sc.hi - sc.lo
					tz[j] = float32(sc.lo - 0.3*w + 1.6*w*rng.Float64())
				}
			}
			s.Project(rho, p, tz)
			var mass float64
			for _, v := range rho {
				if v < 0 {
					t.Fatalf("negative mass %v", rho)
				}
				mass += float64(v)
			}
			var pm float64
			for _, v := range p {
				pm += float64(v)
			}
			if math.Abs(mass-pm) > 1e-6 {
				t.Fatalf("%d atoms: mass %v, want %v", n, mass, pm)
			}
			ref := fd.Project64(n, sc.lo, sc.hi, f64(p), f64(tz))
			for j := range rho {
				if math.Abs(float64(rho[j])-ref[j]) > 2e-6 {
					t.Fatalf("%d atoms: rho[%d] = %v, float64 formula %v", n, j, rho[j], ref[j])
				}
			}
		}
	}
}

func TestProjectNaN(t *testing.T) {
	s := mustSupport(t, 5, -1, 1)
	rho := make([]float32, 5)
	s.Project(rho, []float32{0.2, 0.2, 0.2, 0.2, 0.2}, []float32{0, 0, float32(math.NaN()), 0, 0})
	if !anyNonFinite(rho) {
		t.Fatalf("NaN Tz gave a finite rho %v", rho)
	}
	s.Project(rho, []float32{0.2, 0.2, float32(math.NaN()), 0.2, 0.2}, []float32{0, 0, 0, 0, 0})
	if !anyNonFinite(rho) {
		t.Fatalf("NaN p gave a finite rho %v", rho)
	}
}

func TestMeanOneHot(t *testing.T) {
	s := mustSupport(t, 101, -1600, 1600)
	p := make([]float32, 101)
	for j := range p {
		clear(p)
		p[j] = 1
		if m := s.Mean(p); m != s.Z[j] || float64(m) != -1600+32*float64(j) {
			t.Fatalf("Mean(one-hot %d) = %v, want %v", j, m, -1600+32*j)
		}
	}
	clear(p)
	p[0], p[100] = 0.25, 0.75 // 0.25·(−1600) + 0.75·1600
	if m := s.Mean(p); m != 800 {
		t.Fatalf("Mean = %v, want 800", m)
	}
}

// logSoftmax64 is the float64 reference log-softmax.
func logSoftmax64(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	out := make([]float64, len(x))
	for j, v := range x {
		out[j] = v - m - math.Log(s)
	}
	return out
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func anyNonFinite(x []float32) bool {
	for _, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return true
		}
	}
	return false
}
