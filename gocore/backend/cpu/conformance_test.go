package cpu_test

import (
	"testing"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/backendtest"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

// The CPU backend runs the conformance suite on every kernel path. This
// is an external test package: backendtest imports gocore/mfpo, which
// imports this backend.

func TestConformanceOps(t *testing.T) {
	backendtest.Ops(t, cpu.New[float32]())
}

func TestConformanceUpdate(t *testing.T) {
	backendtest.Update(t, func() backend.Backend[float32] { return cpu.New[float32]() })
}
