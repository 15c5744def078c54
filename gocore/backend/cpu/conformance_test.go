package cpu_test

import (
	"testing"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/backendtest"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

// The CPU backend runs the conformance suite on every kernel path this
// machine has. (An external test package: backendtest imports
// gocore/mfpo, which imports this backend.)

// onPaths runs f once per kernel path of this machine and build
// (cpu.SupportedKernels), with that path selected.
func onPaths(t *testing.T, f func(t *testing.T)) {
	for _, k := range cpu.SupportedKernels() {
		t.Run(k, func(t *testing.T) {
			prev, err := cpu.SetKernels(k)
			if err != nil {
				t.Fatal(err)
			}
			defer cpu.SetKernels(prev) // prev was active, so it is supported
			f(t)
		})
	}
}

func TestConformanceOps(t *testing.T) {
	onPaths(t, func(t *testing.T) { backendtest.Ops(t, cpu.New[float32]()) })
}

func TestConformanceUpdate(t *testing.T) {
	onPaths(t, func(t *testing.T) {
		backendtest.Update(t, func() backend.Backend[float32] { return cpu.New[float32]() })
	})
}
