//go:build cuda

package cuda

/*
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <cuda.h>
#include <cublas_v2.h>

// The driver's answer to cuInit, recorded by the interposer below, and
// whether it ran.
static CUresult mfpoInitResult = CUDA_ERROR_NOT_INITIALIZED;
static int mfpoInitCalled = 0;

static CUresult mfpoRealInit(unsigned int flags) {
	CUresult (*real)(unsigned int) = (CUresult (*)(unsigned int))dlsym(RTLD_NEXT, "cuInit");
	return real ? real(flags) : CUDA_ERROR_NOT_FOUND;
}

// cuInit interposes the driver's entry point of that name (a definition in
// the program wins over the shared library's): gorgonia.org/cu calls cuInit
// from its package init and ends the process when it fails, which would
// make a CUDA build unusable on a machine without a GPU. This one calls the
// driver's (dlsym RTLD_NEXT), records its answer for Open to report, and
// tells cu that all went well.
CUresult CUDAAPI cuInit(unsigned int flags) {
	mfpoInitResult = mfpoRealInit(flags);
	mfpoInitCalled = 1;
	return CUDA_SUCCESS;
}

// mfpoInitAnswer is the recorded answer, or, when cu's call reached the
// driver without passing here (a shared library that defines cuInit was
// loaded into the global scope first, as a Python process that imported
// another CUDA library may have), the driver's answer now: cuInit may be
// called again.
static CUresult mfpoInitAnswer(void) {
	if (!mfpoInitCalled) {
		mfpoInitResult = mfpoRealInit(0);
		mfpoInitCalled = 1;
	}
	return mfpoInitResult;
}

// mfpoErrorName is the driver's name of r, or NULL.
static const char* mfpoErrorName(CUresult r) {
	const char* s = NULL;
	if (cuGetErrorName(r, &s) != CUDA_SUCCESS) return NULL;
	return s;
}

// mfpoBlasSetup puts cuBLAS handle h on stream s with TF32 tensor-core math
// or the default; it returns the first failing status.
static cublasStatus_t mfpoBlasSetup(void* h, CUstream s, int tf32) {
	cublasStatus_t st = cublasSetStream((cublasHandle_t)h, (cudaStream_t)s);
	if (st != CUBLAS_STATUS_SUCCESS) return st;
	return cublasSetMathMode((cublasHandle_t)h, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
}
*/
import "C"

import (
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"gorgonia.org/cu"
	cublas "gorgonia.org/cu/blas"
)

// driverError is a CUresult as the driver names it.
type driverError C.CUresult

func (e driverError) Error() string {
	if s := C.mfpoErrorName(C.CUresult(e)); s != nil {
		return fmt.Sprintf("%s (CUresult %d)", C.GoString(s), int(e))
	}
	if s, ok := initAnswers[int(e)]; ok { // a stub driver names nothing
		return fmt.Sprintf("%s (CUresult %d)", s, int(e))
	}
	return fmt.Sprintf("CUresult %d", int(e))
}

// initAnswers names cuInit's usual failures, for a driver library that
// cannot name them itself (a stub).
var initAnswers = map[int]string{
	3: "CUDA_ERROR_NOT_INITIALIZED", 34: "CUDA_ERROR_STUB_LIBRARY", 100: "CUDA_ERROR_NO_DEVICE",
	500: "CUDA_ERROR_NOT_FOUND", 803: "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
	804: "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", 999: "CUDA_ERROR_UNKNOWN",
}

// initMu serialises initAnswer (the C side keeps its answer in statics).
var initMu sync.Mutex

// initAnswer is the driver's answer to cu's cuInit: nil when it succeeded.
func initAnswer() error {
	initMu.Lock()
	r := C.mfpoInitAnswer()
	initMu.Unlock()
	if r != C.CUDA_SUCCESS {
		return driverError(r)
	}
	return nil
}

// blasSetup puts cu's cuBLAS handle on the stream and sets its math mode.
// gorgonia.org/cu/blas v0.9.6 has neither call and keeps the handle in its
// unexported first field; the layout is checked here, so that a cu
// version that moves it fails with this error rather than a crash.
func blasSetup(impl *cublas.Standard, s cu.Stream, tf32 bool) error {
	f := reflect.TypeOf((*cublas.Standard)(nil)).Elem().Field(0)
	if f.Name != "h" || f.Offset != 0 || f.Type.Kind() != reflect.Pointer {
		return fmt.Errorf("gorgonia.org/cu/blas.Standard does not start with its cuBLAS handle (field %q, %v): this backend is written for cu v0.9.6", f.Name, f.Type)
	}
	h := *(*unsafe.Pointer)(unsafe.Pointer(impl))
	if h == nil {
		return fmt.Errorf("cuBLAS handle is nil")
	}
	mode := 0
	if tf32 {
		mode = 1
	}
	if st := C.mfpoBlasSetup(h, C.CUstream(unsafe.Pointer(s.C())), C.int(mode)); st != C.CUBLAS_STATUS_SUCCESS {
		return fmt.Errorf("cublasSetStream/cublasSetMathMode: status %d", int(st))
	}
	return nil
}
