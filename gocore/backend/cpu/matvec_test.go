package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/mfpo/mfpo/gocore/blas"
	"github.com/mfpo/mfpo/gocore/internal/fd"
)

// fmaChain32 is the one-row kernel's promise for one output, written out:
// a chain of float32 fused multiply-adds from 0 over i in order, then the
// optional add of the old value. float32 products are exact in float64,
// and a float64 sum of one exact product and a float32 rounds to float32
// correctly only when done as one fused operation, so this uses the
// float64 FMA of float32 operands and checks it is exact (no double
// rounding) by the error-free transformation.
func fmaChain32(x []float32, incx int, w []float32, ldw, k, j int) float32 {
	var acc float32
	for i := 0; i < k; i++ {
		acc = fma32(x[i*incx], w[i*ldw+j], acc)
	}
	return acc
}

// fma32 rounds a·b + c (exact in big.Float terms) once to float32: the
// exact value is p + c with p = a·b exact in float64; s = p + c in float64
// has error e (two-sum), and rounding s to float32 is correct unless s is
// a float32 halfway point, where e's sign decides.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	bb := s - p
	e := (p - (s - bb)) + (float64(c) - bb)
	r := float32(s)
	if float64(r) != s {
		lo, hi := float64(r), float64(r)
		if float64(r) < s {
			hi = float64(math.Nextafter32(r, float32(math.Inf(1))))
		} else {
			lo = float64(math.Nextafter32(r, float32(math.Inf(-1))))
		}
		if mid := (lo + hi) / 2; s == mid && e != 0 {
			if e > 0 {
				r = float32(hi)
			} else {
				r = float32(lo)
			}
		}
	}
	return r
}

// nearFloat64 fails t unless got, the product's C[r, j], is within
// 1e-6·Σ|terms| of Σ_i x[i·incx]·w[i·ldw+j] [+ old when β = 1] in float64.
func nearFloat64(t *testing.T, what string, r, j int, got, old, beta float32, x []float32, incx int, w []float32, ldw, k int) {
	t.Helper()
	var ref, scale float64
	for i := 0; i < k; i++ {
		p := float64(x[i*incx]) * float64(w[i*ldw+j])
		ref += p
		scale += math.Abs(p)
	}
	if beta == 1 {
		ref += float64(old)
		scale += math.Abs(float64(old))
	}
	if d := math.Abs(float64(got) - ref); d > 1e-6*scale+1e-30 {
		t.Fatalf("%s: C[%d,%d] = %.9g, float64 %.9g (|Δ| %.3g, Σ|terms| %.3g)", what, r, j, got, ref, d, scale)
	}
}

// TestOneRowGemm checks the vector paths' few-row product (m ≤ 4) against
// its promised arithmetic bit for bit (so AVX2 and AVX-512 agree) and
// against float64, for widths that exercise every block and tail, A
// transposed or not (a row of op(A) strided), B with ldb > n, C with
// ldc > n, both β, and guards around C. The portable path is the BLAS:
// checked against float64 only. m = 5 (the blocked product on the vector
// paths, TestBlockedGemm) is checked against float64 too.
func TestOneRowGemm(t *testing.T) {
	rng := fd.NewRNG(21)
	type shape struct{ m, k, n, ldb, ldc int }
	var shapes []shape
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 80, 127, 128, 129, 200, 208, 256, 300, 460} {
		for _, k := range []int{1, 3, 256} {
			shapes = append(shapes, shape{1, k, n, n, n}, shape{1, k, n, n + 5, n})
		}
	}
	for _, m := range []int{2, 3, 4, 5} {
		shapes = append(shapes, shape{m, 33, 129, 129, 129}, shape{m, 17, 40, 45, 43})
	}
	forEachPath(t, func(t *testing.T) {
		be := New[float32]()
		vector := vecLevel[float32]() != levelGo
		for _, s := range shapes {
			for _, transA := range []bool{false, true} {
				for _, beta := range []float32{0, 1} {
					// op(A) is m×k: A is m×(k+2) (lda = k+2), or k×(m+1)
					// transposed (lda = m+1).
					lda, rowStart, incx := s.k+2, s.k+2, 1
					if transA {
						lda, rowStart, incx = s.m+1, 1, s.m+1
					}
					a := randF32(rng, (s.m-1)*rowStart+(s.k-1)*incx+1, 0, 1)
					w := randF32(rng, (s.k-1)*s.ldb+s.n, 0, 1)
					c0 := randF32(rng, (s.m-1)*s.ldc+s.n, 0, 1)
					c, ok := copyTo(t, c0, s.n%4)
					be.Gemm(transA, false, s.m, s.n, s.k, 1, a, lda, w, s.ldb, beta, c, s.ldc)
					ok()
					what := fmt.Sprintf("m=%d k=%d n=%d ldb=%d ldc=%d transA=%v β=%v", s.m, s.k, s.n, s.ldb, s.ldc, transA, beta)
					for r := 0; r < s.m; r++ {
						x := a[r*rowStart:]
						for j := 0; j < s.n; j++ {
							got, old := c[r*s.ldc+j], c0[r*s.ldc+j]
							nearFloat64(t, what, r, j, got, old, beta, x, incx, w, s.ldb, s.k)
							if vector && s.m <= oneRowMax {
								want := fmaChain32(x, incx, w, s.ldb, s.k, j)
								if beta == 1 {
									want += old
								}
								if math.Float32bits(got) != math.Float32bits(want) {
									t.Fatalf("%s: C[%d,%d] = %v, the FMA chain gives %v", what, r, j, got, want)
								}
							}
						}
					}
					// Between C's rows (ldc > n) nothing is written.
					for r := 0; r+1 < s.m; r++ {
						for j := s.n; j < s.ldc; j++ {
							if math.Float32bits(c[r*s.ldc+j]) != math.Float32bits(c0[r*s.ldc+j]) {
								t.Fatalf("%s: C[%d,%d] beyond n was written", what, r, j)
							}
						}
					}
				}
			}
		}
	})
}

// BenchmarkOneRowGemm is the acting product: one row through four 256×256
// layers in turn (the paper policy's hidden layers over two sampler
// steps; 1 MiB of weights, the L2 of one core), on the BLAS and on each
// vector path. GB/s counts the weights read.
func BenchmarkOneRowGemm(b *testing.B) {
	const n, layers = 256, 4
	rng := fd.NewRNG(22)
	ws := make([][]float32, layers)
	for i := range ws {
		ws[i] = randF32(rng, n*n, 0, 0.06)
	}
	x, y := randF32(rng, n, 0, 1), make([]float32, n)
	run := func(b *testing.B, gemm func(w []float32)) {
		b.SetBytes(layers * n * n * 4)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			for _, w := range ws {
				gemm(w)
			}
		}
	}
	b.Run("blas", func(b *testing.B) {
		run(b, func(w []float32) { blas.Gemm(false, false, 1, n, n, 1, x, n, w, n, 1, y, n) })
	})
	for _, path := range SupportedKernels() {
		if path == "go" {
			continue
		}
		b.Run(path, func(b *testing.B) {
			prev, _ := SetKernels(path)
			defer SetKernels(prev)
			be := New[float32]()
			run(b, func(w []float32) { be.Gemm(false, false, 1, n, n, 1, x, n, w, n, 1, y, n) })
		})
	}
}

// TestExpShiftPaths holds the vector exponential of the critics' softmax
// to expShiftScalar's bits on every path: lengths that exercise the
// vectors and the tails, shifts, and vectors with a lane outside the fast
// path (−86.6 and 88 on both sides, ±Inf, NaN) at every position, which
// the scalar code takes over.
func TestExpShiftPaths(t *testing.T) {
	rng := fd.NewRNG(23)
	special := []float32{-86.6, -86.61, -87.5, -100, 88, 88.01, 89, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	var inputs [][]float32
	for _, n := range []int{1, 5, 7, 8, 9, 15, 16, 17, 31, 33, 101, 202} {
		inputs = append(inputs, randF32(rng, n, 0, 20))
		for k, v := range special {
			x := randF32(rng, n, 0, 20)
			x[(k*7)%n] = v
			inputs = append(inputs, x)
		}
	}
	forEachPath(t, func(t *testing.T) {
		if lv := vecLevel[float32](); lv != levelGo {
			// The kernel itself does every in-range vector and tail.
			x := randF32(rng, 101, 0, 20)
			if done := vecExpShift(lv, x, 0); done != 101 {
				t.Fatalf("the vector kernel did %d of 101 in-range elements", done)
			}
			x = randF32(rng, 101, 0, 20)
			x[40] = float32(math.NaN())
			if done, w := vecExpShift(lv, x, 0), map[level]int{levelAVX2: 40, levelAVX512: 32}[lv]; done != w {
				t.Fatalf("with a NaN at 40 the vector kernel did %d elements, want %d", done, w)
			}
		}
		for _, in := range inputs {
			for _, m := range []float32{0, 3.5, -40} {
				want := append([]float32(nil), in...)
				expShiftScalar(want, m)
				got, ok := copyTo(t, in, len(in)%3)
				expShift32(got, m)
				ok()
				sameBits(t, fmt.Sprintf("n=%d m=%v", len(in), m), got, want)
			}
		}
	})
}

// TestFourierPaths: the float32 Fourier features on every path have the
// portable code's bits (sinCos2Pi's, rounded), for frequencies that put
// 2π·t·w on the folds (ties at ±½ turn, ±¼), at zero, far out, and at
// non-finite values in every lane position, and for widths with and
// without a vector tail; the vector kernels do the whole vectors.
func TestFourierPaths(t *testing.T) {
	rng := fd.NewRNG(29)
	special := []float32{0.5, -0.5, 2.5, -2.5, 0.25, -0.25, 0.75, -0.75, 0, 1, -1, 1e6, 3e7, float32(math.Inf(1)), float32(math.NaN())}
	times := []float32{1, 0.5, 0.37, -0.8, 0}
	reference := func(out, tm, freq []float32) {
		f := len(freq)
		for i, ti := range tm {
			for k, w := range freq {
				s, c := sinCos2Pi(float64(ti) * float64(w))
				out[i*2*f+k], out[i*2*f+f+k] = float32(c), float32(s)
			}
		}
	}
	forEachPath(t, func(t *testing.T) {
		be := New[float32]()
		if lv := vecLevel[float32](); lv != levelGo {
			freq := randF32(rng, 21, 0, 3)
			c, s := make([]float32, 21), make([]float32, 21)
			if done, want := vecSinCos2Pi(lv, c, s, freq, 0.3), map[level]int{levelAVX2: 20, levelAVX512: 16}[lv]; done != want {
				t.Fatalf("the vector kernel did %d of 21 frequencies, want %d", done, want)
			}
		}
		for _, f := range []int{1, 3, 4, 5, 7, 8, 9, 16, 17, 33, 64} {
			for k := range special {
				freq := randF32(rng, f, 0, 3)
				freq[(k*5)%f] = special[k]
				out, ok := guarded(t, len(times)*2*f, f%3)
				be.Fourier(out, times, freq, len(times))
				ok()
				want := make([]float32, len(out))
				reference(want, times, freq)
				sameBits(t, fmt.Sprintf("F=%d, frequency %v at %d", f, special[k], (k*5)%f), out, want)
			}
		}
	})
}

// TestBlockedGemm checks the vector paths' blocked product (gemm.go)
// against its promised arithmetic bit for bit (each element the one-row
// kernel's FMA chain, blocks of gemmMaxK added in turn) and against
// float64, for heights and widths around the tile and block edges and
// either side of gemmDirectTiles (B read in place or packed), k
// around gemmMaxK, A and B transposed or not, lda, ldb, ldc past the matrix,
// both β, and guards around C; and that nothing between C's rows is
// written. On the portable path the same products are the BLAS's:
// checked against float64.
func TestBlockedGemm(t *testing.T) {
	rng := fd.NewRNG(31)
	type shape struct{ m, n, k int }
	var shapes []shape
	for _, m := range []int{5, 11, 12, 13, 25, 191, 192, 205} {
		for _, n := range []int{1, 6, 17, 32, 33, 101} {
			shapes = append(shapes, shape{m, n, 7})
		}
	}
	for _, k := range []int{1, 2, 256, 511, 512, 513, 1100} {
		shapes = append(shapes, shape{13, 40, k}, shape{24, 64, k}, shape{100, 40, k})
	}
	// A few rows: the row kernel with B as it is, the blocked one with B
	// transposed; the same chains either way.
	shapes = append(shapes, shape{256, 256, 256}, shape{200, 101, 256}, shape{1, 40, 33}, shape{3, 17, 256})
	forEachPath(t, func(t *testing.T) {
		be := New[float32]()
		blocked := vecLevel[float32]() != levelGo
		for _, s := range shapes {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				transA, transB := tr[0], tr[1]
				for _, beta := range []float32{0, 1} {
					lda, ldb, ldc := s.k+3, s.n+2, s.n+5
					ar := s.m
					if transA {
						lda, ar = s.m+1, s.k
					}
					// w is op(B) (k×n, row stride ldb); bt stores it for
					// the product: w itself, or its transpose (n×k, ldbt).
					w := randF32(rng, (s.k-1)*ldb+s.n, 0, 1)
					bt, ldbt := w, ldb
					if transB {
						ldbt = s.k + 1
						bt = make([]float32, (s.n-1)*ldbt+s.k)
						for i := 0; i < s.k; i++ {
							for j := 0; j < s.n; j++ {
								bt[j*ldbt+i] = w[i*ldb+j]
							}
						}
					}
					a := randF32(rng, (ar-1)*lda+lda, 0, 1)
					c0 := randF32(rng, (s.m-1)*ldc+s.n, 0, 1)
					c, ok := copyTo(t, c0, s.n%4)
					be.Gemm(transA, transB, s.m, s.n, s.k, 1, a, lda, bt, ldbt, beta, c, ldc)
					ok()
					what := fmt.Sprintf("m=%d n=%d k=%d transA=%v transB=%v β=%v", s.m, s.n, s.k, transA, transB, beta)
					x := make([]float32, s.k) // row r of op(A)
					for r := 0; r < s.m; r++ {
						for i := range x {
							if transA {
								x[i] = a[i*lda+r]
							} else {
								x[i] = a[r*lda+i]
							}
						}
						for j := 0; j < s.n; j++ {
							got, old := c[r*ldc+j], c0[r*ldc+j]
							nearFloat64(t, what, r, j, got, old, beta, x, 1, w, ldb, s.k)
							if !blocked {
								continue
							}
							want := old
							for k0 := 0; k0 < s.k; k0 += gemmMaxK {
								kc := min(gemmMaxK, s.k-k0)
								chain := fmaChain32(x[k0:], 1, w[k0*ldb:], ldb, kc, j)
								if k0 == 0 && beta == 0 {
									want = chain
								} else {
									want = chain + want
								}
							}
							if math.Float32bits(got) != math.Float32bits(want) {
								t.Fatalf("%s: C[%d,%d] = %v, the FMA chains give %v", what, r, j, got, want)
							}
						}
					}
					for r := 0; r+1 < s.m; r++ {
						for j := s.n; j < ldc; j++ {
							if math.Float32bits(c[r*ldc+j]) != math.Float32bits(c0[r*ldc+j]) {
								t.Fatalf("%s: C[%d,%d] beyond n was written", what, r, j)
							}
						}
					}
				}
			}
		}
		if blocked { // the scratch is reused: no allocation once grown
			a, w, c := randF32(rng, 200*256, 0, 1), randF32(rng, 256*101, 0, 1), make([]float32, 200*101)
			if n := testing.AllocsPerRun(20, func() { be.Gemm(false, false, 200, 101, 256, 1, a, 256, w, 101, 1, c, 101) }); n != 0 {
				t.Errorf("%v allocations per product", n)
			}
		}
	})
}

// BenchmarkBlockedGemm is the update's products at the paper's sizes (a
// shard's 256-row batch through a 256-wide layer: forward, weight
// gradient Xᵀ·dY, input gradient dY·Wᵀ; a tall forward pass of the
// actor's 2048 candidate rows; the critic's 101-atom output; best-of-N's
// 10 candidate rows), on the BLAS and on each vector path, with
// GFLOP/s.
func BenchmarkBlockedGemm(b *testing.B) {
	type shape struct {
		name           string
		transA, transB bool
		m, n, k        int
	}
	shapes := []shape{
		{"forward-256", false, false, 256, 256, 256}, {"weight-grad-256", true, false, 256, 256, 256},
		{"input-grad-256", false, true, 256, 256, 256}, {"forward-2048", false, false, 2048, 256, 256},
		{"atoms-256", false, false, 256, 101, 256}, {"forward-10", false, false, 10, 256, 256},
	}
	rng := fd.NewRNG(32)
	for _, s := range shapes {
		ar, ac, br, bc := s.m, s.k, s.k, s.n
		if s.transA {
			ar, ac = ac, ar
		}
		if s.transB {
			br, bc = bc, br
		}
		a, w, c := randF32(rng, ar*ac, 0, 1), randF32(rng, br*bc, 0, 0.06), make([]float32, s.m*s.n)
		run := func(b *testing.B, gemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, ac, w, bc, 1, c, s.n)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		b.Run(s.name+"/blas", func(b *testing.B) { run(b, blas.Gemm[float32]) })
		for _, path := range SupportedKernels() {
			if path == "go" {
				continue
			}
			b.Run(s.name+"/"+path, func(b *testing.B) {
				prev, _ := SetKernels(path)
				defer SetKernels(prev)
				run(b, New[float32]().Gemm)
			})
		}
	}
}
