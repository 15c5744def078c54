package cpu

import "sync"

// The matrix product on the vector paths: C = op(A)·op(B) [+ C] for
// float32, α = 1 (Gemm's other cases go to the BLAS). Every
// element of C is one chain of fused multiply-adds over k in index order
// from 0, then [+ C], for k ≤ gemmMaxK (longer products chain blocks of
// gemmMaxK, each added to C in turn): the one-row kernel's arithmetic, so
// AVX2 and AVX-512 give the same bits, the bits of a row depend on
// neither the matrix's height nor where the row falls in it, and
// products are bit-identical whatever the shards and chunks. Not the
// BLAS's bits.
//
// The blocking: op(B)'s rows k0 … k0+kc−1 are packed once per block into
// slivers of two vectors' columns (zero-padded; a transposed B is
// transposed there) — unless C has at most gemmDirectTiles tiles of rows
// and B is not transposed: then the kernels read B's whole slivers in
// place and only a partial last sliver is packed (measured: in place is
// as fast with a 1 KiB row stride and saves the packing, which costs a
// third of a 48-row product; packing keeps tall products safe from
// strides that alias in L1) — and for each block of
// gemmBlockTiles tiles of rows of C every sliver meets every tile (the
// path's gemmTile kernel: 12 rows by 32 columns in 24 accumulators on
// AVX-512, 6 by 16 in 12 on AVX2; A read in place, a row's elements
// broadcast). A last tile of fewer rows is first copied, zero-padded,
// into a whole tile of its own.
const (
	gemmMaxK        = 512
	gemmBlockTiles  = 16 // a block of A (≤ 192×512 floats on AVX-512) stays in L2 with packed B
	gemmDirectTiles = 8
)

// gemmTileShape is the path's tile: rows of C by columns (two vectors).
func gemmTileShape(lv level) (rows, cols int) {
	if lv == levelAVX512 {
		return 12, 32
	}
	return 6, 16
}

// gemmScratch is one product's packed B and padded row tile. The idle
// ones wait in gemmFree, kept for the process's life (a sync.Pool would
// drop them at every collection, and the next products would allocate
// anew): there are as many as products ever ran at once.
type gemmScratch struct {
	b, a []float32
}

var gemmFree struct {
	sync.Mutex
	list []*gemmScratch
}

func getScratch() *gemmScratch {
	gemmFree.Lock()
	defer gemmFree.Unlock()
	n := len(gemmFree.list)
	if n == 0 {
		return new(gemmScratch)
	}
	s := gemmFree.list[n-1]
	gemmFree.list = gemmFree.list[:n-1]
	return s
}

func putScratch(s *gemmScratch) {
	gemmFree.Lock()
	gemmFree.list = append(gemmFree.list, s)
	gemmFree.Unlock()
}

// vecGemm computes c = op(a)·op(b) (+ c when accumulate) on path lv for
// the m×k op(a) (a m×k with row stride lda, or its transpose stored k×m
// when transA) and the k×n op(b) (b k×n with row stride ldb, or its
// transpose stored n×k when transB) into the m×n c (row stride ldc), m,
// n, k ≥ 1; the caller has checked the operands (blas.CheckOperands).
func vecGemm(lv level, transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, accumulate bool, c []float32, ldc int) {
	tr, tc := gemmTileShape(lv)
	s := getScratch()
	panels := (n + tc - 1) / tc
	direct := !transB && m <= gemmDirectTiles*tr
	for k0 := 0; k0 < k; k0 += gemmMaxK {
		kc := min(gemmMaxK, k-k0)
		acc := accumulate || k0 > 0
		var pb []float32
		first := 0 // the first packed panel
		if direct {
			first = n / tc
			pb = s.packB(false, b[first*tc:], ldb, k0, kc, n-first*tc, panels-first, tc)
		} else {
			pb = s.packB(transB, b, ldb, k0, kc, n, panels, tc)
		}
		// C's last tile of rows, when short, is padded once per block of k.
		var pa []float32
		if tail := m % tr; tail > 0 {
			pa = s.padA(transA, a, lda, m-tail, k0, tail, kc, tr)
		}
		for r0 := 0; r0 < m; r0 += gemmBlockTiles * tr {
			r1 := min(m, r0+gemmBlockTiles*tr)
			for p := 0; p < panels; p++ {
				j0 := p * tc
				var sl *float32
				lds := tc
				if p < first { // direct: B's whole sliver in place
					sl, lds = &b[k0*ldb+j0], ldb
				} else {
					sl = &pb[(p-first)*kc*tc]
				}
				for i0 := r0; i0 < r1; i0 += tr {
					rows := min(tr, r1-i0)
					cp := &c[i0*ldc+j0]
					switch {
					case rows < tr:
						gemmTile(lv, &pa[0], sl, cp, kc, tr, lds, ldc, rows, n-j0, true, acc)
					case transA:
						gemmTile(lv, &a[k0*lda+i0], sl, cp, kc, lda, lds, ldc, rows, n-j0, true, acc)
					default:
						gemmTile(lv, &a[i0*lda+k0], sl, cp, kc, lda, lds, ldc, rows, n-j0, false, acc)
					}
				}
			}
		}
	}
	putScratch(s)
}

// packB packs rows k0 … k0+kc−1 of op(b) (n columns) into panels slivers
// of tc columns: sliver p is kc rows of columns tc·p …, zero beyond n.
func (s *gemmScratch) packB(transB bool, b []float32, ldb, k0, kc, n, panels, tc int) []float32 {
	need := panels * kc * tc
	if cap(s.b) < need {
		s.b = make([]float32, need)
	}
	pb := s.b[:need]
	for p := 0; p < panels; p++ {
		j0 := p * tc
		w := min(tc, n-j0)
		sl := pb[p*kc*tc : (p+1)*kc*tc]
		if !transB {
			for i := 0; i < kc; i++ {
				dst, src := sl[i*tc:(i+1)*tc], b[(k0+i)*ldb+j0:(k0+i)*ldb+j0+w]
				switch { // whole slivers as array copies: no call per row
				case w == 32:
					*(*[32]float32)(dst) = *(*[32]float32)(src)
				case w == 16 && tc == 16:
					*(*[16]float32)(dst) = *(*[16]float32)(src)
				default:
					copy(dst, src)
					clear(dst[w:])
				}
			}
			continue
		}
		// op(b)[i][j] = b[j·ldb + i]: row j of b is column j of the sliver.
		for jj := 0; jj < w; jj++ {
			row := b[(j0+jj)*ldb+k0 : (j0+jj)*ldb+k0+kc]
			for i, v := range row {
				sl[i*tc+jj] = v
			}
		}
		if w < tc {
			for i := 0; i < kc; i++ {
				clear(sl[i*tc+w : (i+1)*tc])
			}
		}
	}
	return pb
}

// padA copies rows i0 … i0+rows−1 of op(a), columns k0 … k0+kc−1, into a
// tile of tr rows laid out as a transposed A (element (r, i) at tr·i + r),
// the rows past rows zero.
func (s *gemmScratch) padA(transA bool, a []float32, lda, i0, k0, rows, kc, tr int) []float32 {
	need := kc * tr
	if cap(s.a) < need {
		s.a = make([]float32, need)
	}
	pa := s.a[:need]
	clear(pa)
	for i := 0; i < kc; i++ {
		dst := pa[i*tr : i*tr+rows]
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
