package buildinfo

import (
	"encoding/json"
	"runtime"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/blas"
)

func TestJSONDescribesThisBuild(t *testing.T) {
	var info map[string]string
	if err := json.Unmarshal([]byte(JSON()), &info); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"version": Version, "go_version": runtime.Version(), "blas": blas.Backend(),
		"blas_core": blas.Core(), "blas_config": blas.Config(), "os": runtime.GOOS, "arch": runtime.GOARCH,
		"cpu_kernels": cpu.Kernels(), "devices": Devices()}
	for k, v := range want {
		if info[k] != v {
			t.Fatalf("build info %q = %q, want %q (all: %v)", k, info[k], v, info)
		}
	}
}
