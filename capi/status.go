package main

/*
#include "internal.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
	"unicode/utf8"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/checkpoint"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
	"github.com/mfpo/mfpo/gocore/replay"
)

// The status codes of mfpo.h, as Go constants.
const (
	statusOK        = C.MFPO_OK
	statusInval     = C.MFPO_EINVAL
	statusConfig    = C.MFPO_ECONFIG
	statusShape     = C.MFPO_ESHAPE
	statusNonFinite = C.MFPO_ENONFINITE
	statusNoData    = C.MFPO_ENODATA
	statusUpdate    = C.MFPO_EUPDATE
	statusHandle    = C.MFPO_EHANDLE
	statusIO        = C.MFPO_EIO
	statusFormat    = C.MFPO_EFORMAT
	statusPanic     = C.MFPO_EPANIC
	statusSize      = C.MFPO_ESIZE
	statusVersion   = C.MFPO_EVERSION
)

// maxMessage is the longest message mfpo_errmsg holds, in bytes (errors.c
// keeps 1024 with the NUL).
const maxMessage = 1023

// setError records msg as the calling thread's last error, on handle h
// (0 for calls without one). Only failing calls pay for it.
func setError(h uintptr, msg string) {
	if len(msg) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
	}
	C.capi_set_error(C.uintptr_t(h), (*C.char)(unsafe.Pointer(unsafe.StringData(msg))), C.size_t(len(msg)))
}

// fail records "fn: message" on handle h and returns code.
func fail(h uintptr, code C.int, fn, format string, args ...any) C.int {
	setError(h, fn+": "+fmt.Sprintf(format, args...))
	return code
}

// failErr records err on handle h and returns its status.
func failErr(h uintptr, fn string, err error) C.int {
	code := statusOf(err)
	if code == statusPanic {
		setError(h, fn+": internal error (a bug in mfpo, please report it): "+err.Error())
	} else {
		setError(h, fn+": "+err.Error())
	}
	return code
}

// statusOf maps the core's typed errors to status codes. An error the
// library does not expect is an internal error.
func statusOf(err error) C.int {
	var (
		ue  *mfpo.UpdateError
		ce  *mfpo.ConfigError
		se  *policy.SpacesError
		nf  *nn.NonFiniteError
		rnf *replay.NonFiniteError
		rae *replay.ArgError
		pe  *fs.PathError
		fe  *checkpoint.FormatError
		ve  *checkpoint.VersionError
		le  *checkpoint.LimitError
		oe  *checkpoint.OptionsError
	)
	switch {
	case err == nil:
		return statusOK
	// The checkpoint's errors first: a *FormatError may wrap a
	// *mfpo.ConfigError (a file with an invalid config).
	case errors.As(err, &fe), errors.As(err, &le):
		return statusFormat
	case errors.As(err, &ve):
		return statusVersion
	case errors.As(err, &oe):
		return statusInval
	case errors.As(err, &ue): // before NonFiniteError, which it wraps
		return statusUpdate
	case errors.As(err, &ce), errors.As(err, &rae): // the buffer's size comes from the config
		return statusConfig
	case errors.As(err, &se):
		return statusInval
	case errors.As(err, &nf), errors.As(err, &rnf):
		return statusNonFinite
	case errors.Is(err, mfpo.ErrNotEnoughData):
		return statusNoData
	case errors.As(err, &pe):
		return statusIO
	}
	return statusPanic
}

// guardStatus is deferred by every export that returns a status, right
// after it has read its handle: a panic becomes MFPO_EPANIC with a message
// on that handle, and never unwinds into C.
func guardStatus(rc *C.int, h uintptr, fn string) {
	if r := recover(); r != nil {
		*rc = statusPanic
		setError(h, panicMessage(fn, r))
	}
}

func panicMessage(fn string, r any) string {
	return fmt.Sprintf("%s: internal error (a bug in mfpo, please report it): panic: %v", fn, r)
}
