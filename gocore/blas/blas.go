package blas

import "fmt"

// Float is the element type of every kernel: float32 in production,
// float64 for derivative checks.
type Float interface{ float32 | float64 }

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// where op(X) is X or Xᵀ as transA/transB say, op(A) is m×k, op(B) is k×n
// and C is m×n. lda, ldb and ldc are the row strides of A, B and C as
// stored. It panics with a message naming the operand when a slice is too
// short for the shape: a short slice would otherwise let the C backend
// write out of bounds.
func Gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	CheckOperands(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if k == 0 {
		// C = beta·C: BLAS backends disagree on k = 0, so do it here.
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
		return
	}
	switch a := any(a).(type) {
	case []float32:
		gemm32(transA, transB, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		gemm64(transA, transB, m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

// OperandShapes is the stored shapes of Gemm's operands: A is ar×ac (m×k,
// or k×m when transA), B br×bc (k×n, or n×k when transB); C is m×n.
func OperandShapes(transA, transB bool, m, n, k int) (ar, ac, br, bc int) {
	ar, ac, br, bc = m, k, k, n
	if transA {
		ar, ac = k, m
	}
	if transB {
		br, bc = n, k
	}
	return ar, ac, br, bc
}

// CheckOperands panics, naming the operand, unless a, b and c hold the
// matrices of a Gemm call with these arguments: what an implementation
// that does not check its reads and writes (cgo, assembly) must be
// protected by.
func CheckOperands[T Float](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	ar, ac, br, bc := OperandShapes(transA, transB, m, n, k)
	checkOperand("A", a, ar, ac, lda)
	checkOperand("B", b, br, bc, ldb)
	checkOperand("C", c, m, n, ldc)
}

// checkOperand panics unless x holds a rows×cols row-major matrix with row
// stride ld.
func checkOperand[T Float](name string, x []T, rows, cols, ld int) {
	if rows < 0 || cols < 0 || ld < max(cols, 1) {
		panic(fmt.Sprintf("blas: Gemm: operand %s is %d×%d with row stride %d", name, rows, cols, ld))
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("blas: Gemm: operand %s has %d elements, a %d×%d matrix with row stride %d needs %d", name, len(x), rows, cols, ld, (rows-1)*ld+cols))
	}
}
