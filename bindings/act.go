package bindings

import (
	"math"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/face"
	"github.com/mfpo/mfpo/gocore/policy"
)

// The act functions take the numbers by address: obs and dst are the
// addresses of obsLen and dstLen float32s of memory the caller (mfpo._core:
// numpy arrays it owns, C-contiguous, aligned and native float32, checked
// there) keeps alive and does not touch for the duration of the call. Go
// views that memory in place for the call only and never keeps it: no copy
// on either side, no gopy handle, one crossing. The addresses are checked
// as far as Go can check them (not 0, aligned, no wrap-around, lengths in
// range), the lengths against rows and the agent's widths by face.

// ActAt writes into dst (dstLen ≥ rows × act_dim floats) the actions, in
// the environment's units, of rows observations at obs (obsLen = rows ×
// obs_dim floats): face.AgentAct. mode is "sample", "best_of_n",
// "deterministic" or "explore"; seed is the noise of the first three. It
// returns rows; dst is written only on success.
func ActAt(h int64, obs uintptr, obsLen int, dst uintptr, dstLen int, rows int, mode string, seed uint64) (n int, err error) {
	defer recoverInto(&err)
	return actAt("act", face.AgentAct, h, obs, obsLen, dst, dstLen, rows, mode, seed)
}

// PolicyActAt is ActAt for a policy handle (face.PolicyAct): mode
// "sample", "best_of_n" or "deterministic", the noise from seed alone.
func PolicyActAt(h int64, obs uintptr, obsLen int, dst uintptr, dstLen int, rows int, mode string, seed uint64) (n int, err error) {
	defer recoverInto(&err)
	return actAt("policy act", face.PolicyAct, h, obs, obsLen, dst, dstLen, rows, mode, seed)
}

// actAt checks the mode and the two views and runs act, a face act call;
// call names it in the errors.
func actAt(call string, act func(face.Handle, []float32, []float32, int, policy.Mode, uint64) error,
	h int64, obs uintptr, obsLen int, dst uintptr, dstLen int, rows int, mode string, seed uint64) (int, error) {
	m, err := face.ModeOfName(mode)
	if err != nil {
		return 0, fail(call, err)
	}
	o, err := floatsAt("obs", obs, obsLen)
	if err != nil {
		return 0, fail(call, err)
	}
	d, err := floatsAt("act", dst, dstLen)
	if err != nil {
		return 0, fail(call, err)
	}
	if err := act(face.Handle(h), d, o, rows, m, seed); err != nil {
		return 0, fail(call, err)
	}
	return rows, nil
}

// maxFloats is the most floats one view may hold: face's bound on any
// batch (rows ≤ MaxInt32, widths ≤ MaxDim).
const maxFloats = math.MaxInt32 * face.MaxDim

// floatsAt views n float32s at address p for the duration of a call. n = 0
// is an empty view whatever p is; otherwise p must be non-zero and 4-byte
// aligned, and the n floats must not run past the end of the address
// space. These are the caller's (mfpo._core's) mistakes, never a user's:
// EInval, or EShape for a count out of range.
func floatsAt(name string, p uintptr, n int) ([]float32, error) {
	switch {
	case n < 0 || n > maxFloats:
		return nil, &face.Error{Code: face.EShape, Msg: name + " has a length out of range"}
	case n == 0:
		return nil, nil
	case p == 0:
		return nil, &face.Error{Code: face.EInval, Msg: name + " is NULL"}
	case p%4 != 0:
		return nil, &face.Error{Code: face.EInval, Msg: name + " is not 4-byte aligned"}
	case uint64(p) > math.MaxUint64-4*uint64(n):
		return nil, &face.Error{Code: face.EInval, Msg: name + " runs past the end of the address space"}
	}
	// p is the address of memory outside Go's heap (numpy's), so reading
	// it as a pointer is safe: the collector ignores it, and it is valid
	// for the call. (Converting the word rather than the integer keeps
	// go vet's check for uintptr arithmetic on Go pointers quiet.)
	return unsafe.Slice((*float32)(*(*unsafe.Pointer)(unsafe.Pointer(&p))), n), nil
}
