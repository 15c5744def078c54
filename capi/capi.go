package main

/*
#include "internal.h"
*/
import "C"

import (
	"sync"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/buildinfo"
	"github.com/mfpo/mfpo/gocore/face"
)

func main() {}

// guard is deferred as the first statement of every export that returns a
// pointer. If the export panics, guard recovers and sets the export's
// named result to onPanic, so the panic never crosses into C. Exports that
// return a status defer guardStatus instead.
func guard[T any](result *T, onPanic T) {
	if recover() != nil {
		*result = onPanic
	}
}

// The static strings the library returns, copied once into C storage
// (errors.c; never allocated, never freed): slot 0 the version, 1 the
// build info, 2 + code each status code's description, and the last one
// "unknown mfpo status".
const (
	slotVersion = iota
	slotBuildInfo
	slotCodes
)

// kept returns a func that copies s() into static slot on its first call
// and returns the same pointer on every call.
func kept(slot int, s func() string) func() *C.mfpo_cchar {
	return sync.OnceValue(func() *C.mfpo_cchar {
		v := s()
		return C.capi_keep(C.int(slot), (*C.char)(unsafe.Pointer(unsafe.StringData(v))), C.size_t(len(v)))
	})
}

var (
	version   = kept(slotVersion, func() string { return buildinfo.Version })
	buildInfo = kept(slotBuildInfo, buildinfo.JSON)
	codeNames = func() []func() *C.mfpo_cchar {
		f := make([]func() *C.mfpo_cchar, face.Codes+1) // the last: unknown
		for c := range f {
			f[c] = kept(slotCodes+c, face.Code(c).Describe)
		}
		return f
	}()
)

//export mfpo_version
func mfpo_version() (s *C.mfpo_cchar) {
	defer guard(&s, nil)
	return version()
}

//export mfpo_build_info
func mfpo_build_info() (s *C.mfpo_cchar) {
	defer guard(&s, nil)
	return buildInfo()
}

//export mfpo_errstr
func mfpo_errstr(status C.int) (s *C.mfpo_cchar) {
	defer guard(&s, nil)
	if status < 0 || int(status) >= face.Codes {
		return codeNames[face.Codes]()
	}
	return codeNames[status]()
}

//export mfpo_errmsg
func mfpo_errmsg(handle *C.mfpo_cvoid) (s *C.mfpo_cchar) {
	h := handleOf(unsafe.Pointer(handle))
	defer guard(&s, nil)
	return C.capi_error(C.uintptr_t(h))
}

//export mfpo_debug_live_handles
func mfpo_debug_live_handles() (n C.size_t) {
	defer guard(&n, 0)
	return C.size_t(face.Live())
}

//export mfpo_set_memory_limit
func mfpo_set_memory_limit(bytes C.int64_t) (n C.int64_t) {
	defer guard(&n, 0)
	return C.int64_t(face.SetMemoryLimit(int64(bytes)))
}

//export mfpo_memory_limit
func mfpo_memory_limit() (n C.int64_t) {
	defer guard(&n, 0)
	return C.int64_t(face.MemoryLimit())
}

// handleOf is the token a C handle pointer carries. It is only ever
// converted to an integer, never dereferenced.
func handleOf(p unsafe.Pointer) face.Handle { return face.Handle(uintptr(p)) }

// putHandle writes token h into a caller's handle pointer.
func putHandle(out unsafe.Pointer, h face.Handle) {
	*(*uintptr)(out) = uintptr(h)
}
