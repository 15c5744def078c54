package bindings

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/checkpoint"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// CheckpointVerify returns the stored config and observation shape of a
// valid checkpoint, and coded errors naming the path otherwise.
func TestCheckpointVerify(t *testing.T) {
	cfg := mfpo.DefaultConfig()
	cfg.Hidden, cfg.BufferSize, cfg.LearningStarts, cfg.BatchSize = []int{16}, 64, 0, 8
	a, err := mfpo.New(cfg, policy.Spaces{ObsShape: []int{2, 3}, ObsDim: 6, ActDim: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	data, err := checkpoint.Marshal(a, checkpoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := CheckpointVerify(data, "", true)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Config   json.RawMessage `json:"config"`
		ObsShape []int           `json:"obs_shape"`
	}
	if err := json.Unmarshal([]byte(s), &got); err != nil {
		t.Fatal(err)
	}
	if string(got.Config) != cfg.JSON() || len(got.ObsShape) != 2 || got.ObsShape[0] != 2 || got.ObsShape[1] != 3 {
		t.Fatalf("got %s", s)
	}

	damaged := append([]byte(nil), data...)
	damaged[len(damaged)/2] ^= 1 // float data: only the checksum sees it
	if _, err := CheckpointVerify(damaged, "x.mfpo", true); err == nil ||
		!strings.HasPrefix(err.Error(), "mfpo:checkpoint: verify: x.mfpo: not a valid checkpoint: checksum mismatch") {
		t.Fatalf("damaged: %v", err)
	}
	if _, err := CheckpointVerify(damaged, "x.mfpo", false); err != nil {
		t.Fatalf("damaged, checksum skipped: %v", err)
	}
	if _, err := CheckpointVerify(data[:len(data)-1], "", false); err == nil || !strings.HasPrefix(err.Error(), "mfpo:checkpoint: ") {
		t.Fatalf("truncated: %v", err)
	}
}
