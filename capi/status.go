package main

/*
#include "internal.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/face"
)

// fail records "fn: message" as the calling thread's last error, on
// handle h (0 for calls without one), and returns the status of err (a
// *face.Error, or any error, which face.AsError gives its code). Only
// failing calls pay for it.
func fail(h face.Handle, fn string, err error) C.int {
	e := face.AsError(err)
	msg := fn + ": " + e.Msg
	if len(msg) > face.MaxMessage { // cut at a rune boundary: face messages are valid UTF-8
		cut := face.MaxMessage
		for cut > 0 && msg[cut]&0xc0 == 0x80 {
			cut--
		}
		msg = msg[:cut]
	}
	C.capi_set_error(C.uintptr_t(h), (*C.char)(unsafe.Pointer(unsafe.StringData(msg))), C.size_t(len(msg)))
	return C.int(e.Code)
}

// failf records a C-only argument error (a NULL pointer, say) as EINVAL.
func failf(h face.Handle, fn, format string, args ...any) C.int {
	return fail(h, fn, &face.Error{Code: face.EInval, Msg: fmt.Sprintf(format, args...)})
}

// argError is failf for a call on handle h of kind check: a bad handle is
// reported first, as face reports it before any argument.
func argError(h face.Handle, check func(face.Handle) error, fn, format string, args ...any) C.int {
	if err := check(h); err != nil {
		return fail(h, fn, err)
	}
	return failf(h, fn, format, args...)
}

// status returns MFPO_OK for a nil err, or records it.
func status(h face.Handle, fn string, err error) C.int {
	if err == nil {
		return C.MFPO_OK
	}
	return fail(h, fn, err)
}

// guardStatus is deferred by every export that returns a status, right
// after it has read its handle: a panic in the shell becomes MFPO_EPANIC
// with a message on that handle, and never unwinds into C. (face
// recovers its own.)
func guardStatus(rc *C.int, h face.Handle, fn string) {
	if r := recover(); r != nil {
		*rc = fail(h, fn, &face.Error{Code: face.EPanic,
			Msg: fmt.Sprintf("internal error (a bug in mfpo, please report it): panic: %v", r)})
	}
}
