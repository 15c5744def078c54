//go:build openblas

package blas

/*
#cgo pkg-config: openblas
#include <cblas.h>
*/
import "C"

import "unsafe"

// Backend names the BLAS library in use.
func Backend() string { return "openblas" }

// core and config are read once: OpenBLAS picks its kernels when it is
// loaded, from the CPU it sees then.
var core, config string

func init() {
	// One OpenBLAS thread: callers parallelise across batch slices themselves,
	// and OpenBLAS threads would compete with them for the cores.
	C.openblas_set_num_threads(1)
	core = C.GoString(C.openblas_get_corename())
	config = C.GoString(C.openblas_get_config())
}

// Core names the kernel set OpenBLAS chose for this CPU at load time
// (openblas_get_corename: "SkylakeX", "Haswell", "Zen", ...).
func Core() string { return core }

// Config is OpenBLAS's build description (openblas_get_config: version,
// build options, core).
func Config() string { return config }

func trans(t bool) uint32 {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

func gemm32(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 1 {
		x, incx := a, 1
		if transA {
			incx = lda
		}
		if transB { // c = B·x with B n×k
			C.cblas_sgemv(C.CblasRowMajor, C.CblasNoTrans, C.blasint(n), C.blasint(k), C.float(alpha),
				(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb), (*C.float)(unsafe.Pointer(&x[0])), C.blasint(incx),
				C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), 1)
		} else { // c = Bᵀ·x with B k×n
			C.cblas_sgemv(C.CblasRowMajor, C.CblasTrans, C.blasint(k), C.blasint(n), C.float(alpha),
				(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb), (*C.float)(unsafe.Pointer(&x[0])), C.blasint(incx),
				C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), 1)
		}
		return
	}
	C.cblas_sgemm(C.CblasRowMajor, trans(transA), trans(transB), C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}

func gemm64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	C.cblas_dgemm(C.CblasRowMajor, trans(transA), trans(transB), C.blasint(m), C.blasint(n), C.blasint(k),
		C.double(alpha), (*C.double)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.double)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.double(beta), (*C.double)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}
