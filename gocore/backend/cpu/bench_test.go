package cpu

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/mfpo/mfpo/gocore/internal/fd"
)

// Benchmarks of the float32 kernels at the paper's shapes (hidden width
// 256; 256 rows per batch and 2048 in the proposal rollouts; time
// embeddings of width 64; ~150k parameters per network), one
// sub-benchmark per kernel path this CPU runs. Each reports MB/s of the
// operands it reads and writes once (b.SetBytes), ns/elem and, on Linux,
// cpu-ns/elem (the thread's CPU time, steadier on a loaded machine). With
// -short (the suite's smoke run) the shapes shrink to a few rows.
//
//	go test -run '^$' -bench . ./gocore/backend/cpu

// benchShapes are the [rows×width] shapes of the row kernels.
func benchShapes() [][2]int {
	if testing.Short() {
		return [][2]int{{4, 256}}
	}
	return [][2]int{{2048, 256}, {256, 256}}
}

// benchParams is the length of the parameter vectors of Adam and Polyak.
func benchParams() int {
	if testing.Short() {
		return 1000
	}
	return 150_000
}

// benchPaths runs f as one sub-benchmark per path, named name/path,
// counting elems elements and bytes bytes per call.
func benchPaths(b *testing.B, name string, elems, bytes int, f func()) {
	for _, path := range SupportedKernels() {
		b.Run(name+"/"+path, func(b *testing.B) {
			prev, err := SetKernels(path)
			if err != nil {
				b.Fatal(err)
			}
			defer SetKernels(prev) // prev was active: no error
			// One OS thread for the whole loop, so that its CPU time is
			// the loop's.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			f()
			b.SetBytes(int64(bytes))
			b.ReportAllocs()
			b.ResetTimer()
			c0, ok := threadCPU()
			for range b.N {
				f()
			}
			c1, _ := threadCPU()
			per := float64(b.N) * float64(elems)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/elem")
			if ok {
				b.ReportMetric(float64((c1-c0).Nanoseconds())/per, "cpu-ns/elem")
			}
		})
	}
}

func benchVec(n int) []float32 { return randF32(fd.NewRNG(uint64(n)), n, 0, 1) }

func BenchmarkLNGELU(b *testing.B) {
	be := New[float32]()
	for _, s := range benchShapes() {
		rows, w := s[0], s[1]
		n := rows * w
		x, bias, gamma, beta := benchVec(n), benchVec(w), benchVec(w), benchVec(w)
		h, gp, xhat, rstd := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, rows)
		// Reads x; writes h, GELU′, x̂.
		benchPaths(b, fmt.Sprintf("%dx%d", rows, w), n, 4*4*n, func() {
			be.LNGELU(h, gp, xhat, rstd, x, bias, gamma, beta, rows, w)
		})
	}
}

// BenchmarkLNGELUForwardOnly is LNGELU with a nil gp (nn's passes that
// are not recorded): reads x, writes h.
func BenchmarkLNGELUForwardOnly(b *testing.B) {
	be := New[float32]()
	for _, s := range benchShapes() {
		rows, w := s[0], s[1]
		n := rows * w
		x, bias, gamma, beta := benchVec(n), benchVec(w), benchVec(w), benchVec(w)
		h := make([]float32, n)
		benchPaths(b, fmt.Sprintf("%dx%d", rows, w), n, 2*4*n, func() {
			be.LNGELU(h, nil, nil, nil, x, bias, gamma, beta, rows, w)
		})
	}
}

func BenchmarkLNGELUJVP(b *testing.B) {
	be := New[float32]()
	for _, s := range benchShapes() {
		rows, w := s[0], s[1]
		n := rows * w
		x, bias, gamma, beta := benchVec(n), benchVec(w), benchVec(w), benchVec(w)
		h, gp, xhat, rstd := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, rows)
		be.LNGELU(h, gp, xhat, rstd, x, bias, gamma, beta, rows, w)
		dx, dy := benchVec(n), make([]float32, n)
		// Reads ẋ, x̂, GELU′; writes ẏ.
		benchPaths(b, fmt.Sprintf("%dx%d", rows, w), n, 4*4*n, func() {
			be.LNGELUJVP(dy, dx, xhat, rstd, gp, gamma, rows, 1, w)
		})
	}
}

func BenchmarkLNGELUBackward(b *testing.B) {
	be := New[float32]()
	for _, s := range benchShapes() {
		rows, w := s[0], s[1]
		n := rows * w
		x, bias, gamma, beta := benchVec(n), benchVec(w), benchVec(w), benchVec(w)
		h, gp, xhat, rstd := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, rows)
		be.LNGELU(h, gp, xhat, rstd, x, bias, gamma, beta, rows, w)
		dh, dx := benchVec(n), make([]float32, n)
		dgamma, dbeta := make([]float32, w), make([]float32, w)
		// Reads dh, x̂, GELU′; writes dx.
		benchPaths(b, fmt.Sprintf("%dx%d", rows, w), n, 4*4*n, func() {
			be.LNGELUBackward(dx, dgamma, dbeta, dh, xhat, rstd, gp, gamma, rows, w)
		})
	}
}

// BenchmarkGELU is GELU alone, as in the time embeddings ([rows×64]).
func BenchmarkGELU(b *testing.B) {
	be := New[float32]()
	for _, s := range benchShapes() {
		rows, w := s[0], 64
		n := rows * w
		x, h, gp := benchVec(n), make([]float32, n), make([]float32, n)
		benchPaths(b, fmt.Sprintf("%dx%d", rows, w), n, 3*4*n, func() {
			be.LNGELU(h, gp, nil, nil, x, nil, nil, nil, rows, w)
		})
	}
}

func BenchmarkSumRows(b *testing.B) {
	be := New[float32]()
	for _, s := range benchShapes() {
		rows, w := s[0], s[1]
		dy, db := benchVec(rows*w), make([]float32, w)
		benchPaths(b, fmt.Sprintf("%dx%d", rows, w), rows*w, 4*rows*w, func() {
			be.SumRows(db, dy, rows)
		})
	}
}

func BenchmarkAdam(b *testing.B) {
	be := New[float32]()
	n := benchParams()
	params, grad, m, v := benchVec(n), benchVec(n), make([]float32, n), make([]float32, n)
	// Reads θ, g, m, v; writes θ, m, v.
	benchPaths(b, fmt.Sprint(n), n, 7*4*n, func() {
		be.Adam(params, grad, m, v, 1e-9, 1e-8, 0.9, 0.999)
	})
}

func BenchmarkPolyak(b *testing.B) {
	be := New[float32]()
	n := benchParams()
	target, online := benchVec(n), benchVec(n)
	benchPaths(b, fmt.Sprint(n), n, 3*4*n, func() {
		be.Polyak(target, online, 0.005)
	})
}
