package main

/*
#include "internal.h"
*/
import "C"

import (
	"sync"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/buildinfo"
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

// cstring returns a func that copies s() into static C storage slot on its
// first call (errors.c; never allocated, never freed) and returns the same
// pointer on every call.
func cstring(slot int, s func() string) func() *C.mfpo_cchar {
	return sync.OnceValue(func() *C.mfpo_cchar {
		v := s()
		return C.capi_keep(C.int(slot), (*C.char)(unsafe.Pointer(unsafe.StringData(v))), C.size_t(len(v)))
	})
}

var (
	version   = cstring(0, func() string { return buildinfo.Version })
	buildInfo = cstring(1, buildinfo.JSON)
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
	return C.capi_errstr(status)
}

//export mfpo_errmsg
func mfpo_errmsg(handle *C.mfpo_cvoid) (s *C.mfpo_cchar) {
	h := handleValue(unsafe.Pointer(handle))
	defer guard(&s, nil)
	return C.capi_error(C.uintptr_t(h))
}

//export mfpo_debug_live_handles
func mfpo_debug_live_handles() (n C.size_t) {
	defer guard(&n, 0)
	return C.size_t(liveHandles())
}
