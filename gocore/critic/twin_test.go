package critic

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/internal/fd"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/par"
)

// smallConfig is a tiny critic: 11 atoms on [−10, 10] (Δz = 2), 2×8 hidden.
func smallConfig() Config {
	c := DefaultConfig(3, 2)
	c.Atoms, c.VMin, c.VMax = 11, -10, 10
	c.Hidden = []int{8, 8}
	c.BatchRows, c.ChunkRows = 16, 5
	c.LR = 1e-2
	return c
}

// newTwin builds a Twin with `shards` shards (0: nil pool) and perturbs
// every online and target parameter (biases and LayerNorm included) so
// that nothing sits at a symmetric initial value and targets differ from
// the online networks.
func newTwin(t testing.TB, cfg Config, shards int, seed uint64) *Twin {
	t.Helper()
	var pool *par.Pool
	if shards > 0 {
		pool = par.NewPool(shards)
		t.Cleanup(pool.Close)
	}
	c, err := New(cpu.New[float32](), cfg, rand.New(rand.NewPCG(seed, 1)), pool)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	for _, m := range append(c.Online[:], c.Target[:]...) {
		for i := range m.Params {
			m.Params[i] += float32(0.2 * rng.NormFloat64())
		}
	}
	return c
}

type batch struct {
	obs, act, nextObs, nextAct, logp, rew, notDone []float32
	rows                                           int
}

func randBatch(cfg Config, rows int, seed uint64) batch {
	rng := rand.New(rand.NewPCG(seed, 9))
	vec := func(n int, sd float64) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(sd * rng.NormFloat64())
		}
		return x
	}
	b := batch{rows: rows,
		obs: vec(rows*cfg.ObsDim, 1), act: vec(rows*cfg.ActDim, 0.6),
		nextObs: vec(rows*cfg.ObsDim, 1), nextAct: vec(rows*cfg.ActDim, 0.6),
		logp: vec(rows, 2), rew: vec(rows, 3), notDone: make([]float32, rows)}
	for i := range b.notDone {
		b.notDone[i] = 1
		if i%5 == 3 {
			b.notDone[i] = 0
		}
	}
	return b
}

// to64 is a float64 copy of a float32 network.
func to64(t testing.TB, m *nn.MLP[float32]) *nn.MLP[float64] {
	t.Helper()
	m64, err := nn.New(cpu.New[float64](), m.Spec, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range m.Params {
		m64.Params[i] = float64(v)
	}
	return m64
}

// logits64 runs a float64 network on rows rows of (obs, act).
func logits64(m *nn.MLP[float64], obs, act []float32, rows int) ([]float64, *nn.Workspace[float64]) {
	ws := m.NewWorkspace(rows, 0)
	out := make([]float64, rows*m.Spec.Out)
	m.Forward(ws, out, nn.Vars[float64]{X: [][]float64{f64(obs[:rows*m.Spec.Inputs[0]]), f64(act[:rows*m.Spec.Inputs[1]])}}, rows)
	return out, ws
}

func softmax64(x []float64) []float64 {
	ls := logSoftmax64(x)
	for j := range ls {
		ls[j] = math.Exp(ls[j])
	}
	return ls
}

func mean64z(p []float64, s Support) float64 {
	var m float64
	for j, v := range p {
		m += v * float64(s.Z[j])
	}
	return m
}

// refTarget computes, in float64 from the formulas of docs/algorithm.md §3,
// both projected target distributions of every row.
func refTarget(t testing.TB, c *Twin, b batch, alpha float64) (rho [2][][]float64) {
	cfg := c.Config
	for k := range c.Target {
		lg, _ := logits64(to64(t, c.Target[k]), b.nextObs, b.nextAct, b.rows)
		for i := 0; i < b.rows; i++ {
			p := softmax64(lg[i*cfg.Atoms : (i+1)*cfg.Atoms])
			tz := make([]float64, cfg.Atoms)
			for j := range tz {
				z := cfg.VMin + float64(j)*(cfg.VMax-cfg.VMin)/float64(cfg.Atoms-1)
				tz[j] = float64(b.rew[i]) + cfg.Gamma*float64(b.notDone[i])*(z-alpha*float64(b.logp[i]))
			}
			rho[k] = append(rho[k], fd.Project64(cfg.Atoms, cfg.VMin, cfg.VMax, p, tz))
		}
	}
	return rho
}

func closeRow(got []float32, want []float64, tol float64) bool {
	for j := range want {
		if math.Abs(float64(got[j])-want[j]) > tol {
			return false
		}
	}
	return true
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig(17, 6).Validate(); err != nil {
		t.Fatal(err)
	}
	for field, mod := range map[string]func(*Config){
		"ObsDim":    func(c *Config) { c.ObsDim = 0 },
		"ActDim":    func(c *Config) { c.ActDim = -1 },
		"Atoms":     func(c *Config) { c.Atoms = 1 },
		"VMin":      func(c *Config) { c.VMin = math.NaN() },
		"VMax":      func(c *Config) { c.VMax = c.VMin },
		"Hidden[1]": func(c *Config) { c.Hidden = []int{4, 0} },
		"Gamma":     func(c *Config) { c.Gamma = 1.5 },
		"Tau":       func(c *Config) { c.Tau = math.NaN() },
		"LR":        func(c *Config) { c.LR = 0 },
		"BatchRows": func(c *Config) { c.BatchRows = 0 },
		"ChunkRows": func(c *Config) { c.ChunkRows = 0 },
	} {
		cfg := smallConfig()
		mod(&cfg)
		_, err := New(cpu.New[float32](), cfg, rand.New(rand.NewPCG(1, 1)), nil)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: New error %v, want a ConfigError naming %s", field, err, field)
		}
	}
}

func TestNewTargetsAreCopies(t *testing.T) {
	cfg := smallConfig()
	c, err := New(cpu.New[float32](), cfg, rand.New(rand.NewPCG(7, 7)), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k := range c.Online {
		if !slices.Equal(c.Online[k].Params, c.Target[k].Params) {
			t.Errorf("target %d is not a copy of online %d", k, k)
		}
		if &c.Online[k].Params[0] == &c.Target[k].Params[0] {
			t.Errorf("target %d shares online %d's parameters", k, k)
		}
		if c.Opt[k].Steps != 0 || len(c.Opt[k].M) != c.Online[k].NumParams() || c.Opt[k].LR != cfg.LR {
			t.Errorf("Adam %d: %d steps, %d moments, lr %v", k, c.Opt[k].Steps, len(c.Opt[k].M), c.Opt[k].LR)
		}
	}
	if slices.Equal(c.Online[0].Params, c.Online[1].Params) {
		t.Error("the two online critics start equal")
	}
	// Same seed, same networks.
	c2, _ := New(cpu.New[float32](), cfg, rand.New(rand.NewPCG(7, 7)), par.NewPool(2))
	for k := range c.Online {
		if !slices.Equal(c.Online[k].Params, c2.Online[k].Params) {
			t.Errorf("critic %d depends on the pool", k)
		}
	}
}

func TestTargetDistributionVsFloat64(t *testing.T) {
	for _, clipped := range []bool{true, false} {
		cfg := smallConfig()
		cfg.ClippedDoubleQ = clipped
		c := newTwin(t, cfg, 0, 11)
		b := randBatch(cfg, 13, 12)
		const alpha = 0.3
		rho := make([]float32, b.rows*cfg.Atoms)
		c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, alpha, b.rows)
		ref := refTarget(t, c, b, alpha)
		picked := [2]int{}
		for i := 0; i < b.rows; i++ {
			got := rho[i*cfg.Atoms : (i+1)*cfg.Atoms]
			var sum float64
			for _, v := range got {
				sum += float64(v)
			}
			if math.Abs(sum-1) > 1e-5 {
				t.Fatalf("row %d sums to %v", i, sum)
			}
			r0, r1 := ref[0][i], ref[1][i]
			if !clipped {
				want := make([]float64, len(r0))
				for j := range want {
					want[j] = (r0[j] + r1[j]) / 2
				}
				if !closeRow(got, want, 1e-5) {
					t.Fatalf("no clipping, row %d: %v, want the mean %v", i, got, want)
				}
				continue
			}
			m0, m1 := mean64z(r0, c.Support), mean64z(r1, c.Support)
			lower := r0
			if m1 < m0 {
				lower = r1
			}
			switch {
			case closeRow(got, lower, 1e-5):
				picked[map[bool]int{true: 1, false: 0}[m1 < m0]]++
			case math.Abs(m0-m1) < 1e-3 && (closeRow(got, r0, 1e-5) || closeRow(got, r1, 1e-5)):
				// Means equal to float32 rounding: either is right.
			default:
				t.Fatalf("clipped, row %d: %v, want the lower-mean %v (means %v, %v)", i, got, lower, m0, m1)
			}
		}
		if clipped && (picked[0] == 0 || picked[1] == 0) {
			t.Logf("picked critic 0 in %d rows, critic 1 in %d", picked[0], picked[1])
		}
	}
}

func TestTargetDistributionSemantics(t *testing.T) {
	cfg := smallConfig()
	c := newTwin(t, cfg, 0, 21)
	na := cfg.Atoms
	b := randBatch(cfg, 8, 22)
	rho := make([]float32, b.rows*na)

	// Termination: Tz = r for every atom, so all mass sits at r's projection.
	done := make([]float32, b.rows)
	rew := []float32{3, -4, 0.5, -25, 25, 10, -10, 7.2}
	c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, rew, done, 0.7, b.rows)
	for i, r := range rew {
		p := make([]float64, na)
		p[0] = 1
		tz := make([]float64, na)
		tz[0] = float64(r)
		want := fd.Project64(na, cfg.VMin, cfg.VMax, p, tz)
		if !closeRow(rho[i*na:(i+1)*na], want, 1e-6) {
			t.Errorf("m = 0, r = %v: rho %v, want %v", r, rho[i*na:(i+1)*na], want)
		}
	}
	if got := rho[0*na : 1*na]; math.Abs(float64(got[6])-0.5) > 1e-6 || math.Abs(float64(got[7])-0.5) > 1e-6 { // r = 3: between z_6 = 2 and z_7 = 4
		t.Errorf("m = 0, r = 3: %v", got)
	}

	// α·log π enters as r + γ·m·(z − α·ℓ) = (r − γ·α·ℓ) + γ·m·z for m = 1.
	ones := make([]float32, b.rows)
	for i := range ones {
		ones[i] = 1
	}
	const alpha = 0.4
	c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, ones, alpha, b.rows)
	shifted := make([]float32, b.rows)
	for i := range shifted {
		shifted[i] = float32(float64(b.rew[i]) - cfg.Gamma*alpha*float64(b.logp[i]))
	}
	rho0 := make([]float32, b.rows*na)
	c.TargetDistribution(rho0, b.nextObs, b.nextAct, b.logp, shifted, ones, 0, b.rows)
	for j := range rho {
		if math.Abs(float64(rho[j]-rho0[j])) > 2e-5 {
			t.Fatalf("α·log π: %v vs shifted reward %v", rho[:na], rho0[:na])
		}
	}
	// … and it matters: α = 0 with the original reward differs.
	c.TargetDistribution(rho0, b.nextObs, b.nextAct, b.logp, b.rew, ones, 0, b.rows)
	if slices.Equal(rho, rho0) {
		t.Fatal("α·log π has no effect")
	}

	// Clipped double Q follows the lower mean: push target critic 1's
	// output bias towards the lowest atoms, then towards the highest.
	mixed := b.notDone
	b.notDone = ones
	ref := func() [2][][]float64 { return refTarget(t, c, b, alpha) }
	outBias := func(m *nn.MLP[float32]) []float32 { return m.Params[len(m.Params)-na:] }
	saved := slices.Clone(outBias(c.Target[1]))
	for _, low := range []bool{true, false} {
		bias := outBias(c.Target[1])
		for j := range bias {
			bias[j] = float32(j) // favours high atoms
			if low {
				bias[j] = -float32(j)
			}
		}
		c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, ones, alpha, b.rows)
		r := ref()
		for i := 0; i < b.rows; i++ {
			m0, m1 := mean64z(r[0][i], c.Support), mean64z(r[1][i], c.Support)
			want := r[0][i]
			if low {
				want = r[1][i]
			}
			if (m1 < m0) != low {
				t.Fatalf("setup: means %v, %v", m0, m1)
			}
			if !closeRow(rho[i*na:(i+1)*na], want, 1e-5) {
				t.Fatalf("low = %v, row %d: %v, want %v", low, i, rho[i*na:(i+1)*na], want)
			}
		}
	}
	copy(outBias(c.Target[1]), saved)

	// The online networks play no part.
	b.notDone = mixed
	c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, alpha, b.rows)
	for _, m := range c.Online {
		for i := range m.Params {
			m.Params[i] = float32(math.NaN())
		}
	}
	c.TargetDistribution(rho0, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, alpha, b.rows)
	if !slices.Equal(rho, rho0) {
		t.Fatal("TargetDistribution depends on the online critics")
	}

	// A NaN input makes ρ non-finite.
	b.rew[2] = float32(math.NaN())
	c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, alpha, b.rows)
	if !anyNonFinite(rho[2*na : 3*na]) {
		t.Fatal("NaN reward gave a finite ρ")
	}
}

func TestTargetDistributionShards(t *testing.T) {
	cfg := smallConfig()
	b := randBatch(cfg, cfg.BatchRows, 31)
	td := func(shards int) []float32 {
		c := newTwin(t, cfg, shards, 32)
		rho := make([]float32, b.rows*cfg.Atoms)
		c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, 0.2, b.rows)
		return rho
	}
	one := td(0)
	for _, shards := range []int{1, 2, 3} {
		rho := td(shards)
		if again := td(shards); !slices.Equal(rho, again) {
			t.Fatalf("%d shards: two runs differ", shards)
		}
		for j := range rho {
			if math.Abs(float64(rho[j]-one[j])) > 1e-6 {
				t.Fatalf("%d shards: ρ[%d] = %v, 1 shard %v", shards, j, rho[j], one[j])
			}
		}
	}
}

// refLossGrad is the loss and its parameter gradient in float64: the
// logits of a float64 copy of the network, log-softmax, and Backward with
// ∂loss/∂logits = (softmax·Σρ − ρ)/rows.
func refLossGrad(t testing.TB, m64 *nn.MLP[float64], obs, act, rho []float32, rows int) (float64, []float64) {
	na := m64.Spec.Out
	lg, ws := logits64(m64, obs, act, rows)
	var loss float64
	d := make([]float64, len(lg))
	for i := 0; i < rows; i++ {
		ls := logSoftmax64(lg[i*na : (i+1)*na])
		var rs float64
		for j := range ls {
			rs += float64(rho[i*na+j])
		}
		for j, l := range ls {
			r := float64(rho[i*na+j])
			loss -= r * l
			d[i*na+j] = (math.Exp(l)*rs - r) / float64(rows)
		}
	}
	g := make([]float64, len(m64.Params))
	m64.Backward(ws, d, g, nn.Vars[float64]{X: make([][]float64, 2)})
	return loss / float64(rows), g
}

func TestStepGradient(t *testing.T) {
	cfg := smallConfig()
	b := randBatch(cfg, 11, 41)
	for _, shards := range []int{0, 2, 3} {
		c := newTwin(t, cfg, shards, 42)
		rho := make([]float32, b.rows*cfg.Atoms)
		c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, 0.1, b.rows)
		loss, err := c.gradients(b.obs, b.act, rho, b.rows)
		if err != nil {
			t.Fatal(err)
		}
		for k := range c.Online {
			m64 := to64(t, c.Online[k])
			want, g64 := refLossGrad(t, m64, b.obs, b.act, rho, b.rows)
			if math.Abs(float64(loss[k])-want) > 1e-5*(1+want) {
				t.Errorf("%d shards, critic %d: loss %v, float64 %v", shards, k, loss[k], want)
			}
			g := c.shards[0].grad[k]
			gmax := 0.0
			for _, v := range g64 {
				gmax = math.Max(gmax, math.Abs(v))
			}
			for i := range g64 {
				if math.Abs(float64(g[i])-g64[i]) > 1e-5*gmax {
					t.Fatalf("%d shards, critic %d: ∂loss/∂θ[%d] = %v, float64 %v (max |g| %v)", shards, k, i, g[i], g64[i], gmax)
				}
			}
			if shards != 0 {
				continue
			}
			// The float64 gradient itself against central differences, on
			// every parameter.
			const h = 1e-6
			for i := range m64.Params {
				p := m64.Params[i]
				m64.Params[i] = p + h
				lp, _ := refLossGrad(t, m64, b.obs, b.act, rho, b.rows)
				m64.Params[i] = p - h
				lm, _ := refLossGrad(t, m64, b.obs, b.act, rho, b.rows)
				m64.Params[i] = p
				fd := (lp - lm) / (2 * h)
				if math.Abs(fd-g64[i]) > 1e-6*(1+math.Abs(g64[i])) {
					t.Fatalf("critic %d: ∂loss/∂θ[%d] = %v, central difference %v", k, i, g64[i], fd)
				}
			}
		}
	}
}

type snapshot struct {
	online, target, m, v [2][]float32
	steps                [2]int64
}

func snap(c *Twin) snapshot {
	var s snapshot
	for k := 0; k < 2; k++ {
		s.online[k] = slices.Clone(c.Online[k].Params)
		s.target[k] = slices.Clone(c.Target[k].Params)
		s.m[k] = slices.Clone(c.Opt[k].M)
		s.v[k] = slices.Clone(c.Opt[k].V)
		s.steps[k] = c.Opt[k].Steps
	}
	return s
}

func (s snapshot) equal(o snapshot) bool {
	for k := 0; k < 2; k++ {
		if !bitsEqual(s.online[k], o.online[k]) || !bitsEqual(s.target[k], o.target[k]) ||
			!bitsEqual(s.m[k], o.m[k]) || !bitsEqual(s.v[k], o.v[k]) || s.steps[k] != o.steps[k] {
			return false
		}
	}
	return true
}

func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestStepUpdate(t *testing.T) {
	cfg := smallConfig()
	cfg.Tau = 0.05
	c := newTwin(t, cfg, 2, 51)
	b := randBatch(cfg, 12, 52)
	rho := make([]float32, b.rows*cfg.Atoms)
	c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, 0.1, b.rows)
	for step := 1; step <= 3; step++ {
		before := snap(c)
		// The gradient the step must use, and an Adam replaying it on copies.
		if _, err := c.gradients(b.obs, b.act, rho, b.rows); err != nil {
			t.Fatal(err)
		}
		var grads [2][]float32
		for k := range grads {
			grads[k] = slices.Clone(c.shards[0].grad[k])
		}
		loss, err := c.Step(b.obs, b.act, rho, b.rows)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 2; k++ {
			if c.Opt[k].Steps != int64(step) {
				t.Fatalf("Adam %d: %d steps after %d", k, c.Opt[k].Steps, step)
			}
			opt := &nn.Adam[float32]{LR: cfg.LR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Be: cpu.New[float32](),
				M: slices.Clone(before.m[k]), V: slices.Clone(before.v[k]), Steps: before.steps[k]}
			params := slices.Clone(before.online[k])
			if err := opt.Step(params, grads[k]); err != nil {
				t.Fatal(err)
			}
			if !bitsEqual(params, c.Online[k].Params) || !bitsEqual(opt.M, c.Opt[k].M) || !bitsEqual(opt.V, c.Opt[k].V) {
				t.Fatalf("step %d critic %d: the online update is not one Adam step on the gradient", step, k)
			}
			if bitsEqual(params, before.online[k]) {
				t.Fatalf("critic %d did not move", k)
			}
			// φ̄ ← τφ + (1−τ)φ̄ with the updated φ.
			moved := 0
			for i, old := range before.target[k] {
				want := cfg.Tau*float64(c.Online[k].Params[i]) + (1-cfg.Tau)*float64(old)
				got := float64(c.Target[k].Params[i])
				if math.Abs(got-want) > 1e-7*(1+math.Abs(want)) {
					t.Fatalf("step %d critic %d: target[%d] = %v, want τφ + (1−τ)φ̄ = %v", step, k, i, got, want)
				}
				if got != float64(old) {
					moved++
				}
			}
			if moved < len(before.target[k])/2 {
				t.Fatalf("only %d of %d target parameters moved", moved, len(before.target[k]))
			}
			if !(loss[k] > 0) {
				t.Fatalf("loss %v", loss[k])
			}
		}
	}
}

// Revert undoes the last successful Step bit for bit (parameters,
// targets, moments, step counts), once; Keep makes a Step final; and a
// step after a Revert is the step the reverted one was.
func TestRevert(t *testing.T) {
	cfg := smallConfig()
	c := newTwin(t, cfg, 2, 53)
	b := randBatch(cfg, 12, 54)
	rho := make([]float32, b.rows*cfg.Atoms)
	c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, 0.1, b.rows)
	step := func() {
		t.Helper()
		if _, err := c.Step(b.obs, b.act, rho, b.rows); err != nil {
			t.Fatal(err)
		}
	}
	c.Revert() // nothing to undo yet
	step()
	c.Keep()
	c.Revert() // kept: nothing to undo
	kept := snap(c)
	if kept.steps != [2]int64{1, 1} {
		t.Fatalf("Keep then Revert: steps %v", kept.steps)
	}
	step()
	stepped := snap(c)
	c.Revert()
	if !snap(c).equal(kept) {
		t.Fatal("Revert did not restore the state before the step")
	}
	c.Revert() // a second Revert does nothing
	if !snap(c).equal(kept) {
		t.Fatal("a second Revert changed the critics")
	}
	step()
	if !snap(c).equal(stepped) {
		t.Fatal("the step after a Revert differs from the reverted one")
	}
	// The values follow the bound buffers: the reverted networks score
	// as before the step.
	vb := randBatch(cfg, 6, 55)
	q1, q2 := make([]float32, 6), make([]float32, 6)
	c.Revert()
	c.Values(q1, vb.obs, 1, vb.act, 6)
	step()
	c.Revert()
	c.Values(q2, vb.obs, 1, vb.act, 6)
	if !bitsEqual(q1, q2) || !snap(c).equal(kept) {
		t.Fatal("values after Revert differ")
	}
	step()
	c.Values(q2, vb.obs, 1, vb.act, 6)
	if bitsEqual(q1, q2) {
		t.Fatal("the step did not change the values")
	}
}

func TestStepLossDecreases(t *testing.T) {
	cfg := smallConfig()
	c := newTwin(t, cfg, 2, 61)
	b := randBatch(cfg, 16, 62)
	rho := make([]float32, b.rows*cfg.Atoms)
	c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, 0.1, b.rows)
	// The loss is bounded below by the entropy of ρ; follow the excess (KL).
	var ent float64
	for _, r := range rho {
		if r > 0 {
			ent -= float64(r) * math.Log(float64(r))
		}
	}
	ent /= float64(b.rows)
	var first, last [2]float32
	for i := 0; i < 150; i++ {
		loss, err := c.Step(b.obs, b.act, rho, b.rows)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = loss
		}
		last = loss
	}
	for k := range first {
		kl0, kl1 := float64(first[k])-ent, float64(last[k])-ent
		if !(kl1 < 0.25*kl0) || kl1 < -1e-4 {
			t.Errorf("critic %d: KL %v → %v after 150 steps on a fixed batch", k, kl0, kl1)
		}
	}
}

func TestStepNonFinite(t *testing.T) {
	cfg := smallConfig()
	c := newTwin(t, cfg, 2, 71)
	b := randBatch(cfg, 10, 72)
	rho := make([]float32, b.rows*cfg.Atoms)
	c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, 0.1, b.rows)
	if _, err := c.Step(b.obs, b.act, rho, b.rows); err != nil { // non-trivial Adam state
		t.Fatal(err)
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tc := range []struct {
		name string
		mod  func(obs, act, rho []float32)
	}{
		{"NaN in ρ", func(_, _, rho []float32) { rho[3*cfg.Atoms+4] = nan }},
		{"+Inf in ρ", func(_, _, rho []float32) { rho[9*cfg.Atoms] = inf }},
		{"NaN in obs", func(obs, _, _ []float32) { obs[5] = nan }},
		{"-Inf in act", func(_, act, _ []float32) { act[b.rows*cfg.ActDim-1] = -inf }},
		{"huge obs", func(obs, _, _ []float32) { obs[0] = 3e38 }},
	} {
		obs, act, r := slices.Clone(b.obs), slices.Clone(b.act), slices.Clone(rho)
		tc.mod(obs, act, r)
		before := snap(c)
		_, err := c.Step(obs, act, r, b.rows)
		var nf *nn.NonFiniteError
		if tc.name == "huge obs" && err == nil {
			continue // LayerNorm may well absorb it; if not, it must be refused cleanly
		}
		if !errors.As(err, &nf) {
			t.Fatalf("%s: error %v, want a *nn.NonFiniteError", tc.name, err)
		}
		if strings.Contains(tc.name, "ρ") && !strings.Contains(nf.What, "loss") {
			t.Fatalf("%s: error %v, want the loss named", tc.name, err)
		}
		if !snap(c).equal(before) {
			t.Fatalf("%s: a refused step changed the state", tc.name)
		}
	}
	// A finite loss with a gradient that overflows float32 is refused too.
	r := slices.Clone(rho)
	r[0] = 2e38 // found by trying: the loss (≈ 1.3e38, 2.1e38) fits float32, a first-layer gradient does not
	before := snap(c)
	loss, err := c.Step(b.obs, b.act, r, 2)
	var nf *nn.NonFiniteError
	if !errors.As(err, &nf) || !strings.Contains(nf.What, "gradient") || anyNonFinite(loss[:]) {
		t.Fatalf("huge ρ: loss %v, error %v, want finite losses and a non-finite gradient", loss, err)
	}
	if !snap(c).equal(before) {
		t.Fatal("a refused gradient changed the state")
	}
	// The good batch still steps afterwards.
	if _, err := c.Step(b.obs, b.act, rho, b.rows); err != nil {
		t.Fatal(err)
	}
	if c.Opt[0].Steps != 2 || c.Opt[1].Steps != 2 {
		t.Fatalf("steps %d, %d", c.Opt[0].Steps, c.Opt[1].Steps)
	}
}

func TestStepShards(t *testing.T) {
	cfg := smallConfig()
	b := randBatch(cfg, 15, 81)
	run := func(shards int) (snapshot, [][2]float32) {
		c := newTwin(t, cfg, shards, 82)
		rho := make([]float32, b.rows*cfg.Atoms)
		var losses [][2]float32
		for i := 0; i < 3; i++ {
			c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, 0.1, b.rows)
			l, err := c.Step(b.obs, b.act, rho, b.rows)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, l)
		}
		return snap(c), losses
	}
	one, l1 := run(0)
	for _, shards := range []int{2, 3} {
		a, la := run(shards)
		again, lb := run(shards)
		if !a.equal(again) || !slices.Equal(la, lb) {
			t.Fatalf("%d shards: two runs differ", shards)
		}
		for i := range l1 {
			for k := 0; k < 2; k++ {
				if math.Abs(float64(l1[i][k]-la[i][k])) > 1e-5*float64(l1[i][k]) {
					t.Fatalf("%d shards: loss %v, 1 shard %v", shards, la[i], l1[i])
				}
			}
		}
		for k := 0; k < 2; k++ {
			for i := range one.online[k] {
				// Adam's normalised step amplifies rounding only where m and √v are tiny.
				if d := math.Abs(float64(one.online[k][i] - a.online[k][i])); d > 1e-4 {
					t.Fatalf("%d shards, critic %d: θ[%d] = %v, 1 shard %v", shards, k, i, a.online[k][i], one.online[k][i])
				}
			}
		}
	}
}

// refValues is min/mean over the two networks of Σ softmax·z, one row at
// a time, in float64.
func refValues(t testing.TB, c *Twin, nets [2]*nn.MLP[float32], obs []float32, repeat int, act []float32, rows int, useMin bool) []float64 {
	od, ad := c.Config.ObsDim, c.Config.ActDim
	var m64 [2]*nn.MLP[float64]
	for k := range nets {
		m64[k] = to64(t, nets[k])
	}
	out := make([]float64, rows)
	for i := 0; i < rows; i++ {
		s := i / repeat
		var q [2]float64
		for k := range m64 {
			lg, _ := logits64(m64[k], obs[s*od:(s+1)*od], act[i*ad:(i+1)*ad], 1)
			q[k] = mean64z(softmax64(lg), c.Support)
		}
		if useMin {
			out[i] = math.Min(q[0], q[1])
		} else {
			out[i] = (q[0] + q[1]) / 2
		}
	}
	return out
}

func TestValues(t *testing.T) {
	for _, clipped := range []bool{true, false} {
		cfg := smallConfig()
		cfg.ClippedDoubleQ = clipped
		c := newTwin(t, cfg, 2, 91)
		const states, repeat = 7, 3
		rows := states * repeat
		b := randBatch(cfg, rows, 92)
		obs := b.obs[:states*cfg.ObsDim]
		dst := make([]float32, rows)
		{
			c.Values(dst, obs, repeat, b.act, rows)
			want := refValues(t, c, c.Online, obs, repeat, b.act, rows, clipped)
			for i := range want {
				if math.Abs(float64(dst[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
					t.Fatalf("clipped %v: Q[%d] = %v, want %v", clipped, i, dst[i], want[i])
				}
			}
			// repeat = 1 on explicitly repeated observations gives the same
			// values up to float32 rounding (repeat > 1 computes the first
			// layer's state term once per state, §8: sums in another order).
			full := make([]float32, rows*cfg.ObsDim)
			for i := 0; i < rows; i++ {
				copy(full[i*cfg.ObsDim:], obs[(i/repeat)*cfg.ObsDim:(i/repeat+1)*cfg.ObsDim])
			}
			d1 := make([]float32, rows)
			c.Values(d1, full, 1, b.act, rows)
			for i := range d1 {
				if math.Abs(float64(d1[i]-dst[i])) > 1e-5*(1+math.Abs(float64(dst[i]))) {
					t.Fatalf("repeat %d: Q[%d] = %v, %v with explicit repetition", repeat, i, dst[i], d1[i])
				}
			}
		}
	}
}

func TestValuesChunksAndShards(t *testing.T) {
	const states, repeat = 13, 4
	base := smallConfig()
	rows := states * repeat
	b := randBatch(base, rows, 101)
	obs := b.obs[:states*base.ObsDim]
	var ref []float32 // ChunkRows 1, one shard
	for _, chunk := range []int{1, 2, 5, 7, 52, 1000} {
		var first []float32 // this ChunkRows, one shard
		for _, shards := range []int{0, 1, 2, 3, 4} {
			cfg := base
			cfg.ChunkRows = chunk
			c := newTwin(t, cfg, shards, 102)
			dst := make([]float32, rows)
			c.Values(dst, obs, repeat, b.act, rows)
			if ref == nil {
				ref = dst
			}
			if first == nil {
				first = dst
			} else if !slices.Equal(first, dst) {
				t.Fatalf("ChunkRows %d: %d shards differ from one\n%v\n%v", chunk, shards, dst, first)
			}
			for i := range dst {
				if math.Abs(float64(dst[i]-ref[i])) > 1e-5*(1+math.Abs(float64(ref[i]))) {
					t.Fatalf("ChunkRows %d gives Q[%d] = %v, ChunkRows 1 %v", chunk, i, dst[i], ref[i])
				}
			}
		}
	}
}

func TestAllocs(t *testing.T) {
	cfg := smallConfig()
	c := newTwin(t, cfg, 2, 111)
	b := randBatch(cfg, cfg.BatchRows, 112)
	rho := make([]float32, b.rows*cfg.Atoms)
	const states, repeat = 9, 4
	vb := randBatch(cfg, states*repeat, 113)
	dst := make([]float32, states*repeat)
	td := func() { c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, 0.1, b.rows) }
	step := func() {
		if _, err := c.Step(b.obs, b.act, rho, b.rows); err != nil {
			t.Fatal(err)
		}
	}
	vals := func() { c.Values(dst, vb.obs, repeat, vb.act, states*repeat) }
	td()
	step()
	vals()
	for name, f := range map[string]func(){"TargetDistribution": td, "Step": step, "Values": vals} {
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
}

func TestPanics(t *testing.T) {
	cfg := smallConfig()
	c := newTwin(t, cfg, 0, 121)
	b := randBatch(cfg, cfg.BatchRows+1, 122)
	rho := make([]float32, b.rows*cfg.Atoms)
	dst := make([]float32, b.rows)
	n := cfg.BatchRows
	for name, f := range map[string]func(){
		"TD rows > BatchRows": func() { c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, 0, n+1) },
		"TD rows 0":           func() { c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, 0, 0) },
		"TD short rho":        func() { c.TargetDistribution(rho[:5], b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, 0, n) },
		"TD short notDone":    func() { c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone[:3], 0, n) },
		"Step rows > Batch":   func() { c.Step(b.obs, b.act, rho, n+1) },
		"Step short act":      func() { c.Step(b.obs, b.act[:4], rho, n) },
		"Values rows%repeat":  func() { c.Values(dst, b.obs, 3, b.act, 10) },
		"Values repeat 0":     func() { c.Values(dst, b.obs, 0, b.act, 10) },
		"Values short obs":    func() { c.Values(dst, b.obs[:2], 1, b.act, 10) },
		"Values short dst":    func() { c.Values(dst[:2], b.obs, 1, b.act, 10) },
		"Project lengths":     func() { c.Support.Project(rho[:3], rho[:11], rho[:11]) },
		"Mean length":         func() { c.Support.Mean(rho[:3]) },
	} {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "critic: ") {
					t.Errorf("%s: panic %v, want a \"critic: \" message", name, r)
				}
			}()
			f()
		}()
	}
}

// TestPaperSizes runs the paper's critic (obs 17, act 6, 101 atoms, 3×256)
// once: a target, a step, and the actor's candidate scoring on a few states.
func TestPaperSizes(t *testing.T) {
	cfg := DefaultConfig(17, 6)
	c, err := New(cpu.New[float32](), cfg, rand.New(rand.NewPCG(1, 2)), par.NewPool(2))
	if err != nil {
		t.Fatal(err)
	}
	rows := 64
	if testing.Short() {
		rows = 16
	}
	b := randBatch(cfg, rows, 3)
	for i := range b.rew {
		b.rew[i] *= 100
	}
	rho := make([]float32, rows*cfg.Atoms)
	c.TargetDistribution(rho, b.nextObs, b.nextAct, b.logp, b.rew, b.notDone, 0.01, rows)
	loss, err := c.Step(b.obs, b.act, rho, rows)
	if err != nil {
		t.Fatal(err)
	}
	for k, l := range loss { // roughly log 101 ≈ 4.6 for near-uniform logits, plus the mismatch
		if !(l > 1 && l < 20) {
			t.Errorf("critic %d: loss %v", k, l)
		}
	}
	const states, repeat = 4, 48
	vb := randBatch(cfg, states*repeat, 4)
	dst := make([]float32, states*repeat)
	c.Values(dst, vb.obs, repeat, vb.act, states*repeat)
	want := refValues(t, c, c.Online, vb.obs, repeat, vb.act, states*repeat, true)
	for i := range dst {
		if math.Abs(float64(dst[i])-want[i]) > 1e-3*(1+math.Abs(want[i])) {
			t.Fatalf("Q[%d] = %v, float64 %v", i, dst[i], want[i])
		}
	}
}
