package blas

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// naive computes C = alpha·op(A)·op(B) + beta·C in float64.
func naive(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				var av, bv float64
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
		}
	}
}

func TestGemmMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vec := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		return x
	}
	// m = 1 exercises the matrix-vector path; padded strides the ld
	// arguments; k = 0 the beta-only case.
	for _, sh := range [][3]int{{1, 5, 7}, {3, 1, 4}, {4, 6, 5}, {1, 1, 1}, {2, 3, 0}} {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				ar, ac := m, k
				if tA {
					ar, ac = k, m
				}
				br, bc := k, n
				if tB {
					br, bc = n, k
				}
				lda, ldb, ldc := ac+2, bc+1, n+3
				a, b, c := vec(max(ar, 1)*lda), vec(max(br, 1)*ldb), vec(m*ldc)
				want := append([]float64(nil), c...)
				naive(tA, tB, m, n, k, 0.7, a, lda, b, ldb, 0.3, want, ldc)
				got64 := append([]float64(nil), c...)
				Gemm(tA, tB, m, n, k, 0.7, a, lda, b, ldb, 0.3, got64, ldc)
				a32, b32, c32 := to32(a), to32(b), to32(c)
				Gemm(tA, tB, m, n, k, float32(0.7), a32, lda, b32, ldb, float32(0.3), c32, ldc)
				for i := range want {
					if math.Abs(got64[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) ||
						math.Abs(float64(c32[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
						t.Fatalf("m,n,k=%d,%d,%d transA=%v transB=%v: C[%d] = %v (float64), %v (float32); want %v",
							m, n, k, tA, tB, i, got64[i], c32[i], want[i])
					}
				}
			}
		}
	}
}

func TestGemmRejectsShortOperands(t *testing.T) {
	defer func() {
		r, _ := recover().(string)
		if !strings.HasPrefix(r, "blas: Gemm: operand B") {
			t.Fatalf("panic %q, want one naming operand B", r)
		}
	}()
	Gemm(false, false, 2, 3, 4, 1, make([]float32, 8), 4, make([]float32, 11), 3, 0, make([]float32, 6), 3)
}

func TestBackendIsNamed(t *testing.T) {
	if b := Backend(); b != "openblas" && b != "gonum" {
		t.Fatalf("Backend() = %q", b)
	}
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func TestCoreIsNamed(t *testing.T) {
	core, config := Core(), Config()
	t.Logf("backend %s, core %q, config %q", Backend(), core, config)
	// The build description names its library ("OpenBLAS 0.3.21 ...",
	// "gonum.org/v1/gonum v0.17.0"); gonum has one kernel set, and OpenBLAS's
	// description names the core it chose.
	if !strings.Contains(strings.ToLower(config), Backend()) ||
		(Backend() == "gonum") != (core == "gonum") ||
		Backend() == "openblas" && (core == "" || !strings.Contains(config, core)) {
		t.Fatalf("backend %q: Core() = %q, Config() = %q", Backend(), core, config)
	}
}
