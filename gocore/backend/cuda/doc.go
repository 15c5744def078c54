// Package cuda is the CUDA backend of the seam (gocore/backend): buffers
// are CUDA managed memory viewed as Go slices, the matrix products go to
// cuBLAS (gorgonia.org/cu/blas) and every other operation to the kernels of
// kernels/ (CUDA C, compiled to the PTX under ptx/ by `make ptx` and loaded
// through gorgonia.org/cu's module API). Operations are issued in order on
// one stream per backend and complete asynchronously; Sync waits for them.
//
// The backend exists only in builds with the build tag cuda (make
// build-cuda, docs/gpu.md). Without it, Open returns ErrNotBuilt, so the
// faces' device setting ("device": "cuda") fails with a message that says
// what is missing. Philox, the counter-based generator of the device's
// random draws, is in both builds: its Go form is the reference the
// kernels are tested against.
package cuda

import (
	"errors"
	"fmt"
)

// ErrNotBuilt is Open's error in a build without the tag cuda.
var ErrNotBuilt = errors.New("mfpo was built without CUDA (build tag cuda)")

// NoDeviceError is Open's error when the build has CUDA but no device can
// be used: the driver call that failed and its answer.
type NoDeviceError struct {
	Call string // "cuInit", "cuDeviceGetCount", …
	Err  error
}

func (e *NoDeviceError) Error() string {
	return fmt.Sprintf("no CUDA device visible: %s: %v", e.Call, e.Err)
}

func (e *NoDeviceError) Unwrap() error { return e.Err }

// Options configure a CUDA backend.
type Options struct {
	// Device is the ordinal of the GPU (0: the first visible one).
	Device int
	// TF32 lets cuBLAS run the matrix products on the tensor cores in
	// TF32 (10-bit mantissa inputs, float32 accumulation;
	// CUBLAS_TF32_TENSOR_OP_MATH): several times the float32 rate on
	// A100/H100-class GPUs, at a relative error of about 1e-3 per product
	// instead of 1e-7. Off by default: the conformance tolerances are
	// float32's.
	TF32 bool
	// SyncEachOp waits after every operation, so a host access that the
	// algorithm forgot to precede with Sync still reads finished results
	// (a debugging aid; MFPO_CUDA_SYNC=1 sets it too). It is on by itself
	// on a device without concurrent managed access.
	SyncEachOp bool
}
