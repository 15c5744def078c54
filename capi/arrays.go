package main

/*
#include "internal.h"
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/face"
)

// floats views n floats of the caller's memory at p, for the duration of
// the call only: the slice must never be kept.
func floats[T any](p *T, n int) []float32 {
	if n == 0 || p == nil {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(p)), n)
}

// bytesAt views n bytes of the caller's memory at p, for the duration of
// the call only.
func bytesAt[T any](p *T, n int) []byte {
	if n == 0 || p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), n)
}

// sizeArg converts a size_t count to an int; a count no slice can have is
// an MFPO_ESHAPE error naming it.
func sizeArg(name string, n C.size_t) (int, error) {
	if uint64(n) > math.MaxInt32*uint64(face.MaxDim) {
		return 0, &face.Error{Code: face.EShape, Msg: name + " is too large"}
	}
	return int(n), nil
}

// sizes converts several size_t counts.
func sizes(names []string, ns ...C.size_t) ([]int, error) {
	out := make([]int, len(ns))
	for i, n := range ns {
		v, err := sizeArg(names[i], n)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// fillBuffer writes data into the caller's buffer by the size-query rules
// of mfpo.h: buf NULL and cap 0 asks for the size; a smaller cap is
// MFPO_ESIZE; otherwise data is copied. *needed gets the size.
func fillBuffer[B any](h face.Handle, fn string, data []byte, buf *B, capacity C.size_t, needed *C.size_t) C.int {
	switch {
	case buf == nil && capacity == 0 && needed == nil:
		return failf(h, fn, "buf and needed are both NULL")
	case buf == nil && capacity == 0:
		*needed = C.size_t(len(data))
		return C.MFPO_OK
	case buf == nil:
		return failf(h, fn, "buf is NULL with cap %d", uint64(capacity))
	case uint64(capacity) < uint64(len(data)):
		if needed != nil {
			*needed = C.size_t(len(data))
		}
		return fail(h, fn, &face.Error{Code: face.ESize, Msg: fmt.Sprintf("cap is %d bytes, %d are needed", uint64(capacity), len(data))})
	}
	copy(bytesAt(buf, len(data)), data)
	if needed != nil {
		*needed = C.size_t(len(data))
	}
	return C.MFPO_OK
}

// cbytes copies a NUL-terminated C string, or its first max+1 bytes when
// it is longer: face refuses a text over its limit, so a longer one is
// refused, never cut. C's strnlen rather than C.GoString, whose
// vectorised scan reads past the terminator (harmless, but memcheck
// reports it), and which would scan a text of any length.
func cbytes(s *C.mfpo_cchar, max int) []byte {
	return C.GoBytes(unsafe.Pointer(s), C.int(C.strnlen((*C.char)(unsafe.Pointer(s)), C.size_t(max+1))))
}
