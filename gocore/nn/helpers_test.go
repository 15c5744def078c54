package nn

import (
	"testing"

	"github.com/mfpo/mfpo/gocore/internal/fd"
)

// The shared finite-difference helpers (gocore/internal/fd) under the
// names these tests use.
var (
	newRNG     = fd.NewRNG
	randVec    = fd.RandVec
	dot        = fd.Dot
	checkClose = fd.CheckClose
	numGrad    = fd.NumGrad
	numJVP     = fd.NumJVP
)

func guarded[T Float](t *testing.T, n int) ([]T, func()) {
	t.Helper()
	return fd.Guarded[T](t, n)
}

// expectPanic fails t unless f panics with a message starting "nn: ".
func expectPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		s, ok := r.(string)
		if !ok || len(s) < 4 || s[:4] != "nn: " {
			t.Fatalf("%s: want a panic with an \"nn: \" message, got %v", what, r)
		}
	}()
	f()
}
