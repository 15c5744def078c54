package envs

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refPendulum is an independent float64 Pendulum-v1 step, written from the
// Gymnasium equations without sharing code with pendulum.go.
func refPendulum(th, thd float64, a float32) (nth, nthd, r float64) {
	u := float64(a)
	if u > 1 {
		u = 1
	} else if u < -1 {
		u = -1
	}
	u *= 2
	// Floored modulo written as x − 2π·floor((x+π)/2π).
	an := th - 2*math.Pi*math.Floor((th+math.Pi)/(2*math.Pi))
	r = -(an*an + 0.1*thd*thd + 0.001*u*u)
	const g, m, l, dt = 10.0, 1.0, 1.0, 0.05
	nthd = thd + (3*g/(2*l)*math.Sin(th)+3.0/(m*l*l)*u)*dt
	if nthd > 8 {
		nthd = 8
	}
	if nthd < -8 {
		nthd = -8
	}
	nth = th + nthd*dt
	return
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

func checkObs(t *testing.T, obs []float32, th, thd float64) {
	t.Helper()
	if len(obs) != 3 {
		t.Fatalf("obs len %d, want 3", len(obs))
	}
	want := [3]float32{float32(math.Cos(th)), float32(math.Sin(th)), float32(thd)}
	for i := range want {
		if !near(float64(obs[i]), float64(want[i]), 1e-6) {
			t.Fatalf("obs[%d] = %v, want %v (θ=%v θdot=%v)", i, obs[i], want[i], th, thd)
		}
	}
}

func TestPendulumUprightAtRestStaysPut(t *testing.T) {
	p := NewPendulum()
	obs := p.SetState(0, 0)
	checkObs(t, obs, 0, 0)
	for i := 0; i < 10; i++ {
		obs, r, term, trunc := p.Step([]float32{0})
		if r != 0 || term || trunc {
			t.Fatalf("step %d: r=%v term=%v trunc=%v, want 0 false false", i, r, term, trunc)
		}
		if obs[0] != 1 || obs[1] != 0 || obs[2] != 0 {
			t.Fatalf("step %d: obs %v, want [1 0 0]", i, obs)
		}
	}
	if th, thd := p.State(); th != 0 || thd != 0 {
		t.Fatalf("state (%v, %v), want (0, 0)", th, thd)
	}
}

func TestPendulumHangingReward(t *testing.T) {
	// θ = π is hanging down: cost π², and with sin π ≈ 1.2e-16 it barely moves.
	p := NewPendulum()
	p.SetState(math.Pi, 0)
	obs, r, _, _ := p.Step([]float32{0})
	if !near(r, -math.Pi*math.Pi, 1e-15) {
		t.Fatalf("reward %v, want −π² = %v", r, -math.Pi*math.Pi)
	}
	if th, thd := p.State(); math.Abs(th-math.Pi) > 1e-15 || math.Abs(thd) > 1e-14 {
		t.Fatalf("state (%v, %v), want ≈ (π, 0)", th, thd)
	}
	if obs[0] != -1 || math.Abs(float64(obs[1])) > 1e-7 {
		t.Fatalf("obs %v, want ≈ [−1 0 0]", obs)
	}
}

func TestPendulumHandComputedStep(t *testing.T) {
	// θ = π/2 (horizontal), θdot = 0, a = 0.5 → u = 1.
	// reward = −((π/2)² + 0 + 0.001·1) = −2.4684011002723395
	// θdot' = (15·sin(π/2) + 3·1)·0.05 = 0.9
	// θ'    = π/2 + 0.9·0.05 = π/2 + 0.045
	// obs   = [cos θ', sin θ', θdot'] = [−sin 0.045, cos 0.045, 0.9]
	//       ≈ [−0.0449848140, 0.9989876702, 0.9]
	p := NewPendulum()
	p.SetState(math.Pi/2, 0)
	obs, r, term, trunc := p.Step([]float32{0.5})
	if !near(r, -2.4684011002723395, 1e-14) {
		t.Fatalf("reward %.17g, want −2.4684011002723395", r)
	}
	if term || trunc {
		t.Fatalf("term=%v trunc=%v after one step", term, trunc)
	}
	th, thd := p.State()
	if !near(thd, 0.9, 1e-14) || !near(th, math.Pi/2+0.045, 1e-14) {
		t.Fatalf("state (%.17g, %.17g), want (π/2+0.045, 0.9)", th, thd)
	}
	want := []float64{-0.0449848140, 0.9989876702, 0.9}
	for i := range want {
		if math.Abs(float64(obs[i])-want[i]) > 1e-7 {
			t.Fatalf("obs[%d] = %.9f, want %.9f", i, obs[i], want[i])
		}
	}
}

func TestPendulumRewardUsesPreStepState(t *testing.T) {
	// From θ = 0, θdot = 3, a = 0 the pre-step cost is 0.1·9 = 0.9; the
	// post-step state (θ' = 0.15, θdot' = 3) would cost 0.9225.
	p := NewPendulum()
	p.SetState(0, 3)
	_, r, _, _ := p.Step([]float32{0})
	if !near(r, -0.9, 1e-15) {
		t.Fatalf("reward %v, want −0.9 (pre-step state)", r)
	}
	// From θ = 1, θdot = −2, a = −1: −(1 + 0.4 + 0.004).
	p.SetState(1, -2)
	_, r, _, _ = p.Step([]float32{-1})
	if !near(r, -1.404, 1e-15) {
		t.Fatalf("reward %v, want −1.404", r)
	}
}

func TestPendulumMatchesReference(t *testing.T) {
	starts := [][2]float64{{0.3, -0.7}, {-2.9, 1}, {math.Pi, 0.5}, {7.5, -6}, {-10, 7.9}}
	for _, s := range starts {
		p := NewPendulum()
		th, thd := s[0], s[1]
		p.SetState(th, thd)
		for k := 0; k < 60; k++ {
			a := float32(1.7 * math.Sin(0.37*float64(k)+th)) // sweeps beyond ±1 too
			obs, r, term, trunc := p.Step([]float32{a})
			var rr float64
			th, thd, rr = refPendulum(th, thd, a)
			if term || trunc {
				t.Fatalf("start %v step %d: term=%v trunc=%v", s, k, term, trunc)
			}
			if !near(r, rr, 1e-12) {
				t.Fatalf("start %v step %d: reward %.17g, reference %.17g", s, k, r, rr)
			}
			gth, gthd := p.State()
			if !near(gth, th, 1e-12) || !near(gthd, thd, 1e-12) {
				t.Fatalf("start %v step %d: state (%v, %v), reference (%v, %v)", s, k, gth, gthd, th, thd)
			}
			checkObs(t, obs, th, thd)
		}
	}
}

func TestPendulumSpeedClipping(t *testing.T) {
	p := NewPendulum()
	// θ = π/2, θdot = 7.9, a = 1: 7.9 + (15 + 6)·0.05 = 8.95 → 8.
	p.SetState(math.Pi/2, 7.9)
	obs, _, _, _ := p.Step([]float32{1})
	th, thd := p.State()
	if thd != 8 || obs[2] != 8 {
		t.Fatalf("θdot %v (obs %v), want clipped to 8", thd, obs[2])
	}
	if !near(th, math.Pi/2+0.4, 1e-15) {
		t.Fatalf("θ %v, want π/2 + 8·0.05 (uses the clipped speed)", th)
	}
	p.SetState(-math.Pi/2, -7.9)
	obs, _, _, _ = p.Step([]float32{-1})
	th, thd = p.State()
	if thd != -8 || obs[2] != -8 || !near(th, -math.Pi/2-0.4, 1e-15) {
		t.Fatalf("state (%v, %v), want (−π/2−0.4, −8)", th, thd)
	}
	// The observed speed never leaves ±8 under maximal torque.
	p.SetState(0.1, 0)
	for k := 0; k < 150; k++ {
		obs, _, _, _ = p.Step([]float32{1})
		if math.Abs(float64(obs[2])) > 8 {
			t.Fatalf("step %d: |θdot| = %v > 8", k, obs[2])
		}
	}
}

func TestPendulumActionClipping(t *testing.T) {
	for _, c := range []struct{ big, edge float32 }{{5, 1}, {1.0001, 1}, {-3, -1}, {float32(math.Inf(1)), 1}, {float32(math.Inf(-1)), -1}} {
		p, q := NewPendulum(), NewPendulum()
		p.SetState(0.4, -1.2)
		q.SetState(0.4, -1.2)
		op, rp, _, _ := p.Step([]float32{c.big})
		oq, rq, _, _ := q.Step([]float32{c.edge})
		if rp != rq || op[0] != oq[0] || op[1] != oq[1] || op[2] != oq[2] {
			t.Fatalf("a=%v: (%v, %v) differs from a=%v: (%v, %v)", c.big, op, rp, c.edge, oq, rq)
		}
	}
	// The torque penalty sees the clipped torque: u = 2 → 0.001·4.
	p := NewPendulum()
	p.SetState(0, 0)
	_, r, _, _ := p.Step([]float32{10})
	if !near(r, -0.004, 1e-15) {
		t.Fatalf("reward %v, want −0.004", r)
	}
	// The caller's action is not modified.
	act := []float32{7}
	p.SetState(0, 0)
	p.Step(act)
	if act[0] != 7 {
		t.Fatalf("action mutated to %v", act[0])
	}
}

func TestPendulumTruncationAndReset(t *testing.T) {
	p := NewPendulum()
	rng := rand.New(rand.NewPCG(1, 2))
	for ep := 0; ep < 3; ep++ {
		p.Reset(rng)
		for k := 1; k <= PendulumMaxSteps; k++ {
			_, _, term, trunc := p.Step([]float32{0.3})
			if term {
				t.Fatalf("episode %d step %d: terminated", ep, k)
			}
			if trunc != (k == PendulumMaxSteps) {
				t.Fatalf("episode %d step %d: truncated=%v", ep, k, trunc)
			}
		}
		mustPanic(t, msgNotReset, func() { p.Step([]float32{0}) })
	}
	if PendulumMaxSteps != 200 {
		t.Fatalf("PendulumMaxSteps = %d, want 200", PendulumMaxSteps)
	}
	// SetState also starts a fresh 200-step episode mid-episode.
	p.Reset(rng)
	for k := 0; k < 150; k++ {
		p.Step([]float32{0})
	}
	p.SetState(0, 0)
	for k := 1; k <= PendulumMaxSteps; k++ {
		if _, _, _, trunc := p.Step([]float32{0}); trunc != (k == PendulumMaxSteps) {
			t.Fatalf("after SetState, step %d: truncated=%v", k, trunc)
		}
	}
}

func TestPendulumReset(t *testing.T) {
	p := NewPendulum()
	rng := rand.New(rand.NewPCG(7, 7))
	var minTh, maxTh, minV, maxV = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i := 0; i < 2000; i++ {
		obs := p.Reset(rng)
		th, thd := p.State()
		if th < -math.Pi || th >= math.Pi || thd < -1 || thd >= 1 {
			t.Fatalf("reset state (%v, %v) outside [−π,π)×[−1,1)", th, thd)
		}
		checkObs(t, obs, th, thd)
		minTh, maxTh = math.Min(minTh, th), math.Max(maxTh, th)
		minV, maxV = math.Min(minV, thd), math.Max(maxV, thd)
	}
	if minTh > -3 || maxTh < 3 || minV > -0.95 || maxV < 0.95 {
		t.Fatalf("reset ranges θ [%v, %v], θdot [%v, %v] do not cover U(−π,π)×U(−1,1)", minTh, maxTh, minV, maxV)
	}
	// Same seed, same actions → bit-identical episode.
	run := func() []float64 {
		p := NewPendulum()
		rng := rand.New(rand.NewPCG(3, 4))
		var out []float64
		obs := p.Reset(rng)
		for k := 0; k < 50; k++ {
			out = append(out, float64(obs[0]), float64(obs[1]), float64(obs[2]))
			var r float64
			obs, r, _, _ = p.Step([]float32{float32(rng.Float64()*2 - 1)})
			out = append(out, r)
		}
		return out
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("episodes differ at %d: %v vs %v", i, a[i], b[i])
		}
	}
}

func TestPendulumMisuse(t *testing.T) {
	p := NewPendulum()
	mustPanic(t, msgNotReset, func() { p.Step([]float32{0}) })
	mustPanic(t, msgNilRNG, func() { p.Reset(nil) })
	p.SetState(0, 0)
	mustPanic(t, msgActLen, func() { p.Step(nil) })
	mustPanic(t, msgActLen, func() { p.Step([]float32{0, 0}) })
	mustPanic(t, msgActNaN, func() { p.Step([]float32{float32(math.NaN())}) })
	if th, thd := p.State(); th != 0 || thd != 0 {
		t.Fatalf("state changed by a rejected step: (%v, %v)", th, thd)
	}
}

func TestPendulumStepAllocatesNothing(t *testing.T) {
	p := NewPendulum()
	rng := rand.New(rand.NewPCG(1, 1))
	act := []float32{0.2}
	p.Reset(rng)
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, _, trunc := p.Step(act); trunc {
			p.Reset(rng)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per Step", allocs)
	}
}

func TestAngleNormalize(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{0, 0}, {1, 1}, {-1, -1}, {math.Pi, -math.Pi}, {-math.Pi, -math.Pi},
		{3 * math.Pi, -math.Pi}, {2*math.Pi + 0.1, 0.1}, {-2*math.Pi - 0.1, -0.1},
		{4, 4 - 2*math.Pi}, {-4, 2*math.Pi - 4}, {100, 100 - 32*math.Pi},
	} {
		if got := AngleNormalize(c.x); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("AngleNormalize(%v) = %.17g, want %.17g", c.x, got, c.want)
		}
	}
}

func mustPanic(t *testing.T, msg string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want %q", msg)
		}
		if r != msg {
			t.Fatalf("panic %v, want %q", r, msg)
		}
	}()
	f()
}
