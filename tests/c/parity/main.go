// Command parity writes the fixture of tests/c/test_parity.c: a policy
// checkpoint saved from Go and the actions Go's inference path
// (checkpoint.LoadPolicy, gocore/policy) gives for fixed observations,
// modes and seeds, as float32 bit patterns, and the kernels it computed
// them with (blas.Core, and cpu.Kernels for mfpo's own). The C test loads the same file through
// libmfpo.so and must get the same bits when its library runs the same
// kernels: the C ABI adds nothing to an action (units, row order and seeds
// included). Under valgrind, OpenBLAS and gocore/backend/cpu see another
// CPU (no AVX-512) and may choose other kernels; the C test then compares within a tolerance
// (docs/reproducibility.md).
//
//	go run ./tests/c/parity DIR   # writes DIR/policy.mfpo and DIR/expected.txt
package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/blas"
	"github.com/mfpo/mfpo/gocore/checkpoint"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

const obsDim, actDim, rows = 3, 2, 4

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: parity DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "parity:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	cfg, err := mfpo.ConfigFromJSON([]byte(`{"preset":"small","hidden":[16,16],"time_features":4,"time_width":8,` +
		`"atoms":11,"v_min":-50,"v_max":50,"batch_size":8,"buffer_size":1000,"eval_candidates":4,"shards":1,"seed":5}`))
	if err != nil {
		return err
	}
	a, err := mfpo.New(cfg, policy.Spaces{ObsDim: obsDim, ActDim: actDim, Low: []float32{-2, 10}, High: []float32{2, 30}})
	if err != nil {
		return err
	}
	defer a.Close()
	rng := rand.New(rand.NewPCG(9, 9))
	obs, act, next := make([]float32, obsDim), make([]float32, actDim), make([]float32, obsDim)
	for i := 0; i < 32; i++ {
		for j := range obs {
			obs[j], next[j] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		if err := a.Act(act, obs, 1, policy.Explore, 0); err != nil {
			return err
		}
		if err := a.Store(obs, act, float32(rng.NormFloat64()), next, false); err != nil {
			return err
		}
	}
	for i := 0; i < 4; i++ {
		if _, err := a.Update(); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "policy.mfpo")
	if err := checkpoint.Save(path, a, checkpoint.Options{PolicyOnly: true}); err != nil {
		return err
	}
	p, _, err := checkpoint.LoadPolicy(path)
	if err != nil {
		return err
	}
	// Observations: row i, column j = 0.25·i − 0.5·j + 0.1 (exact in float32).
	o := make([]float32, rows*obsDim)
	for i := range o {
		o[i] = 0.25*float32(i/obsDim) - 0.5*float32(i%obsDim) + 0.1
	}
	var b strings.Builder
	fmt.Fprintf(&b, "core %s\n", blas.Core())
	fmt.Fprintf(&b, "kernels %s\n", cpu.Kernels())
	fmt.Fprintf(&b, "# mode seed rows: the actions' float32 bits (C's mode numbers)\n")
	for _, c := range []struct {
		cmode int
		mode  policy.Mode
	}{{0, policy.Sample}, {1, policy.Deterministic}, {2, policy.BestOfN}} {
		for _, seed := range []uint64{0, 1, 12345678901234} {
			dst := make([]float32, rows*actDim)
			if err := p.Act(dst, o, rows, c.mode, seed); err != nil {
				return err
			}
			fmt.Fprintf(&b, "%d %d %d", c.cmode, seed, rows)
			for _, v := range dst {
				fmt.Fprintf(&b, " %08x", math.Float32bits(v))
			}
			b.WriteString("\n")
		}
	}
	return os.WriteFile(filepath.Join(dir, "expected.txt"), []byte(b.String()), 0o644)
}
