package mfpo

import (
	"strings"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/backend/cuda"
)

// Devices are the values of the "device" setting: "auto" (the default;
// CUDA when this build has it and a GPU is visible, else the CPU), "cpu"
// and "cuda".
var Devices = []string{"auto", "cpu", "cuda"}

// OpenBackend returns the backend of a device setting ("" is "auto").
// "cuda" where it cannot be had is a *ConfigError on "device" whose reason
// names what is missing: the build tag, or a visible GPU (and the driver's
// answer).
func OpenBackend(device string) (backend.Backend[float32], error) {
	switch device {
	case "cpu":
		return cpu.New[float32](), nil
	case "", "auto":
		if be, err := cuda.OpenBackend(cuda.Options{}); err == nil {
			return be, nil
		}
		return cpu.New[float32](), nil
	case "cuda":
		be, err := cuda.OpenBackend(cuda.Options{})
		if err != nil {
			return nil, configError("device", device, err.Error())
		}
		return be, nil
	}
	return nil, configError("device", device, `want "auto", "cpu" or "cuda"`)
}

// DeviceOf is "cuda" or "cpu": where be computes.
func DeviceOf(be backend.Backend[float32]) string {
	if strings.HasPrefix(be.Name(), "cuda") {
		return "cuda"
	}
	return "cpu"
}

// checkDevice refuses a device setting that is none of Devices.
func checkDevice(device string) error {
	for _, d := range Devices {
		if device == d {
			return nil
		}
	}
	return configError("device", device, `want "auto", "cpu" or "cuda"`)
}
