//go:build cuda

package cuda

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

// noGPUExpected: MFPO_CUDA_EXPECT=none, set by make build-cuda, which runs
// the cuda build against the stub driver on a machine without a GPU.
func noGPUExpected() bool { return os.Getenv("MFPO_CUDA_EXPECT") == "none" }

// TestNoDevice: with the stub driver, Open fails with the driver's
// answer to cuInit (the process is still alive: the interposer kept cu's
// init from ending it); on a GPU machine it succeeds.
func TestNoDevice(t *testing.T) {
	b, err := Open(Options{})
	if noGPUExpected() {
		var nd *NoDeviceError
		if !errors.As(err, &nd) || nd.Call != "cuInit" || !strings.HasPrefix(err.Error(), "no CUDA device visible: cuInit: ") {
			t.Fatalf("Open without a GPU: %v, want a NoDeviceError from cuInit", err)
		}
		t.Logf("Open: %v", err)
		return
	}
	if err != nil {
		t.Fatalf("Open: %v (set MFPO_CUDA_EXPECT=none where no GPU is meant to be seen)", err)
	}
	defer b.Close()
	if !strings.HasPrefix(b.Name(), "cuda/") {
		t.Fatalf("Name %q", b.Name())
	}
}

// openGPU opens the backend or fails: the op tests need a GPU.
func openGPU(t *testing.T, o Options) *CUDA {
	t.Helper()
	b, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v (the CUDA tests run on a GPU machine: make test-cuda)", err)
	}
	t.Cleanup(b.Close)
	return b
}

// env is one test's backends: the GPU, and the float64 CPU reference.
type env struct {
	t   *testing.T
	g   *CUDA
	ref cpu.CPU[float64]
	rng *rand.Rand
}

func newEnv(t *testing.T) *env {
	return &env{t: t, g: openGPU(t, Options{}), ref: cpu.New[float64](), rng: rand.New(rand.NewPCG(1, 2))}
}

// pair is one operand: its GPU buffer and its float64 reference copy.
type pair struct {
	d []float32
	r []float64
}

// rand is a pair of n values uniform in [lo, hi), rounded to float32 so
// that both sides start from the same numbers.
func (e *env) rand(n int, lo, hi float64) pair {
	p := pair{e.g.Alloc(n), make([]float64, n)}
	for i := range p.r {
		v := float32(lo + (hi-lo)*e.rng.Float64())
		p.d[i], p.r[i] = v, float64(v)
	}
	return p
}

// check compares the GPU's x with the reference within atol + rtol·|ref|.
func (e *env) check(op string, x pair, atol, rtol float64) {
	e.t.Helper()
	e.g.Sync()
	worst, at := 0.0, -1
	for i, r := range x.r {
		d := float64(x.d[i])
		if math.IsNaN(r) != math.IsNaN(d) {
			e.t.Fatalf("%s: element %d is %v, reference %v", op, i, d, r)
		}
		if math.IsNaN(r) {
			continue
		}
		if err := math.Abs(d-r) / (atol + rtol*math.Abs(r)); err > worst {
			worst, at = err, i
		}
	}
	if worst > 1 {
		e.t.Fatalf("%s: element %d is %v, reference %v: %.2g× the tolerance (atol %g, rtol %g)", op, at, x.d[at], x.r[at], worst, atol, rtol)
	}
}

// The row kernels at the widths the networks have (8 … 1024, including
// widths that are no multiple of the block) and a batch's row counts.
var shapes = []struct{ rows, w int }{{1, 1}, {3, 8}, {17, 33}, {256, 256}, {64, 300}, {5, 1024}, {4096, 64}}

func TestElementwise(t *testing.T) {
	e := newEnv(t)
	for _, s := range shapes {
		name := fmt.Sprintf("%d×%d", s.rows, s.w)
		ld := s.w + 3
		dst, src := e.rand(s.rows*ld, -1, 1), e.rand(s.rows*ld, -1, 1)
		e.g.CopyRows(dst.d, ld, src.d, ld, s.rows, s.w)
		e.ref.CopyRows(dst.r, ld, src.r, ld, s.rows, s.w)
		e.check("CopyRows "+name, dst, 0, 0)
		e.g.CopyRows(dst.d, ld, nil, 0, s.rows, s.w)
		e.ref.CopyRows(dst.r, ld, nil, 0, s.rows, s.w)
		e.check("CopyRows nil "+name, dst, 0, 0)
		dst = e.rand(s.rows*ld, -1, 1)
		e.g.AddRows(dst.d, ld, src.d, ld, s.rows, s.w)
		e.ref.AddRows(dst.r, ld, src.r, ld, s.rows, s.w)
		e.check("AddRows "+name, dst, 1e-7, 1e-7)
		rep := e.rand(s.rows*3*s.w, 0, 1)
		e.g.RepeatRows(rep.d, src.d, s.rows, 3, s.w)
		e.ref.RepeatRows(rep.r, src.r, s.rows, 3, s.w)
		e.check("RepeatRows "+name, rep, 0, 0)
		x := e.rand(s.rows*s.w, -3, 3)
		x.d[0], x.r[0] = float32(math.NaN()), math.NaN()
		e.g.Clamp(x.d, -1, 2)
		e.ref.Clamp(x.r, -1, 2)
		e.check("Clamp "+name, x, 0, 0)
		y := e.rand(s.rows*s.w, -1, 1)
		e.g.Axpy(y.d, 0.375, src.d[:s.rows*s.w])
		e.ref.Axpy(y.r, 0.375, src.r[:s.rows*s.w])
		e.check("Axpy "+name, y, 1e-7, 1e-6)
		e.g.Fill(y.d, 0.25)
		e.ref.Fill(y.r, 0.25)
		e.check("Fill "+name, y, 0, 0)
		db, b := e.rand(s.w, -1, 1), e.rand(s.w, -1, 1)
		e.g.SumRows(db.d, src.d, s.rows)
		e.ref.SumRows(db.r, src.r, s.rows)
		e.check("SumRows "+name, db, 1e-6*float64(s.rows), 1e-6)
		ss := e.rand(s.rows, 0, 1)
		e.g.RowSumSquares(ss.d, src.d, s.rows, s.w, -0.5, -1.5)
		e.ref.RowSumSquares(ss.r, src.r, s.rows, s.w, -0.5, -1.5)
		e.check("RowSumSquares "+name, ss, 1e-6*float64(s.w), 1e-6)
		e.g.SetRows(y.d, b.d, s.rows)
		e.ref.SetRows(y.r, b.r, s.rows)
		e.check("SetRows "+name, y, 0, 0)
	}
	src := e.rand(100, -1, 1)
	dst := e.rand(120, -1, 1)
	e.g.Copy(dst.d, src.d)
	e.ref.Copy(dst.r, src.r)
	e.check("Copy", dst, 0, 0)
}

// TestGemm: every transposition, strided operands, α, β and k = 0, against
// float64; the bound is float32's for a k-term dot product.
func TestGemm(t *testing.T) {
	e := newEnv(t)
	for _, tf32 := range []bool{false, true} {
		g := openGPU(t, Options{TF32: tf32})
		e.g = g
		tol := 1e-6
		if tf32 {
			tol = 2e-3 // 10-bit mantissa inputs
		}
		for _, s := range []struct{ m, n, k int }{{1, 1, 1}, {4096, 256, 256}, {256, 512, 17}, {33, 7, 300}, {5, 9, 0}} {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				lda, ldb, ldc := s.k+2, s.n+1, s.n+5
				if tr[0] {
					lda = s.m + 2
				}
				if tr[1] {
					ldb = s.k + 1
				}
				a, b, c := e.rand(max(s.m, s.k)*lda+1, -1, 1), e.rand(max(s.k, s.n)*ldb+1, -1, 1), e.rand(s.m*ldc, -1, 1)
				g.Gemm(tr[0], tr[1], s.m, s.n, s.k, 0.5, a.d, lda, b.d, ldb, -0.25, c.d, ldc)
				e.ref.Gemm(tr[0], tr[1], s.m, s.n, s.k, 0.5, a.r, lda, b.r, ldb, -0.25, c.r, ldc)
				e.check(fmt.Sprintf("Gemm tf32=%v %v %+v", tf32, tr, s), c, tol*float64(s.k+1), 0)
			}
		}
	}
}

func TestLNGELU(t *testing.T) {
	e := newEnv(t)
	for _, s := range shapes {
		name := fmt.Sprintf("%d×%d", s.rows, s.w)
		n, p := s.rows*s.w, 3
		for _, ln := range []bool{true, false} {
			x := e.rand(n, -2, 2)
			var bias, gamma, beta pair
			if ln {
				bias, gamma, beta = e.rand(s.w, -0.5, 0.5), e.rand(s.w, 0.5, 1.5), e.rand(s.w, -0.5, 0.5)
			}
			h, gp, xhat, rstd := e.rand(n, 0, 1), e.rand(n, 0, 1), e.rand(n, 0, 1), e.rand(s.rows, 0, 1)
			e.g.LNGELU(h.d, gp.d, xhat.d, rstd.d, x.d, bias.d, gamma.d, beta.d, s.rows, s.w)
			e.ref.LNGELU(h.r, gp.r, xhat.r, rstd.r, x.r, bias.r, gamma.r, beta.r, s.rows, s.w)
			what := fmt.Sprintf(" ln=%v %s", ln, name)
			e.check("LNGELU h"+what, h, 2e-5, 2e-5)
			e.check("LNGELU gp"+what, gp, 2e-5, 2e-5)
			if ln && s.w > 1 {
				e.check("LNGELU xhat"+what, xhat, 2e-5, 2e-5)
				e.check("LNGELU rstd"+what, rstd, 0, 2e-5)
			}
			// The JVP and the backward pass from the reference's recorded
			// forward (copied to the GPU), so that only they are compared.
			for _, q := range []pair{xhat, gp, rstd} {
				for i, v := range q.r {
					q.d[i] = float32(v)
				}
			}
			dx := e.rand(n*p, -1, 1)
			dy := e.rand(n*p, 0, 1)
			e.g.LNGELUJVP(dy.d, dx.d, xhat.d, rstd.d, gp.d, gamma.d, s.rows, p, s.w)
			e.ref.LNGELUJVP(dy.r, dx.r, xhat.r, rstd.r, gp.r, gamma.r, s.rows, p, s.w)
			e.check("LNGELUJVP"+what, dy, 2e-5, 2e-5)
			e.g.LNGELUJVP(dx.d, dx.d, xhat.d, rstd.d, gp.d, gamma.d, s.rows, p, s.w) // in place
			e.ref.LNGELUJVP(dx.r, dx.r, xhat.r, rstd.r, gp.r, gamma.r, s.rows, p, s.w)
			e.check("LNGELUJVP in place"+what, dx, 2e-5, 2e-5)
			dh := e.rand(n, -1, 1)
			dxb := e.rand(n, 0, 1)
			var dg, dbt pair
			if ln {
				dg, dbt = e.rand(s.w, -1, 1), e.rand(s.w, -1, 1)
			}
			e.g.LNGELUBackward(dxb.d, dg.d, dbt.d, dh.d, xhat.d, rstd.d, gp.d, gamma.d, s.rows, s.w)
			e.ref.LNGELUBackward(dxb.r, dg.r, dbt.r, dh.r, xhat.r, rstd.r, gp.r, gamma.r, s.rows, s.w)
			e.check("LNGELUBackward dx"+what, dxb, 2e-5, 2e-5)
			if ln {
				e.check("LNGELUBackward dgamma"+what, dg, 1e-6*float64(s.rows), 2e-5)
				e.check("LNGELUBackward dbeta"+what, dbt, 1e-6*float64(s.rows), 2e-5)
			}
			e.g.LNGELUBackward(dh.d, dg.d, dbt.d, dh.d, xhat.d, rstd.d, gp.d, gamma.d, s.rows, s.w) // in place
			e.ref.LNGELUBackward(dh.r, dg.r, dbt.r, dh.r, xhat.r, rstd.r, gp.r, gamma.r, s.rows, s.w)
			e.check("LNGELUBackward in place"+what, dh, 2e-5, 2e-5)
		}
	}
}

func TestFourier(t *testing.T) {
	e := newEnv(t)
	for _, s := range []struct{ rows, f int }{{1, 1}, {4096, 16}, {100, 64}, {7, 33}} {
		name := fmt.Sprintf("%d×%d", s.rows, s.f)
		tt, freq := e.rand(s.rows, 0, 1), e.rand(s.f, 0, 30)
		out := e.rand(s.rows*2*s.f, 0, 1)
		e.g.Fourier(out.d, tt.d, freq.d, s.rows)
		e.ref.Fourier(out.r, tt.r, freq.r, s.rows)
		e.check("Fourier "+name, out, 1e-6, 0)
		for i, v := range out.r {
			out.d[i] = float32(v)
		}
		p := 2
		dt, dout := e.rand(s.rows*p, -1, 1), e.rand(s.rows*p*2*s.f, 0, 1)
		e.g.FourierJVP(dout.d, dt.d, out.d, freq.d, s.rows, p)
		e.ref.FourierJVP(dout.r, dt.r, out.r, freq.r, s.rows, p)
		e.check("FourierJVP "+name, dout, 1e-5, 1e-5)
		g := e.rand(s.rows*2*s.f, -1, 1)
		dfreq, dtb := e.rand(s.f, -1, 1), e.rand(s.rows, 0, 1)
		e.g.FourierBackward(dtb.d, dfreq.d, g.d, tt.d, out.d, freq.d, s.rows)
		e.ref.FourierBackward(dtb.r, dfreq.r, g.r, tt.r, out.r, freq.r, s.rows)
		e.check("FourierBackward dt "+name, dtb, 1e-5*float64(s.f), 1e-5)
		e.check("FourierBackward dfreq "+name, dfreq, 1e-5*float64(s.rows), 1e-5)
	}
}

func TestOptim(t *testing.T) {
	e := newEnv(t)
	for _, n := range []int{1, 1000, 200001} {
		params, grad, m, v := e.rand(n, -1, 1), e.rand(n, -1, 1), e.rand(n, -0.1, 0.1), e.rand(n, 0, 0.01)
		for range 3 {
			e.g.Adam(params.d, grad.d, m.d, v.d, 3e-4, 1e-8, 0.9, 0.999)
			e.ref.Adam(params.r, grad.r, m.r, v.r, 3e-4, 1e-8, 0.9, 0.999)
		}
		e.check("Adam params", params, 1e-6, 1e-6)
		e.check("Adam m", m, 1e-7, 1e-6)
		e.check("Adam v", v, 1e-9, 1e-6)
		target := e.rand(n, -1, 1)
		e.g.Polyak(target.d, params.d, 0.005)
		e.ref.Polyak(target.r, params.r, 0.005)
		e.check("Polyak", target, 1e-7, 1e-6)
		e.g.Sync()
		if i := e.g.FirstNonFinite(params.d); i != -1 {
			t.Fatalf("FirstNonFinite of finite values: %d", i)
		}
		if n > 10 {
			params.d[n-3], params.d[n/2] = float32(math.Inf(-1)), float32(math.NaN())
			if i := e.g.FirstNonFinite(params.d); i != n/2 {
				t.Fatalf("FirstNonFinite: %d, want %d", i, n/2)
			}
		}
	}
}

// TestNormal: the kernel's draws are NormalAt's, the same for any length
// of fill, and change with the seed and the counter.
func TestNormal(t *testing.T) {
	e := newEnv(t)
	a, b := e.g.Alloc(100003), e.g.Alloc(37)
	e.g.Normal(a, 42, 9)
	e.g.Normal(b, 42, 9)
	e.g.Sync()
	for i, v := range a {
		if want := NormalAt(42, 9, uint64(i)); math.Abs(float64(v)-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("draw %d: %v, reference %v", i, v, want)
		}
		if i < len(b) && b[i] != v {
			t.Fatalf("draw %d differs between fills of %d and %d: %v, %v", i, len(a), len(b), v, b[i])
		}
	}
	e.g.Normal(b, 42, 10)
	e.g.Sync()
	if b[0] == a[0] && b[1] == a[1] {
		t.Fatal("the counter does not change the draws")
	}
}

// TestTruncNormal: the kernel's draws are TruncNormalAt's (CUDA's
// normcdfinv against the reference's Newton-polished inverse, both in
// double), in the body, the tails and the Rayleigh regime beyond −37.
func TestTruncNormal(t *testing.T) {
	e := newEnv(t)
	bounds := [][2]float32{{-1, 1}, {-0.5, 3}, {2.5, 3.5}, {-6, -5}, {8, 9}, {-3, float32(math.Inf(1))},
		{float32(math.Inf(-1)), -4}, {40, 40.5}, {-41, -40}}
	const per = 4096
	n := per * len(bounds)
	x, lo, hi := e.g.Alloc(n), e.g.Alloc(n), e.g.Alloc(n)
	for i := range n {
		lo[i], hi[i] = bounds[i/per][0], bounds[i/per][1]
	}
	e.g.TruncNormal(x, lo, hi, 11, 4)
	e.g.Sync()
	for i, v := range x {
		want := TruncNormalAt(11, 4, uint64(i), float64(lo[i]), float64(hi[i]))
		if !(v >= lo[i] && v <= hi[i]) || math.Abs(float64(v)-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("draw %d on [%v, %v]: %v, reference %v", i, lo[i], hi[i], v, want)
		}
	}
}

// TestHostMemoryRefused: a Go slice is no device address; the backend
// says so instead of faulting on the device.
func TestHostMemoryRefused(t *testing.T) {
	g := openGPU(t, Options{})
	defer func() {
		if r := fmt.Sprint(recover()); !strings.Contains(r, "not memory of this backend") {
			t.Fatalf("panic %q, want the operand named as not backend memory", r)
		}
	}()
	g.Axpy(g.Alloc(4), 1, make([]float32, 4))
}

// TestConcurrentOps: operations from several goroutines on disjoint
// buffers give what they give one at a time.
func TestConcurrentOps(t *testing.T) {
	e := newEnv(t)
	const k, n = 8, 10000
	ys := make([]pair, k)
	x := e.rand(n, -1, 1)
	for i := range ys {
		ys[i] = e.rand(n, -1, 1)
	}
	var wg sync.WaitGroup
	for i := range ys {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for range 10 {
				e.g.Axpy(ys[i].d, float32(i), x.d)
			}
		}(i)
	}
	wg.Wait()
	for i := range ys {
		for range 10 {
			e.ref.Axpy(ys[i].r, float64(i), x.r)
		}
		e.check(fmt.Sprintf("Axpy from goroutine %d", i), ys[i], 1e-5, 1e-5)
	}
}
