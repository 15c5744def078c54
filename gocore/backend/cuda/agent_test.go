//go:build cuda

package cuda_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/backend/cuda"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// TestAgentUpdateMatchesCPU: the same agent, seed and transitions on the
// CPU and on CUDA; after a few updates the parameters agree within float32
// tolerances of a chain of updates (2e-3 relative: the orders of the sums
// differ, and Adam's first steps amplify the difference where v is small).
func TestAgentUpdateMatchesCPU(t *testing.T) {
	g, err := cuda.Open(cuda.Options{})
	if err != nil {
		t.Fatalf("Open: %v (make test-cuda runs on a GPU machine)", err)
	}
	defer g.Close()
	cfg := mfpo.SmallConfig()
	cfg.Hidden, cfg.BatchSize, cfg.BufferSize, cfg.LearningStarts, cfg.Shards = []int{64, 64}, 32, 256, 0, 1
	cfg.PolicySamples, cfg.PosteriorSamples, cfg.Seed = 4, 8, 3
	sp := policy.Spaces{ObsDim: 5, ActDim: 2}
	run := func(a *mfpo.Agent) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		for i := range 64 {
			obs := []float32{float32(i) / 64, 0.1, -0.2, 0.3, float32(i%5) / 5}
			next := []float32{float32(i+1) / 64, 0.1, -0.2, 0.3, float32((i+1)%5) / 5}
			if err := a.Store(obs, []float32{0.1, -0.3}, float32(i%7)/7, next, i%16 == 15); err != nil {
				return err
			}
		}
		for range 3 {
			if _, err := a.Update(); err != nil {
				return err
			}
		}
		a.Be.Sync()
		return nil
	}
	ref, err := mfpo.NewOn(cpu.New[float32](), cfg, sp, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	dev, err := mfpo.NewOn(g, cfg, sp, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if err := run(ref); err != nil {
		t.Fatalf("CPU: %v", err)
	}
	if err := run(dev); err != nil {
		t.Fatalf("CUDA: %v", err)
	}
	for _, n := range []struct {
		name string
		a, b []float32
	}{{"policy", ref.Policy.Params, dev.Policy.Params}, {"adn", ref.ADN.Params, dev.ADN.Params}} {
		worst := 0.0
		for i := range n.a {
			worst = max(worst, math.Abs(float64(n.a[i]-n.b[i]))/(1e-4+math.Abs(float64(n.a[i]))))
		}
		if worst > 2e-3 {
			t.Fatalf("%s parameters differ by %.3g relative", n.name, worst)
		}
	}
}
