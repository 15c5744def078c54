// Capi is the C face of mfpo: built with
//
//	go build -buildmode=c-shared -o build/libmfpo.so ./capi
//
// (`make lib` does it, with the BLAS build tag and the linker version script
// mfpo.map) it becomes libmfpo.so, whose exported functions are the
// //export mfpo_* functions of this package.
//
// The contract is the hand-written header mfpo.h, not the header cgo
// generates. The cgo preamble includes mfpo.h, so the C compiler rejects any
// export whose signature disagrees with its declaration there, and
// header_test.go keeps MFPO_VERSION equal to buildinfo.Version and every
// export declared. mfpo.map hides every symbol but mfpo_* (the Go runtime and
// cgo glue need no dynamic exports); tests/c/check_symbols.sh checks it.
//
// Rules every export follows:
//
//   - Its first statement is `defer guard(&result, onPanic)`: a Go panic must
//     never unwind into C (it would abort the host process); it becomes the
//     export's error result instead.
//   - Memory it returns is either owned by the library (documented per
//     function in mfpo.h) or written into caller-owned buffers; the library
//     never keeps a caller's pointer.
//   - It is safe to call from any C thread; the threading rule of each
//     function is written in mfpo.h.
//
// The package has an empty main, which c-shared builds require and never run.
package main
