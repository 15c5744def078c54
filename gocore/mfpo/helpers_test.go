package mfpo

import (
	"math/rand/v2"
	"testing"
)

func newTestRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 11)) }

// skipShort skips a learning run under -short (go test -short is the quick
// pass; make test-go runs them).
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("a learning run: skipped under -short")
	}
}
