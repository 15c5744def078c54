package cpu

import (
	"fmt"
	"log"
	"math"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/mfpo/mfpo/gocore/backend"
)

// # Kernel paths
//
// The float32 elementwise kernels (LNGELU and its JVP and backward, GELU
// alone, Adam, Polyak, SumRows) run on one of three paths:
//
//	avx512  AVX-512F, 16 lanes (kernels_avx512_amd64.s)
//	avx2    AVX2 and FMA, 8 lanes (kernels_avx2_amd64.s)
//	go      the portable Go code, the reference (and the only path for
//	        float64, for other architectures and with the purego tag)
//
// At start the best path the CPU supports is chosen. The environment
// variable MFPO_CPU_KERNELS (read once, at package initialisation) forces
// one: "avx512", "avx2" or "go"; empty or "auto" is the default choice.
// An unknown name, or a path this CPU lacks, is a logged fallback: one
// line on the standard logger saying what was asked and what runs, and
// the best supported path is used. CPU.Name reports the path that runs;
// SetKernels changes it at run time (for tests and benchmarks).
//
// Rounding: the vector paths use fused multiply-adds and other summation
// orders than the portable code, so the LayerNorm and GELU kernels differ
// from it in the last bits (about 1e-7 relative; the tests bound each
// path against a float64 reference). Every path is deterministic, and an
// element's result does not depend on the operand's alignment or on the
// number of rows (row tails run through masked vector instructions, not
// scalar code). Adam, Polyak and SumRows do the portable code's
// operations in its order without fused multiply-adds, so they give the
// portable path's bits on every path.

// level is a kernel path.
type level int32

const (
	levelGo level = iota
	levelAVX2
	levelAVX512
)

var levelNames = [...]string{levelGo: "go", levelAVX2: "avx2", levelAVX512: "avx512"}

func (l level) String() string { return levelNames[l] }

// kernelsEnv is the environment variable that forces a path.
const kernelsEnv = "MFPO_CPU_KERNELS"

// active is the path the float32 kernels run on.
var active atomic.Int32

func init() {
	lv, msg := chooseLevel(os.Getenv(kernelsEnv))
	if msg != "" {
		log.Print(msg)
	}
	active.Store(int32(lv))
}

// chooseLevel resolves a requested path name against the CPU's paths: it
// returns the path to run and, for an unknown or unsupported request, the
// line to log.
func chooseLevel(req string) (level, string) {
	best := supported[len(supported)-1]
	name := strings.ToLower(strings.TrimSpace(req))
	if name == "" || name == "auto" {
		return best, ""
	}
	lv, err := parseLevel(name)
	if err != nil {
		return best, fmt.Sprintf("mfpo: %s=%q: %v; using cpu/%s", kernelsEnv, req, err, best)
	}
	return lv, ""
}

// parseLevel returns the named path if this CPU supports it.
func parseLevel(name string) (level, error) {
	for l, n := range levelNames {
		if n != name {
			continue
		}
		if !slices.Contains(supported, level(l)) {
			return 0, fmt.Errorf("this CPU (or build) lacks the %s kernels; it has %s", name, strings.Join(SupportedKernels(), ", "))
		}
		return level(l), nil
	}
	return 0, fmt.Errorf("unknown kernel path %q (want avx512, avx2, go or auto)", name)
}

// Kernels is the name of the path the float32 kernels run on: "avx512",
// "avx2" or "go".
func Kernels() string { return level(active.Load()).String() }

// SupportedKernels lists the paths this CPU and build can run, portable
// first.
func SupportedKernels() []string {
	var s []string
	for _, l := range supported {
		s = append(s, l.String())
	}
	return s
}

// SetKernels makes the float32 kernels run on the named path ("avx512",
// "avx2", "go", or "auto" for the best supported) and returns the
// previous path's name. An unknown or unsupported name is an error and
// changes nothing. It must not run concurrently with operations whose
// results are compared bit for bit (each operation reads the path once).
func SetKernels(name string) (previous string, err error) {
	prev := Kernels()
	name = strings.ToLower(strings.TrimSpace(name))
	lv := supported[len(supported)-1]
	if name != "auto" {
		if lv, err = parseLevel(name); err != nil {
			return prev, fmt.Errorf("backend/cpu: SetKernels: %w", err)
		}
	}
	active.Store(int32(lv))
	return prev, nil
}

// vecLevel is the path for element type T: the active one for float32,
// the portable code for float64.
func vecLevel[T Float]() level {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return level(active.Load())
	}
	return levelGo
}

// f32 views a []T that is a []float32 as one (vecLevel guarantees it).
func f32[T Float](x []T) []float32 { return any(x).([]float32) }

// Indices into vecConsts.v: the constants the vector kernels read, each
// in 8 lanes (AVX2 reads them as memory operands, AVX-512 broadcasts lane
// 0). The assembly takes the offsets from go_asm.h (const_cK…).
const (
	cK     = iota // √(2/π)
	cKC           // √(2/π)·0.044715
	cK3C          // 3·√(2/π)·0.044715
	cInv81        // 1/81, the tanh argument scale
	cP0
	cP1
	cP2
	cP3
	cP4
	cP5
	cP6
	cQ0
	cQ1
	cQ2
	cOne
	cHalf
	cNeg9
	cPos9
	cInv9
	cExpLo // expShift32's constants (c51.go)
	cExpHi
	cExpLog2e
	cExpC1
	cExpC2
	cExpMagic
	cExpE0
	cExpE1
	cExpE2
	cExpE3
	cExpE4
	cExpE5
	nConst
)

// Indices into vecConsts.sc: sinCos2Pi's float64 constants (fourier.go),
// each in 4 lanes.
const (
	scQuarter    = iota // ¼ turn
	scNegQuarter        // −¼
	scHalf              // ½
	scNegHalf           // −½
	scOne
	scNegOne
	scTwoPi
	scS1 // sinS1 … sinS6
	scS2
	scS3
	scS4
	scS5
	scS6
	scC1 // cosC1 … cosC7
	scC2
	scC3
	scC4
	scC5
	scC6
	scC7
	nSinCos
)

// vecConsts is the constant table every vector kernel takes: the float32
// constants above in 8 lanes, then LayerNorm's ε and 1 in float64 (for
// 1/σ = 1/√(var + ε) computed as the portable code does), then the AVX2
// tail masks (mask[8−r:16−r] selects the first r lanes), then
// sinCos2Pi's float64 constants in 4 lanes.
type vecConsts struct {
	v    [nConst][8]float32
	eps  float64
	one  float64
	mask [16]int32
	sc   [nSinCos][4]float64
}

var vecTable = func() (c vecConsts) {
	vals := [nConst]float32{
		cK: geluK, cKC: geluK * geluC, cK3C: 3 * geluK * geluC, cInv81: 1.0 / 81,
		cP0: tanhP0, cP1: tanhP1, cP2: tanhP2, cP3: tanhP3, cP4: tanhP4, cP5: tanhP5, cP6: tanhP6,
		cQ0: tanhQ0, cQ1: tanhQ1, cQ2: tanhQ2,
		cOne: 1, cHalf: 0.5, cNeg9: -9, cPos9: 9, cInv9: 1.0 / 9,
		cExpLo: expLo, cExpHi: expHi, cExpLog2e: expLog2e, cExpC1: expC1, cExpC2: expC2, cExpMagic: expMagic,
		cExpE0: expE0, cExpE1: expE1, cExpE2: expE2, cExpE3: expE3, cExpE4: expE4, cExpE5: expE5,
	}
	for i, v := range vals {
		for j := range c.v[i] {
			c.v[i][j] = v
		}
	}
	c.eps, c.one = backend.LayerNormEps, 1
	sc := [nSinCos]float64{
		scQuarter: 0.25, scNegQuarter: -0.25, scHalf: 0.5, scNegHalf: -0.5, scOne: 1, scNegOne: -1, scTwoPi: 2 * math.Pi,
		scS1: sinS1, scS2: sinS2, scS3: sinS3, scS4: sinS4, scS5: sinS5, scS6: sinS6,
		scC1: cosC1, scC2: cosC2, scC3: cosC3, scC4: cosC4, scC5: cosC5, scC6: cosC6, scC7: cosC7,
	}
	for i, v := range sc {
		for j := range c.sc[i] {
			c.sc[i][j] = v
		}
	}
	for i := range 8 {
		c.mask[i] = -1
	}
	return c
}()
