package mfpo

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cuda"
)

// cudaExpected says what the device tests expect of CUDA here: "none"
// (MFPO_CUDA_EXPECT=none: a cuda build on a machine without a GPU, as
// make build-cuda runs it against the stub driver), "gpu" (a cuda build
// elsewhere: make test-cuda on a GPU machine) or "unbuilt".
func cudaExpected() string {
	if !cuda.Built {
		return "unbuilt"
	}
	if os.Getenv("MFPO_CUDA_EXPECT") == "none" {
		return "none"
	}
	return "gpu"
}

func TestDeviceSettingParses(t *testing.T) {
	for _, d := range []string{"auto", "cpu", "cuda"} {
		_, set, err := ParseConfig([]byte(`{"device": "` + d + `"}`))
		if err != nil || set.Device != d {
			t.Fatalf("device %q: %v, settings %+v", d, err, set)
		}
	}
	if _, set, err := ParseConfig([]byte(`{}`)); err != nil || set.Device != "auto" {
		t.Fatalf("no device key: %v, settings %+v", err, set)
	}
	for _, bad := range []string{`{"device": "gpu"}`, `{"device": 1}`, `{"device": ""}`, `{"device": "CUDA"}`} {
		_, _, err := ParseConfig([]byte(bad))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != "device" {
			t.Fatalf("%s: %v, want a ConfigError on device", bad, err)
		}
	}
}

func TestDeviceOpenBackend(t *testing.T) {
	for _, d := range []string{"cpu", "auto", "", "cuda"} {
		be, err := OpenBackend(d)
		want := "cpu"
		if cudaExpected() == "gpu" && d != "cpu" {
			want = "cuda"
		}
		if d == "cuda" && cudaExpected() != "gpu" {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != "device" {
				t.Fatalf("device cuda: %v, want a ConfigError on device", err)
			}
			prefix := map[string]string{"unbuilt": "mfpo was built without CUDA (build tag cuda)",
				"none": "no CUDA device visible: cuInit: "}[cudaExpected()]
			if !strings.HasPrefix(ce.Reason, prefix) {
				t.Fatalf("device cuda: reason %q, want it to start %q", ce.Reason, prefix)
			}
			continue
		}
		if err != nil {
			t.Fatalf("device %q: %v", d, err)
		}
		if got := DeviceOf(be); got != want {
			t.Fatalf("device %q runs on %q (%s), want %q", d, got, be.Name(), want)
		}
		if c, ok := be.(interface{ Close() }); ok {
			c.Close()
		}
	}
	if _, err := OpenBackend("tpu"); err == nil {
		t.Fatal("device tpu opened")
	}
}
