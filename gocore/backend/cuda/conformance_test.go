//go:build cuda

package cuda_test

import (
	"testing"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/backendtest"
	"github.com/mfpo/mfpo/gocore/backend/cuda"
)

// The seam's conformance suite (gocore/backend/backendtest) on the CUDA
// backend: every operation against the float64 CPU reference, and whole
// updates against the CPU's portable path. Update needs the agent's host
// draws, so its backend takes the posterior draws on the host
// (Options.HostDraws). Both need a GPU (make test-cuda).

func open(t *testing.T, o cuda.Options) *cuda.CUDA {
	t.Helper()
	g, err := cuda.Open(o)
	if err != nil {
		t.Fatalf("Open: %v (the CUDA tests run on a GPU machine: make test-cuda)", err)
	}
	t.Cleanup(g.Close)
	return g
}

func TestConformanceOps(t *testing.T) { backendtest.Ops(t, open(t, cuda.Options{})) }

func TestConformanceUpdate(t *testing.T) {
	backendtest.Update(t, func() backend.Backend[float32] { return open(t, cuda.Options{HostDraws: true}) })
}
