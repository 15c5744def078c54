package main

/*
#include "mfpo.h"

// cgo writes an export's C result type from its Go type; this typedef makes
// it write `const char *`, which matches mfpo.h.
typedef const char mfpo_cchar;
*/
import "C"

import (
	"sync"

	"github.com/mfpo/mfpo/gocore/buildinfo"
)

func main() {}

// guard is deferred as the first statement of every export. If the export
// panics, guard recovers and sets the export's named result to onPanic, so
// the panic never crosses into C.
func guard[T any](result *T, onPanic T) {
	if recover() != nil {
		*result = onPanic
	}
}

// cstring returns a func that makes a C copy of s() on its first call and
// the same pointer on every call after. The copy lives for the rest of the
// process and is never freed.
func cstring(s func() string) func() *C.mfpo_cchar {
	return sync.OnceValue(func() *C.mfpo_cchar {
		return (*C.mfpo_cchar)(C.CString(s()))
	})
}

var (
	version   = cstring(func() string { return buildinfo.Version })
	buildInfo = cstring(buildinfo.JSON)
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
