//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"sync"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gorgonia.org/cu"
	cublas "gorgonia.org/cu/blas"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
	mfpoblas "github.com/mfpo/mfpo/gocore/blas"
)

// Built reports whether this build has the CUDA backend.
const Built = true

// CUDA is the CUDA backend on one GPU: its primary context, one stream,
// a cuBLAS handle on that stream and the kernels of kernels/. Operations
// from several goroutines are issued one at a time (a mutex) on the
// stream, with the context made current on the calling thread.
type CUDA struct {
	opts   Options
	name   string
	gpu    cu.Device
	ctx    cu.CUContext
	stream cu.Stream
	blas   *cublas.Standard
	mods   []cu.Module
	k      kernels

	mu     sync.Mutex
	allocs []span       // every Alloc, sorted by base address
	flag   cu.DevicePtr // FirstNonFinite's answer, one uint64
	// scratch is managed float64 memory for per-row results that go to
	// the host (losses, ESS), grown on demand; nScratch float64s.
	scratch  cu.DevicePtr
	nScratch int
	closed   bool
}

// span is one allocation: n float32s from base.
type span struct {
	base uintptr
	n    int
	ptr  cu.DevicePtr
}

var _ backend.Backend[float32] = (*CUDA)(nil)

// OpenBackend is Open as a backend.Backend.
func OpenBackend(o Options) (backend.Backend[float32], error) {
	b, err := Open(o)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Open returns a backend on GPU o.Device: a *NoDeviceError when the driver
// sees no usable GPU, another error when the device cannot run the
// kernels.
func Open(o Options) (*CUDA, error) {
	if err := initAnswer(); err != nil {
		return nil, &NoDeviceError{Call: "cuInit", Err: err}
	}
	n, err := cu.NumDevices()
	if err != nil {
		return nil, &NoDeviceError{Call: "cuDeviceGetCount", Err: err}
	}
	if n == 0 {
		return nil, &NoDeviceError{Call: "cuDeviceGetCount", Err: fmt.Errorf("0 devices")}
	}
	if o.Device < 0 || o.Device >= n {
		return nil, &NoDeviceError{Call: "cuDeviceGet", Err: fmt.Errorf("device %d asked for, %d visible", o.Device, n)}
	}
	if os.Getenv("MFPO_CUDA_SYNC") == "1" {
		o.SyncEachOp = true
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b := &CUDA{opts: o}
	if b.gpu, err = cu.GetDevice(o.Device); err != nil {
		return nil, &NoDeviceError{Call: "cuDeviceGet", Err: err}
	}
	if managed, err := b.gpu.Attribute(cu.ManagedMemory); err != nil || managed == 0 {
		return nil, fmt.Errorf("backend/cuda: GPU %d cannot allocate managed memory (%v), which this backend's buffers are", o.Device, err)
	}
	if conc, err := b.gpu.Attribute(cu.ConcurrentManagedAccess); err != nil || conc == 0 {
		b.opts.SyncEachOp = true // the host may not touch managed memory while a kernel runs
	}
	name, _ := b.gpu.Name()
	major, minor, _ := b.gpu.ComputeCapability()
	b.name = fmt.Sprintf("cuda/%s (sm_%d%d)", name, major, minor)
	if major < 8 {
		return nil, fmt.Errorf("backend/cuda: %s: the kernels are compute_80 PTX, which needs compute capability 8.0 or higher", b.name)
	}
	if b.ctx, err = b.gpu.RetainPrimaryCtx(); err != nil {
		return nil, fmt.Errorf("backend/cuda: cuDevicePrimaryCtxRetain: %v", err)
	}
	fail := func(what string, err error) (*CUDA, error) {
		b.close()
		return nil, fmt.Errorf("backend/cuda: %s: %v", what, err)
	}
	if err := cu.SetCurrentContext(b.ctx); err != nil {
		return fail("cuCtxSetCurrent", err)
	}
	// A blocking stream: ordered with the legacy default stream too.
	if b.stream, err = cu.MakeStream(cu.DefaultStream); err != nil {
		return fail("cuStreamCreate", err)
	}
	if b.mods, err = b.k.load(); err != nil {
		return fail("loading the kernels", err)
	}
	b.blas = &cublas.Standard{}
	if err := b.blas.Init(); err != nil {
		b.blas = nil
		return fail("cublasCreate", err)
	}
	if err := blasSetup(b.blas, b.stream, o.TF32); err != nil {
		return fail("cuBLAS", err)
	}
	if b.flag, err = cu.MemAllocManaged(8, cu.AttachGlobal); err != nil {
		return fail("cuMemAllocManaged", err)
	}
	return b, nil
}

// Close frees every buffer and the stream, cuBLAS handle and modules, and
// releases the primary context. The backend and its buffers are unusable
// afterwards.
func (b *CUDA) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_ = cu.SetCurrentContext(b.ctx)
	b.close()
}

func (b *CUDA) close() {
	if b.closed {
		return
	}
	b.closed = true
	_ = b.stream.Synchronize()
	for _, s := range b.allocs {
		_ = cu.MemFree(s.ptr)
	}
	b.allocs = nil
	if b.flag != 0 {
		_ = cu.MemFree(b.flag)
	}
	if b.scratch != 0 {
		_ = cu.MemFree(b.scratch)
	}
	if b.blas != nil {
		_ = b.blas.Close()
	}
	for _, m := range b.mods {
		_ = m.Unload()
	}
	_ = b.stream.Destroy()
	_ = b.gpu.ReleasePrimaryCtx()
}

// Name is "cuda/" and the GPU's name and architecture.
func (b *CUDA) Name() string { return b.name }

// enter makes the context current on a locked OS thread and holds the
// backend's lock; leave undoes it.
func (b *CUDA) enter() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		panic("backend/cuda: the backend was closed")
	}
	runtime.LockOSThread()
	if err := cu.SetCurrentContext(b.ctx); err != nil {
		runtime.UnlockOSThread()
		b.mu.Unlock()
		panic("backend/cuda: cuCtxSetCurrent: " + err.Error())
	}
}

func (b *CUDA) leave() {
	if b.opts.SyncEachOp {
		if err := b.stream.Synchronize(); err != nil {
			runtime.UnlockOSThread()
			b.mu.Unlock()
			panic("backend/cuda: cuStreamSynchronize: " + err.Error())
		}
	}
	runtime.UnlockOSThread()
	b.mu.Unlock()
}

// Alloc returns n zeroed float32s of managed memory (a device address
// range that the host may also read and write after Sync).
func (b *CUDA) Alloc(n int) []float32 {
	if n < 0 {
		panic(fmt.Sprintf("backend/cuda: Alloc(%d)", n))
	}
	if n == 0 {
		return []float32{}
	}
	b.enter()
	defer b.leave()
	p, err := cu.MemAllocManaged(int64(n)*4, cu.AttachGlobal)
	if err != nil {
		panic(fmt.Sprintf("backend/cuda: cuMemAllocManaged(%d bytes): %v", n*4, err))
	}
	if err := cu.MemsetD32(p, 0, int64(n)); err != nil { // synchronous: the host may write at once
		panic("backend/cuda: cuMemsetD32: " + err.Error())
	}
	base := uintptr(p)
	x := unsafe.Slice((*float32)(*(*unsafe.Pointer)(unsafe.Pointer(&base))), n)
	i := sort.Search(len(b.allocs), func(i int) bool { return b.allocs[i].base > base })
	b.allocs = append(b.allocs, span{})
	copy(b.allocs[i+1:], b.allocs[i:])
	b.allocs[i] = span{base: base, n: n, ptr: p}
	return x
}

// Sync waits for every operation issued so far; a failure of one of them
// (a kernel fault) panics here.
func (b *CUDA) Sync() {
	b.enter()
	err := b.stream.Synchronize()
	runtime.UnlockOSThread()
	b.mu.Unlock()
	if err != nil {
		panic("backend/cuda: cuStreamSynchronize: " + err.Error())
	}
}

// addr is the device address of x[0], checking that need elements from
// there lie in one allocation of this backend (a slice of Go memory would
// be an illegal address on the device). A nil x with need 0 is 0 (an
// absent optional operand).
func (b *CUDA) addr(op, what string, x []float32, need int) uint64 {
	if need <= 0 {
		if len(x) == 0 {
			return 0
		}
		need = 0
	}
	if len(x) < need {
		panic(fmt.Sprintf("backend/cuda: %s: %s has %d elements, want %d", op, what, len(x), need))
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(x)))
	i := sort.Search(len(b.allocs), func(i int) bool { return b.allocs[i].base > p }) - 1
	if i < 0 || p+uintptr(need)*4 > b.allocs[i].base+uintptr(b.allocs[i].n)*4 {
		panic(fmt.Sprintf("backend/cuda: %s: %s is not memory of this backend (allocate it with Alloc)", op, what))
	}
	return uint64(p)
}

// rowsNeed is the elements rows rows of w at stride ld span.
func rowsNeed(op string, rows, ld, w int) int {
	if rows < 0 || w < 0 || ld < w {
		panic(fmt.Sprintf("backend/cuda: %s: %d rows of %d at stride %d", op, rows, w, ld))
	}
	if rows == 0 || w == 0 {
		return 0
	}
	return (rows-1)*ld + w
}

func i64(n int) uint64     { return uint64(int64(n)) }
func f32(v float32) uint64 { return uint64(math.Float32bits(v)) }

// launch runs kernel f on grid×block threads with the 8-byte parameters
// args (device addresses, i64, f32); the caller holds enter.
func (b *CUDA) launch(op string, f cu.Function, grid, block [2]int, args ...uint64) {
	var vals [16]uint64
	ptrs := make([]unsafe.Pointer, len(args))
	for i, a := range args {
		vals[i] = a
		ptrs[i] = unsafe.Pointer(&vals[i])
	}
	if err := f.Launch(grid[0], grid[1], 1, block[0], block[1], 1, 0, b.stream, ptrs); err != nil {
		panic(fmt.Sprintf("backend/cuda: %s: cuLaunchKernel: %v", op, err))
	}
}

// flat is the launch shape of a grid-stride kernel over n elements.
func flat(n int) (grid, block [2]int) {
	g := min((n+255)/256, 4096)
	return [2]int{max(g, 1), 1}, [2]int{256, 1}
}

// perRow is the launch shape of a one-block-per-row kernel: the smallest
// power of two ≥ w threads, 32 … 256.
func perRow(rows, w int) (grid, block [2]int) {
	t := 32
	for t < w && t < 256 {
		t *= 2
	}
	return [2]int{min(max(rows, 1), 65535), 1}, [2]int{t, 1}
}

// columns is the launch shape of the column-sum kernels: 32 columns ×
// 16 row groups a block.
func columns(w int) (grid, block [2]int) {
	return [2]int{(w + 31) / 32, 1}, [2]int{32, 16}
}

// Gemm is cuBLAS SGEMM. cuBLAS is column-major and a row-major m×n C is
// a column-major n×m Cᵀ, so C = op(A)·op(B) is issued as
// Cᵀ = op(B)ᵀ·op(A)ᵀ: the operands swapped, the transpositions kept.
func (b *CUDA) Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, bm []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	ar, ac, br, bc := mfpoblas.OperandShapes(transA, transB, m, n, k)
	b.enter()
	defer b.leave()
	b.addr("Gemm", "C", c, rowsNeed("Gemm", m, ldc, n))
	if k > 0 {
		b.addr("Gemm", "A", a, rowsNeed("Gemm", ar, lda, ac))
		b.addr("Gemm", "B", bm, rowsNeed("Gemm", br, ldb, bc))
	} else {
		a, bm = c, c // cuBLAS reads neither; cu/blas takes &x[0]
	}
	t := func(tr bool) blas.Transpose {
		if tr {
			return blas.Trans
		}
		return blas.NoTrans
	}
	b.blas.Sgemm(t(transB), t(transA), n, m, k, alpha, bm, ldb, a, lda, beta, c, ldc)
	if err := b.blas.Err(); err != nil {
		panic("backend/cuda: Gemm: cublasSgemm: " + err.Error())
	}
}

// Copy sets dst = src.
func (b *CUDA) Copy(dst, src []float32) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("backend/cuda: Copy: dst has %d elements, src %d", len(dst), len(src)))
	}
	b.CopyRows(dst, len(src), src, len(src), 1, len(src))
}

// CopyRows copies a block of columns; a nil src writes zeros.
func (b *CUDA) CopyRows(dst []float32, ldd int, src []float32, lds int, rows, w int) {
	if rows*w == 0 {
		return
	}
	b.enter()
	defer b.leave()
	d := b.addr("CopyRows", "dst", dst, rowsNeed("CopyRows", rows, ldd, w))
	var s uint64
	if src != nil {
		s = b.addr("CopyRows", "src", src, rowsNeed("CopyRows", rows, lds, w))
	}
	g, t := flat(rows * w)
	b.launch("CopyRows", b.k.copyRows, g, t, d, i64(ldd), s, i64(lds), i64(rows), i64(w))
}

// AddRows adds a block of columns.
func (b *CUDA) AddRows(dst []float32, ldd int, src []float32, lds int, rows, w int) {
	if rows*w == 0 {
		return
	}
	b.enter()
	defer b.leave()
	d := b.addr("AddRows", "dst", dst, rowsNeed("AddRows", rows, ldd, w))
	s := b.addr("AddRows", "src", src, rowsNeed("AddRows", rows, lds, w))
	g, t := flat(rows * w)
	b.launch("AddRows", b.k.addRows, g, t, d, i64(ldd), s, i64(lds), i64(rows), i64(w))
}

// RepeatRows repeats each row rep times.
func (b *CUDA) RepeatRows(dst, src []float32, rows, rep, w int) {
	if rows*rep*w == 0 {
		return
	}
	b.enter()
	defer b.leave()
	d := b.addr("RepeatRows", "dst", dst, rows*rep*w)
	s := b.addr("RepeatRows", "src", src, rows*w)
	g, t := flat(rows * rep * w)
	b.launch("RepeatRows", b.k.repeatRows, g, t, d, s, i64(rows), i64(rep), i64(w))
}

// Fill sets x to v.
func (b *CUDA) Fill(x []float32, v float32) {
	if len(x) == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, t := flat(len(x))
	b.launch("Fill", b.k.fill, g, t, b.addr("Fill", "x", x, len(x)), f32(v), i64(len(x)))
}

// Axpy sets y += α·x.
func (b *CUDA) Axpy(y []float32, alpha float32, x []float32) {
	if len(x) == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, t := flat(len(x))
	b.launch("Axpy", b.k.axpy, g, t, b.addr("Axpy", "y", y, len(x)), f32(alpha), b.addr("Axpy", "x", x, len(x)), i64(len(x)))
}

// Clamp limits x to [lo, hi] (NaN stays NaN).
func (b *CUDA) Clamp(x []float32, lo, hi float32) {
	if len(x) == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, t := flat(len(x))
	b.launch("Clamp", b.k.clamp, g, t, b.addr("Clamp", "x", x, len(x)), f32(lo), f32(hi), i64(len(x)))
}

// RowSumSquares sets dst[i] = c + α·Σ_k x[i,k]² (backend.Backend).
func (b *CUDA) RowSumSquares(dst, x []float32, rows, w int, alpha, c float32) {
	if rows == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, t := flat(rows)
	b.launch("RowSumSquares", b.k.rowSumSquares, g, t, b.addr("RowSumSquares", "dst", dst, rows),
		b.addr("RowSumSquares", "x", x, rowsNeed("RowSumSquares", rows, w, w)), i64(rows), i64(w), f32(alpha), f32(c))
}

// SumRows accumulates the column sums of dy into db.
func (b *CUDA) SumRows(db, dy []float32, rows int) {
	w := len(db)
	if rows*w == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, t := columns(w)
	b.launch("SumRows", b.k.sumRows, g, t, b.addr("SumRows", "db", db, w), b.addr("SumRows", "dy", dy, rows*w), i64(rows), i64(w))
}

// SetRows sets every row of y to b.
func (b *CUDA) SetRows(y, bias []float32, rows int) {
	w := len(bias)
	if rows*w == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, t := flat(rows * w)
	b.launch("SetRows", b.k.setRows, g, t, b.addr("SetRows", "y", y, rows*w), b.addr("SetRows", "b", bias, w), i64(rows), i64(w))
}

// LNGELU is the fused hidden-layer kernel (backend.Backend).
func (b *CUDA) LNGELU(h, gp, xhat, rstd, x, bias, gamma, beta []float32, rows, w int) {
	if rows*w == 0 {
		return
	}
	if gamma == nil && bias != nil {
		panic("backend/cuda: LNGELU: a bias without LayerNorm")
	}
	b.enter()
	defer b.leave()
	n := rows * w
	hp, gpp, xp := b.addr("LNGELU", "h", h, n), b.addr("LNGELU", "gp", gp, n), b.addr("LNGELU", "x", x, n)
	if gamma == nil {
		g, t := flat(n)
		b.launch("LNGELU", b.k.geluFwd, g, t, hp, gpp, xp, i64(n))
		return
	}
	var bp uint64
	if bias != nil {
		bp = b.addr("LNGELU", "bias", bias, w)
	}
	g, t := perRow(rows, w)
	b.launch("LNGELU", b.k.lnGELUFwd, g, t, hp, gpp, b.addr("LNGELU", "xhat", xhat, n), b.addr("LNGELU", "rstd", rstd, rows),
		xp, bp, b.addr("LNGELU", "gamma", gamma, w), b.addr("LNGELU", "beta", beta, w), i64(rows), i64(w))
}

// LNGELUJVP is the tangent of LNGELU (backend.Backend).
func (b *CUDA) LNGELUJVP(dy, dx, xhat, rstd, gp, gamma []float32, rows, p, w int) {
	if rows*p*w == 0 {
		return
	}
	b.enter()
	defer b.leave()
	n := rows * p * w
	dyp, dxp, gpp := b.addr("LNGELUJVP", "dy", dy, n), b.addr("LNGELUJVP", "dx", dx, n), b.addr("LNGELUJVP", "gp", gp, rows*w)
	if gamma == nil {
		g, t := flat(n)
		b.launch("LNGELUJVP", b.k.mulRows, g, t, dyp, dxp, gpp, i64(rows), i64(p), i64(w))
		return
	}
	g, t := perRow(rows*p, w)
	b.launch("LNGELUJVP", b.k.lnGELUJVP, g, t, dyp, dxp, b.addr("LNGELUJVP", "xhat", xhat, rows*w),
		b.addr("LNGELUJVP", "rstd", rstd, rows), gpp, b.addr("LNGELUJVP", "gamma", gamma, w), i64(rows), i64(p), i64(w))
}

// LNGELUBackward is the gradient of LNGELU (backend.Backend): the
// parameter gradients' column sums first (they read dh, which dx may
// overwrite), then dx row by row.
func (b *CUDA) LNGELUBackward(dx, dgamma, dbeta, dh, xhat, rstd, gp, gamma []float32, rows, w int) {
	if rows*w == 0 {
		return
	}
	b.enter()
	defer b.leave()
	n := rows * w
	dxp, dhp, gpp := b.addr("LNGELUBackward", "dx", dx, n), b.addr("LNGELUBackward", "dh", dh, n), b.addr("LNGELUBackward", "gp", gp, n)
	if gamma == nil {
		g, t := flat(n)
		b.launch("LNGELUBackward", b.k.mulRows, g, t, dxp, dhp, gpp, i64(rows), 1, i64(w))
		return
	}
	xh, rs, ga := b.addr("LNGELUBackward", "xhat", xhat, n), b.addr("LNGELUBackward", "rstd", rstd, rows), b.addr("LNGELUBackward", "gamma", gamma, w)
	g, t := columns(w)
	b.launch("LNGELUBackward", b.k.lnGELUBwdParams, g, t, b.addr("LNGELUBackward", "dgamma", dgamma, w),
		b.addr("LNGELUBackward", "dbeta", dbeta, w), dhp, xh, gpp, i64(rows), i64(w))
	g, t = perRow(rows, w)
	b.launch("LNGELUBackward", b.k.lnGELUBwd, g, t, dxp, dhp, xh, rs, gpp, ga, i64(rows), i64(w))
}

// Fourier sets out = [cos 2πtW, sin 2πtW] (backend.Backend).
func (b *CUDA) Fourier(out, t, freq []float32, rows int) {
	f := len(freq)
	if rows*f == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, th := flat(rows * f)
	b.launch("Fourier", b.k.fourierFwd, g, th, b.addr("Fourier", "out", out, rows*2*f), b.addr("Fourier", "t", t, rows),
		b.addr("Fourier", "freq", freq, f), i64(rows), i64(f))
}

// FourierJVP is the tangent of Fourier (backend.Backend).
func (b *CUDA) FourierJVP(dout, dt, out, freq []float32, rows, p int) {
	f := len(freq)
	if rows*p*f == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, th := flat(rows * p * f)
	b.launch("FourierJVP", b.k.fourierJVP, g, th, b.addr("FourierJVP", "dout", dout, rows*p*2*f),
		b.addr("FourierJVP", "dt", dt, rows*p), b.addr("FourierJVP", "out", out, rows*2*f), b.addr("FourierJVP", "freq", freq, f),
		i64(rows), i64(p), i64(f))
}

// FourierBackward is the gradient of Fourier (backend.Backend).
func (b *CUDA) FourierBackward(dt, dfreq, dout, t, out, freq []float32, rows int) {
	f := len(freq)
	if rows*f == 0 {
		return
	}
	b.enter()
	defer b.leave()
	dop, op := b.addr("FourierBackward", "dout", dout, rows*2*f), b.addr("FourierBackward", "out", out, rows*2*f)
	g, th := columns(f)
	b.launch("FourierBackward", b.k.fourierBwdFreq, g, th, b.addr("FourierBackward", "dfreq", dfreq, f), dop,
		b.addr("FourierBackward", "t", t, rows), op, i64(rows), i64(f))
	if dt != nil {
		g, th = flat(rows)
		b.launch("FourierBackward", b.k.fourierBwdT, g, th, b.addr("FourierBackward", "dt", dt, rows), dop, op,
			b.addr("FourierBackward", "freq", freq, f), i64(rows), i64(f))
	}
}

// Adam applies one Adam step (backend.Backend).
func (b *CUDA) Adam(params, grad, m, v []float32, step, epsHat, beta1, beta2 float32) {
	n := len(m)
	if len(params) != n || len(grad) != n || len(v) != n {
		panic(fmt.Sprintf("backend/cuda: Adam: %d params, %d gradients, moments %d and %d", len(params), len(grad), n, len(v)))
	}
	if n == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, t := flat(n)
	b.launch("Adam", b.k.adam, g, t, b.addr("Adam", "params", params, n), b.addr("Adam", "grad", grad, n), b.addr("Adam", "m", m, n),
		b.addr("Adam", "v", v, n), f32(step), f32(epsHat), f32(beta1), f32(beta2), i64(n))
}

// Polyak sets target ← τ·online + (1−τ)·target.
func (b *CUDA) Polyak(target, online []float32, tau float32) {
	if len(target) != len(online) {
		panic(fmt.Sprintf("backend/cuda: Polyak: target has %d parameters, online %d", len(target), len(online)))
	}
	if len(target) == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, t := flat(len(target))
	b.launch("Polyak", b.k.polyak, g, t, b.addr("Polyak", "target", target, len(target)), b.addr("Polyak", "online", online, len(online)),
		f32(tau), i64(len(target)))
}

// FirstNonFinite is the index of the first NaN or infinity of x, or −1;
// it waits for the stream.
func (b *CUDA) FirstNonFinite(x []float32) int {
	if len(x) == 0 {
		return -1
	}
	b.enter()
	xp := b.addr("FirstNonFinite", "x", x, len(x))
	g, t := flat(len(x))
	b.launch("FirstNonFinite", b.k.firstNonFiniteInit, [2]int{1, 1}, [2]int{1, 1}, uint64(b.flag), i64(len(x)))
	b.launch("FirstNonFinite", b.k.firstNonFinite, g, t, uint64(b.flag), xp, i64(len(x)))
	err := b.stream.Synchronize()
	flag := uintptr(b.flag)
	i := *(*uint64)(*(*unsafe.Pointer)(unsafe.Pointer(&flag)))
	runtime.UnlockOSThread()
	b.mu.Unlock()
	if err != nil {
		panic("backend/cuda: FirstNonFinite: cuStreamSynchronize: " + err.Error())
	}
	if i >= uint64(len(x)) {
		return -1
	}
	return int(i)
}

// Normal sets x[e] to draw e of the N(0, 1) stream (seed, counter) of
// Philox-4x32-10 (NormalAt is its reference): the same seed and counter
// give the same numbers on every GPU and launch shape.
func (b *CUDA) Normal(x []float32, seed, counter uint64) {
	if len(x) == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, t := flat((len(x) + 3) / 4)
	b.launch("Normal", b.k.normalFill, g, t, b.addr("Normal", "x", x, len(x)), i64(len(x)), seed, counter)
}

// TruncNormal sets x[e] to draw e of the stream (seed, counter) of
// N(0, 1) conditioned on [lo[e], hi[e]] (standardised bounds, lo < hi,
// either may be infinite; TruncNormalAt is its reference): the
// truncated-normal posterior's draws, to be scaled and shifted by the
// caller. A stream's counter must differ from Normal's streams'.
func (b *CUDA) TruncNormal(x, lo, hi []float32, seed, counter uint64) {
	n := len(x)
	if n == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, t := flat(n)
	b.launch("TruncNormal", b.k.truncNormal, g, t, b.addr("TruncNormal", "x", x, n), b.addr("TruncNormal", "lo", lo, n),
		b.addr("TruncNormal", "hi", hi, n), i64(n), seed, counter)
}

// scratch64 returns n float64s of the backend's managed scratch, as a
// device address and a host view (read after the stream is synced); the
// caller holds enter.
func (b *CUDA) scratch64(n int) (uint64, []float64) {
	if n > b.nScratch {
		if b.scratch != 0 {
			if err := b.stream.Synchronize(); err != nil {
				panic("backend/cuda: cuStreamSynchronize: " + err.Error())
			}
			_ = cu.MemFree(b.scratch)
			b.scratch, b.nScratch = 0, 0
		}
		p, err := cu.MemAllocManaged(int64(n)*8, cu.AttachGlobal)
		if err != nil {
			panic(fmt.Sprintf("backend/cuda: cuMemAllocManaged(%d bytes): %v", n*8, err))
		}
		b.scratch, b.nScratch = p, n
	}
	base := uintptr(b.scratch)
	return uint64(base), unsafe.Slice((*float64)(*(*unsafe.Pointer)(unsafe.Pointer(&base))), n)
}

// syncedLeave waits for the stream and leaves; a failure panics after
// the lock is released.
func (b *CUDA) syncedLeave(op string) {
	err := b.stream.Synchronize()
	runtime.UnlockOSThread()
	b.mu.Unlock()
	if err != nil {
		panic("backend/cuda: " + op + ": cuStreamSynchronize: " + err.Error())
	}
}

// AdamTo is Adam out of place (backend.Backend).
func (b *CUDA) AdamTo(pDst, mDst, vDst, params, grad, m, v []float32, step, epsHat, beta1, beta2 float32) {
	n := len(params)
	for _, x := range [][]float32{pDst, mDst, vDst, grad, m, v} {
		if len(x) != n {
			panic(fmt.Sprintf("backend/cuda: AdamTo: %d params, an operand has %d elements", n, len(x)))
		}
	}
	if n == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, t := flat(n)
	b.launch("AdamTo", b.k.adamTo, g, t, b.addr("AdamTo", "pDst", pDst, n), b.addr("AdamTo", "mDst", mDst, n),
		b.addr("AdamTo", "vDst", vDst, n), b.addr("AdamTo", "params", params, n), b.addr("AdamTo", "grad", grad, n),
		b.addr("AdamTo", "m", m, n), b.addr("AdamTo", "v", v, n), f32(step), f32(epsHat), f32(beta1), f32(beta2), i64(n))
}

// PolyakTo sets dst = τ·online + (1−τ)·target (backend.Backend).
func (b *CUDA) PolyakTo(dst, target, online []float32, tau float32) {
	n := len(online)
	if len(target) != n || len(dst) != n {
		panic(fmt.Sprintf("backend/cuda: PolyakTo: dst has %d parameters, target %d, online %d", len(dst), len(target), n))
	}
	if n == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, t := flat(n)
	b.launch("PolyakTo", b.k.polyakTo, g, t, b.addr("PolyakTo", "dst", dst, n), b.addr("PolyakTo", "target", target, n),
		b.addr("PolyakTo", "online", online, n), f32(tau), i64(n))
}

// Sum64 is Σ x_i in float64 (one block's fixed tree, so another order
// than the CPU's); it waits for the stream.
func (b *CUDA) Sum64(x []float32) float64 {
	if len(x) == 0 {
		return 0
	}
	b.enter()
	p, host := b.scratch64(1)
	b.launch("Sum64", b.k.sum64, [2]int{1, 1}, [2]int{1024, 1}, p, b.addr("Sum64", "x", x, len(x)), i64(len(x)))
	b.syncedLeave("Sum64")
	return host[0]
}

// C51Target writes the target distributions (backend.Backend), one
// thread a row.
func (b *CUDA) C51Target(rho, logits0, logits1 []float32, sup backend.Support[float32], reward, notDone, logp []float32, gamma, alpha float32, clipped bool, rows int) {
	na := len(sup.Z)
	if rows == 0 || na == 0 {
		return
	}
	b.enter()
	defer b.leave()
	n := rows * na
	cl := uint64(0)
	if clipped {
		cl = 1
	}
	g, t := flat(rows)
	b.launch("C51Target", b.k.c51Target, g, t, b.addr("C51Target", "rho", rho, n), b.addr("C51Target", "logits0", logits0, n),
		b.addr("C51Target", "logits1", logits1, n), b.addr("C51Target", "sup.Z", sup.Z, na), f32(sup.Min), f32(sup.Max), f32(sup.Delta),
		b.addr("C51Target", "reward", reward, rows), b.addr("C51Target", "notDone", notDone, rows), b.addr("C51Target", "logp", logp, rows),
		f32(gamma), f32(alpha), cl, i64(rows), i64(na))
}

// C51CrossEntropy is the critics' loss and its logit gradient
// (backend.Backend): per-row losses on the device, summed on the host in
// row order; it waits for the stream.
func (b *CUDA) C51CrossEntropy(logits, rho []float32, scale float32, rows, atoms int) float64 {
	if rows == 0 || atoms == 0 {
		return 0
	}
	b.enter()
	n := rows * atoms
	p, host := b.scratch64(rows)
	g, t := flat(rows)
	b.launch("C51CrossEntropy", b.k.c51CrossEntropy, g, t, p, b.addr("C51CrossEntropy", "logits", logits, n),
		b.addr("C51CrossEntropy", "rho", rho, n), f32(scale), i64(rows), i64(atoms))
	b.syncedLeave("C51CrossEntropy")
	var sum float64
	for _, v := range host[:rows] {
		sum += v
	}
	return sum
}

// C51Values is the min or mean of both critics' expected values
// (backend.Backend).
func (b *CUDA) C51Values(q, logits0, logits1, z []float32, rows int, useMin bool) {
	na := len(z)
	if rows == 0 || na == 0 {
		return
	}
	b.enter()
	defer b.leave()
	um := uint64(0)
	if useMin {
		um = 1
	}
	g, t := flat(rows)
	b.launch("C51Values", b.k.c51Values, g, t, b.addr("C51Values", "q", q, rows), b.addr("C51Values", "logits0", logits0, rows*na),
		b.addr("C51Values", "logits1", logits1, rows*na), b.addr("C51Values", "z", z, na), i64(rows), i64(na), um)
}

// NoisyActions clamps (t, h) and sets a_t = (1−t)·a0 + t·ε
// (backend.Backend).
func (b *CUDA) NoisyActions(at, t, h, a0, noise []float32, rows, d int, guard float32) {
	if rows == 0 {
		return
	}
	b.enter()
	defer b.leave()
	g, th := flat(rows)
	b.launch("NoisyActions", b.k.noisyActions, g, th, b.addr("NoisyActions", "at", at, rows*d), b.addr("NoisyActions", "t", t, rows),
		b.addr("NoisyActions", "h", h, rows), b.addr("NoisyActions", "a0", a0, rows*d), b.addr("NoisyActions", "noise", noise, rows*d),
		i64(rows), i64(d), f32(guard))
}

// TruncPosterior draws the posterior proposal's samples (backend.Backend)
// from Philox: draw e = (i·k + kk)·d + j of the call is TruncNormalAt(seed[0],
// seed[1], e, …) of the row's standardised bounds, a function of the seed
// and the row's index within the call (so other numbers than the CPU's).
func (b *CUDA) TruncPosterior(dst []float32, ldd int, at, t []float32, rows, k, d int, seed [2]uint64) {
	if rows*k*d == 0 {
		return
	}
	if b.opts.HostDraws {
		b.Sync()
		cpu.New[float32]().TruncPosterior(dst, ldd, at, t, rows, k, d, seed)
		return
	}
	b.enter()
	defer b.leave()
	g, th := flat(rows * k * d)
	b.launch("TruncPosterior", b.k.truncPosterior, g, th, b.addr("TruncPosterior", "dst", dst, rowsNeed("TruncPosterior", rows, ldd, k*d)),
		i64(ldd), b.addr("TruncPosterior", "at", at, rows*d), b.addr("TruncPosterior", "t", t, rows), i64(rows), i64(k), i64(d),
		seed[0], seed[1])
}

// SNISVelocity sets the velocity targets (backend.Backend). The ESS mix
// runs on the device, one thread a state, its per-state statistics summed
// on the host in row order. The balance mix (docs/algorithm.md §4.1) runs
// the CPU backend's code on the managed buffers after a sync: correct,
// but every call moves the operands' pages to the host and back.
func (b *CUDA) SNISVelocity(vhat, at, t, cand, q, logp []float32, rows, k1, k2, d int, alpha float64, mix backend.ProposalMix, w []float64) (ess1, ess2, sumQ float64) {
	if rows == 0 {
		return 0, 0, 0
	}
	if mix == backend.BalanceMix {
		b.Sync()
		return cpu.New[float32]().SNISVelocity(vhat, at, t, cand, q, logp, rows, k1, k2, d, alpha, mix, w)
	}
	k := k1 + k2
	b.enter()
	p, host := b.scratch64(rows * (3 + k))
	g, th := flat(rows)
	b.launch("SNISVelocity", b.k.snisVelocity, g, th, b.addr("SNISVelocity", "vhat", vhat, rows*d), p, p+uint64(rows*3*8),
		b.addr("SNISVelocity", "at", at, rows*d), b.addr("SNISVelocity", "t", t, rows), b.addr("SNISVelocity", "cand", cand, rows*k*d),
		b.addr("SNISVelocity", "q", q, rows*k), b.addr("SNISVelocity", "logp", logp, rows*k1), i64(rows), i64(k1), i64(k2), i64(d),
		math.Float64bits(alpha))
	b.syncedLeave("SNISVelocity")
	for s := range rows {
		ess1 += host[3*s]
		ess2 += host[3*s+1]
		sumQ += host[3*s+2]
	}
	return ess1, ess2, sumQ
}
