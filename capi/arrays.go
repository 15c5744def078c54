package main

/*
#include "internal.h"
*/
import "C"

import (
	"math"
	"math/bits"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/policy"
)

// floats views n floats of the caller's memory at p, for the duration of
// the call only: the slice must never be kept.
func floats[T any](p *T, n int) []float32 {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(p)), n)
}

// bytesAt views n bytes of the caller's memory at p, for the duration of
// the call only.
func bytesAt[T any](p *T, n int) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), n)
}

// product returns a·b as an int, and false when it overflows.
func product(a, b uint64) (int, bool) {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 || lo > math.MaxInt {
		return 0, false
	}
	return int(lo), true
}

// maxDim bounds obs_dim and act_dim at creation (a larger width is a
// mistake, not a network).
const maxDim = 1 << 20

// modeOf maps an MFPO_ACT_* constant to the core's mode.
func modeOf(mode C.int) (policy.Mode, bool) {
	switch mode {
	case C.MFPO_ACT_SAMPLE:
		return policy.Sample, true
	case C.MFPO_ACT_DETERMINISTIC:
		return policy.Deterministic, true
	case C.MFPO_ACT_BEST_OF_N:
		return policy.BestOfN, true
	case C.MFPO_ACT_EXPLORE:
		return policy.Explore, true
	}
	return 0, false
}

// actArgs checks the arguments of an act call against the spaces and
// returns the observations, the output and the mode.
func actArgs(h uintptr, fn string, sp policy.Spaces, obs *C.mfpo_cfloat, obsLen, rows C.size_t, mode C.int,
	act *C.float, actCap C.size_t, explore bool) (o, a []float32, m policy.Mode, rc C.int) {
	m, ok := modeOf(mode)
	switch {
	case rows == 0:
		return nil, nil, 0, fail(h, statusInval, fn, "rows is 0, want ≥ 1")
	case !ok:
		return nil, nil, 0, fail(h, statusInval, fn, "unknown mode %d", int(mode))
	case m == policy.Explore && !explore:
		return nil, nil, 0, fail(h, statusInval, fn, "MFPO_ACT_EXPLORE is for agents, not policies")
	case obs == nil:
		return nil, nil, 0, fail(h, statusInval, fn, "obs is NULL")
	case act == nil:
		return nil, nil, 0, fail(h, statusInval, fn, "act is NULL")
	}
	nObs, ok1 := product(uint64(rows), uint64(sp.ObsDim))
	nAct, ok2 := product(uint64(rows), uint64(sp.ActDim))
	switch {
	case !ok1 || uint64(obsLen) != uint64(nObs):
		return nil, nil, 0, fail(h, statusShape, fn, "obs_len is %d, want rows × obs_dim = %d × %d", uint64(obsLen), uint64(rows), sp.ObsDim)
	case !ok2 || uint64(actCap) < uint64(nAct):
		return nil, nil, 0, fail(h, statusShape, fn, "act_cap is %d, want ≥ rows × act_dim = %d × %d", uint64(actCap), uint64(rows), sp.ActDim)
	}
	return floats(obs, nObs), floats(act, nAct), m, statusOK
}

// fillBuffer writes data into the caller's buffer by the size-query rules
// of mfpo.h: buf NULL and cap 0 asks for the size; a smaller cap is
// MFPO_ESIZE; otherwise data is copied. *needed gets the size.
func fillBuffer[B any](h uintptr, fn string, data []byte, buf *B, capacity C.size_t, needed *C.size_t) C.int {
	switch {
	case buf == nil && capacity == 0 && needed == nil:
		return fail(h, statusInval, fn, "buf and needed are both NULL")
	case buf == nil && capacity == 0:
		*needed = C.size_t(len(data))
		return statusOK
	case buf == nil:
		return fail(h, statusInval, fn, "buf is NULL with cap %d", uint64(capacity))
	case uint64(capacity) < uint64(len(data)):
		if needed != nil {
			*needed = C.size_t(len(data))
		}
		return fail(h, statusSize, fn, "cap is %d bytes, %d are needed", uint64(capacity), len(data))
	}
	copy(bytesAt(buf, len(data)), data)
	if needed != nil {
		*needed = C.size_t(len(data))
	}
	return statusOK
}
