// Package buildinfo reports what a build of mfpo is: its version, the Go
// toolchain that built it and the BLAS backend it computes with. The C ABI
// and the Python extension both serve it, so the three faces agree.
package buildinfo

import (
	"encoding/json"
	"runtime"

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
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// Get returns the running build's Info.
func Get() Info {
	return Info{
		Version:   Version,
		GoVersion: runtime.Version(),
		BLAS:      blas.Backend(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
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
