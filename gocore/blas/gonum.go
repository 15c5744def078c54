//go:build !openblas

package blas

import (
	"runtime/debug"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Backend names the BLAS library in use.
func Backend() string { return "gonum" }

// Core names the kernel set: gonum has one, the same on every CPU of an
// architecture (plain Go and SSE2 assembly, chosen at build time).
func Core() string { return "gonum" }

// Config is the gonum module's path and version as built in, or "gonum"
// when the binary carries no module information.
func Config() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "gonum.org/v1/gonum" {
				return m.Path + " " + m.Version
			}
		}
	}
	return "gonum"
}

var impl gonum.Implementation

func trans(t bool) gblas.Transpose {
	if t {
		return gblas.Trans
	}
	return gblas.NoTrans
}

func gemm32(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 1 {
		x, incx := a, 1
		if transA {
			incx = lda
		}
		if transB {
			impl.Sgemv(gblas.NoTrans, n, k, alpha, b, ldb, x, incx, beta, c, 1)
		} else {
			impl.Sgemv(gblas.Trans, k, n, alpha, b, ldb, x, incx, beta, c, 1)
		}
		return
	}
	impl.Sgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func gemm64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	impl.Dgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
