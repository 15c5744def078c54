// Command regress is the foundation's end-to-end job: it trains a small
// time-conditioned MLP of gocore/nn (Dense, LayerNorm, GELU, a Fourier
// time embedding) with Adam on a known regression target and prints the
// held-out loss as it falls.
//
//	go run -tags openblas ./examples/regress [-steps 1500] [-seed 1]
//
// The target is y = sin(3·x₀)·cos(2·x₁) + t·x₀ on x ~ N(0, I₂), t ~ U(0, 1):
// the network must use both its vector input and its time input.
package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/mfpo/mfpo/gocore/buildinfo"
	"github.com/mfpo/mfpo/gocore/nn"
)

func main() {
	steps := flag.Int("steps", 1500, "Adam steps")
	batch := flag.Int("batch", 256, "batch size")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := run(*steps, *batch, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "regress:", err)
		os.Exit(1)
	}
}

func target(x0, x1, t float32) float32 {
	return float32(math.Sin(3*float64(x0))*math.Cos(2*float64(x1))) + t*x0
}

// sample fills a batch of inputs and targets.
func sample(rng *rand.Rand, x, t, y []float32) {
	for i := range t {
		x[2*i], x[2*i+1] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		t[i] = rng.Float32()
		y[i] = target(x[2*i], x[2*i+1], t[i])
	}
}

func run(steps, batch int, seed uint64) error {
	if steps < 1 || batch < 1 {
		return fmt.Errorf("steps = %d and batch = %d must be ≥ 1", steps, batch)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	spec := nn.Spec{Inputs: []int{2}, Times: 1, Hidden: []int{64, 64}, Out: 1,
		LayerNorm: true, TimeFeatures: 16, TimeWidth: 16}
	m, err := nn.New[float32](spec, rng)
	if err != nil {
		return err
	}
	fmt.Printf("mfpo %s\n", buildinfo.JSON())
	fmt.Printf("MLP %v → %v → %d with a Fourier time embedding: %d parameters\n", spec.Inputs, spec.Hidden, spec.Out, m.NumParams())

	const testRows = 4096
	ws := m.NewWorkspace(max(batch, testRows), 0)
	opt := nn.NewAdam[float32](m.NumParams(), 1e-3)
	grad := make([]float32, m.NumParams())
	x, t, y := make([]float32, 2*batch), make([]float32, batch), make([]float32, batch)
	pred, dpred := make([]float32, batch), make([]float32, batch)
	tx, tt, ty := make([]float32, 2*testRows), make([]float32, testRows), make([]float32, testRows)
	sample(rand.New(rand.NewPCG(seed, 2)), tx, tt, ty)
	tpred, tgrad := make([]float32, testRows), make([]float32, testRows)
	noGrad := nn.Vars[float32]{X: make([][]float32, 1), Time: make([][]float32, 1)}

	testLoss := func() (float32, error) {
		m.Forward(ws, tpred, nn.Vars[float32]{X: [][]float32{tx}, Time: [][]float32{tt}}, testRows)
		return nn.MSE(tgrad, tpred, ty)
	}
	var variance float64
	for _, v := range ty {
		variance += float64(v) * float64(v)
	}
	variance /= testRows
	first, err := testLoss()
	if err != nil {
		return err
	}
	fmt.Printf("target variance %.4f; held-out MSE before training %.4f\n", variance, first)

	start := time.Now()
	last := first
	for s := 1; s <= steps; s++ {
		sample(rng, x, t, y)
		m.Forward(ws, pred, nn.Vars[float32]{X: [][]float32{x}, Time: [][]float32{t}}, batch)
		if _, err := nn.MSE(dpred, pred, y); err != nil {
			return fmt.Errorf("step %d: %w", s, err)
		}
		clear(grad)
		m.Backward(ws, dpred, grad, noGrad)
		if err := opt.Step(m.Params, grad); err != nil {
			return fmt.Errorf("step %d: %w", s, err)
		}
		if s%(max(steps/10, 1)) == 0 || s == steps {
			if last, err = testLoss(); err != nil {
				var nf *nn.NonFiniteError
				if errors.As(err, &nf) {
					return fmt.Errorf("step %d: training diverged: %w", s, err)
				}
				return err
			}
			fmt.Printf("step %5d  held-out MSE %.5f  (%.0f steps/s)\n", s, last, float64(s)/time.Since(start).Seconds())
		}
	}
	fmt.Printf("held-out MSE %.4f → %.4f (%.1f%% of the target variance explained)\n", first, last, 100*(1-float64(last)/variance))
	if !(last < first/4) {
		return fmt.Errorf("the loss did not fall: %.4f → %.4f", first, last)
	}
	return nil
}
