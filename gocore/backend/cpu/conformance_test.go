package cpu_test

import (
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/backendtest"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

func TestConformanceOps(t *testing.T) {
	backendtest.Ops(t, cpu.New[float32]())
}
