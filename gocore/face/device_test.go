package face

import (
	"os"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cuda"
	"github.com/mfpo/mfpo/gocore/policy"
)

const tinyDevice = `{"preset": "small", "hidden": [8], "time_features": 2, "time_width": 4, "batch_size": 4, "buffer_size": 64, "policy_samples": 2, "posterior_samples": 2, "shards": 1, "device": `

// The device setting: "cpu" makes a CPU agent that says so; "cuda" in a
// build without the tag is EConfig naming the tag, and in a cuda build
// without a GPU EConfig naming the driver's answer; an unknown name is
// EConfig naming the choices.
func TestCreateAgentDevice(t *testing.T) {
	sp := policy.Spaces{ObsDim: 2, ActDim: 1}
	h, err := CreateAgent([]byte(tinyDevice+`"cpu"}`), sp)
	if err != nil {
		t.Fatal(err)
	}
	info, err := Agent(h)
	if err != nil || info.Device != "cpu" {
		t.Fatalf("device %q, %v; want cpu", info.Device, err)
	}
	if err := FreeAgent(h); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{`"tpu"}`: `invalid config: device = tpu: want "auto", "cpu" or "cuda"`}
	switch {
	case !cuda.Built:
		cases[`"cuda"}`] = "invalid config: device = cuda: mfpo was built without CUDA (build tag cuda)"
	case os.Getenv("MFPO_CUDA_EXPECT") == "none": // make build-cuda, against the stub driver
		cases[`"cuda"}`] = "invalid config: device = cuda: no CUDA device visible: cuInit: "
	}
	for cfg, want := range cases {
		_, err := CreateAgent([]byte(tinyDevice+cfg), sp)
		fe := AsError(err)
		if fe == nil || fe.Code != EConfig || !strings.HasPrefix(fe.Msg, want) {
			t.Fatalf("device %s: %v, want EConfig %q", cfg, err, want)
		}
	}
}
