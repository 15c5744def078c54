// Package buildinfo reports what a build of mfpo is: its version, the Go
// toolchain that built it, the BLAS backend it computes with and the BLAS
// kernels this process runs (docs/reproducibility.md: two processes give
// bit-identical results only when they run the same kernels), and mfpo's
// own vector kernels. The C ABI and
// the Python extension both serve it, so the three faces agree.
package buildinfo

import (
	"encoding/json"
	"runtime"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/backend/cuda"
	"github.com/mfpo/mfpo/gocore/blas"
)

// Version is mfpo's semantic version. capi/mfpo.h repeats it as
// MFPO_VERSION; a test keeps the two equal.
const Version = "0.1.0"

// Info describes one build.
type Info struct {
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
	BLAS      string `json:"blas"`
	// BLASCore is the kernel set chosen for this CPU (blas.Core): OpenBLAS's
	// core name, e.g. "SkylakeX", or "gonum".
	BLASCore string `json:"blas_core"`
	// BLASConfig is the BLAS library's own build description (blas.Config).
	BLASConfig string `json:"blas_config"`
	// CPUKernels is the path of mfpo's own float32 kernels (LayerNorm,
	// GELU, Adam… in gocore/backend/cpu) this process runs: "avx512",
	// "avx2" or "go" (cpu.Kernels; MFPO_CPU_KERNELS forces one).
	CPUKernels string `json:"cpu_kernels"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	// Devices are the devices this build can compute on: "cpu", or
	// "cpu,cuda" for a build with the tag cuda (docs/gpu.md).
	Devices string `json:"devices"`
}

// Devices is Info.Devices of this build.
func Devices() string {
	if cuda.Built {
		return "cpu,cuda"
	}
	return "cpu"
}

// Get returns the running build's Info.
func Get() Info {
	return Info{
		Version:    Version,
		GoVersion:  runtime.Version(),
		BLAS:       blas.Backend(),
		BLASCore:   blas.Core(),
		BLASConfig: blas.Config(),
		CPUKernels: cpu.Kernels(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		Devices:    Devices(),
	}
}

// JSON returns Get() as a JSON object.
func JSON() string {
	b, err := json.Marshal(Get())
	if err != nil { // a struct of strings always marshals
		panic("buildinfo: " + err.Error())
	}
	return string(b)
}
