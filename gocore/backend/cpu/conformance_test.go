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

// kernelPaths are the paths to run; "" is the default one.
//
// TODO(kernels): cpu.SupportedKernels() once the paths are selectable.
func kernelPaths() []string { return []string{""} }

// onPaths runs f once per kernel path, with that path selected.
func onPaths(t *testing.T, f func(t *testing.T)) {
	for _, k := range kernelPaths() {
		name := k
		if name == "" {
			name = "default"
		}
		t.Run(name, f)
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
