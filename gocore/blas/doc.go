// Package blas is the matrix-product seam of mfpo: every dense layer's
// matrix product goes through Gemm.
//
// Two backends implement it, chosen at build time:
//
//   - OpenBLAS through cgo (build tag "openblas"), pinned to one thread so
//     that parallelism stays under the caller's control;
//   - gonum's pure-Go BLAS, the fallback when OpenBLAS is absent.
//
// All matrices are row-major. Gemm is generic over float32 and float64 so
// that the same network code runs in float32 for speed and in float64 for
// finite-difference checks. A product with a single output row (m == 1)
// is sent to the matrix-vector routine: an M = 1 sgemm pays a fixed cost
// of tens of microseconds in OpenBLAS, sgemv does not.
package blas
