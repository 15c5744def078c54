package cpu

import (
	"fmt"
	"sync"
)

// The matrix product on the AVX-512 path: C = op(A)·B [+ C] for float32,
// B not transposed, α = 1 (Gemm's other cases go to the BLAS). Every
// element of C is one chain of fused multiply-adds over k in index order
// from 0, then [+ C], for k ≤ gemmMaxK (longer products chain blocks of
// gemmMaxK, each added to C in turn): the one-row kernel's arithmetic, so
// the bits of a row depend on neither the matrix's height nor where the
// row falls in it, and products are bit-identical whatever the shards
// and chunks. Not the BLAS's bits.
//
// The blocking: B's rows k0 … k0+kc−1 are packed once per block into
// slivers of 32 columns (zero-padded), and for each block of gemmBlockRows
// rows of C every sliver meets every tile of 12 rows (gemmTileAVX512:
// 24 accumulators, A read in place, a row's 12 elements broadcast). A
// tile of fewer than 12 rows is first copied, zero-padded, into a
// 12-row tile of its own.
const (
	tileRows      = 12
	tileCols      = 32
	gemmMaxK      = 512
	gemmBlockRows = 16 * tileRows // a block of A (≤ 192×512 floats) stays in L2 with packed B
)

// gemmScratch is one product's packed B and padded row tile, reused
// through gemmPool (no allocation once grown).
type gemmScratch struct {
	b, a []float32
}

var gemmPool = sync.Pool{New: func() any { return new(gemmScratch) }}

// vecGemm computes c = op(a)·b (+ c when accumulate) for the m×k op(a)
// (a m×k with row stride lda, or its transpose stored k×m when transA)
// and the k×n b (row stride ldb) into the m×n c (row stride ldc), m, n,
// k ≥ 1, checking that the operands hold what it reads and writes.
func vecGemm(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, accumulate bool, c []float32, ldc int) {
	checkGemm(transA, m, n, k, a, lda, b, ldb, c, ldc)
	s := gemmPool.Get().(*gemmScratch)
	panels := (n + tileCols - 1) / tileCols
	for k0 := 0; k0 < k; k0 += gemmMaxK {
		kc := min(gemmMaxK, k-k0)
		acc := accumulate || k0 > 0
		pb := s.packB(b[k0*ldb:], ldb, kc, n, panels)
		for r0 := 0; r0 < m; r0 += gemmBlockRows {
			r1 := min(m, r0+gemmBlockRows)
			for p := 0; p < panels; p++ {
				j0 := p * tileCols
				masks := colMasks(n - j0)
				sl := &pb[p*kc*tileCols]
				for i0 := r0; i0 < r1; i0 += tileRows {
					rows := min(tileRows, r1-i0)
					cp := &c[i0*ldc+j0]
					switch {
					case rows < tileRows:
						pa := s.padA(transA, a, lda, i0, k0, rows, kc)
						gemmTile(&pa[0], sl, cp, kc, tileRows, ldc, rows, true, acc, masks)
					case transA:
						gemmTile(&a[k0*lda+i0], sl, cp, kc, lda, ldc, rows, true, acc, masks)
					default:
						gemmTile(&a[i0*lda+k0], sl, cp, kc, lda, ldc, rows, false, acc, masks)
					}
				}
			}
		}
	}
	gemmPool.Put(s)
}

// packB packs rows 0 … kc−1 of b (row stride ldb, n columns) into panels
// slivers: sliver p is kc rows of columns 32p … 32p+31, zero beyond n.
func (s *gemmScratch) packB(b []float32, ldb, kc, n, panels int) []float32 {
	need := panels * kc * tileCols
	if cap(s.b) < need {
		s.b = make([]float32, need)
	}
	pb := s.b[:need]
	for p := 0; p < panels; p++ {
		j0 := p * tileCols
		w := min(tileCols, n-j0)
		sl := pb[p*kc*tileCols : (p+1)*kc*tileCols]
		for i := 0; i < kc; i++ {
			dst := sl[i*tileCols : (i+1)*tileCols]
			copy(dst, b[i*ldb+j0:i*ldb+j0+w])
			clear(dst[w:])
		}
	}
	return pb
}

// padA copies rows i0 … i0+rows−1 of op(a), columns k0 … k0+kc−1, into a
// 12-row tile laid out as a transposed A (element (r, i) at 12·i + r),
// the rows past rows zero.
func (s *gemmScratch) padA(transA bool, a []float32, lda, i0, k0, rows, kc int) []float32 {
	need := kc * tileRows
	if cap(s.a) < need {
		s.a = make([]float32, need)
	}
	pa := s.a[:need]
	clear(pa)
	for i := 0; i < kc; i++ {
		dst := pa[i*tileRows : i*tileRows+rows]
		if transA {
			copy(dst, a[(k0+i)*lda+i0:])
			continue
		}
		for r := range dst {
			dst[r] = a[(i0+r)*lda+k0+i]
		}
	}
	return pa
}

// colMasks is the tile kernel's store masks for w columns left (bits
// 0 … 15 the first vector's lanes, 16 … 31 the second's).
func colMasks(w int) int {
	w = min(w, tileCols)
	return 1<<w - 1
}

// checkGemm panics unless the operands hold the elements vecGemm reads
// and writes (the kernels do not check).
func checkGemm(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	if lda < ac || len(a) < (ar-1)*lda+ac || ldb < n || len(b) < (k-1)*ldb+n || ldc < n || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("backend/cpu: Gemm: A has %d elements (%d×%d, lda %d), B %d (%d×%d, ldb %d), C %d (%d×%d, ldc %d)",
			len(a), ar, ac, lda, len(b), k, n, ldb, len(c), m, n, ldc))
	}
}
