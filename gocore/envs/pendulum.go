package envs

import (
	"math"
	"math/rand/v2"
)

// Pendulum-v1 constants (Gymnasium's defaults).
const (
	PendulumMaxSpeed  = 8.0  // |θdot| is clipped to this after every update
	PendulumMaxTorque = 2.0  // torque u = PendulumMaxTorque·clip(a, −1, 1)
	PendulumDt        = 0.05 // integration step (s)
	PendulumG         = 10.0 // gravity
	PendulumM         = 1.0  // mass
	PendulumL         = 1.0  // length
	PendulumMaxSteps  = 200  // episodes are truncated after this many steps
)

// Pendulum is Gymnasium's Pendulum-v1: swing a frictionless pendulum up and
// keep it upright. The state is (θ, θdot) with θ = 0 upright; θ is not
// wrapped (only the reward and the observation see it through angles).
//
// Observation [cos θ, sin θ, θdot] (ObsDim 3); action a ∈ [−1, 1]
// (ActDim 1), torque u = 2·clip(a, −1, 1). One Step, from the state before
// the update:
//
//	reward  = −(angle_normalize(θ)² + 0.1·θdot² + 0.001·u²)
//	θdot'   = clip(θdot + (3g/(2l)·sin θ + 3/(m l²)·u)·dt, −8, 8)
//	θ'      = θ + θdot'·dt
//
// with angle_normalize(x) = ((x + π) mod 2π) − π ∈ [−π, π). Reset draws
// θ ~ U(−π, π), θdot ~ U(−1, 1). Episodes never terminate; they are
// truncated after PendulumMaxSteps steps. Rewards lie in [−16.2736044, 0].
// The state is float64; observations are rounded to float32.
type Pendulum struct {
	theta, thetaDot float64
	steps           int
	active          bool // between Reset and the end of the episode
	obs             [3]float32
}

// NewPendulum returns a Pendulum; call Reset before Step.
func NewPendulum() *Pendulum { return &Pendulum{} }

// ObsDim returns 3.
func (p *Pendulum) ObsDim() int { return 3 }

// ActDim returns 1.
func (p *Pendulum) ActDim() int { return 1 }

// Reset draws θ ~ U(−π, π) then θdot ~ U(−1, 1) from rng and returns
// [cos θ, sin θ, θdot].
func (p *Pendulum) Reset(rng *rand.Rand) []float32 {
	if rng == nil {
		panic(msgNilRNG)
	}
	theta := math.Pi * (2*rng.Float64() - 1)
	thetaDot := 2*rng.Float64() - 1
	return p.SetState(theta, thetaDot)
}

// SetState starts an episode from the given state (θ in radians, θ = 0
// upright; θdot in rad/s) and returns its observation. It is Reset with a
// chosen start, for tests and deterministic evaluation.
func (p *Pendulum) SetState(theta, thetaDot float64) []float32 {
	p.theta, p.thetaDot = theta, thetaDot
	p.steps = 0
	p.active = true
	return p.observe()
}

// State returns the current (θ, θdot), θ unwrapped.
func (p *Pendulum) State() (theta, thetaDot float64) { return p.theta, p.thetaDot }

// Step applies torque 2·clip(act[0], −1, 1) for one dt; see Pendulum for the
// equations. truncated is true on the PendulumMaxSteps-th step of an
// episode; terminated is always false.
func (p *Pendulum) Step(act []float32) (obs []float32, reward float64, terminated, truncated bool) {
	if len(act) != 1 {
		panic(msgActLen)
	}
	u := PendulumMaxTorque * clip1(act[0])
	if !p.active {
		panic(msgNotReset)
	}
	th, thd := p.theta, p.thetaDot
	an := AngleNormalize(th)
	reward = -(an*an + 0.1*thd*thd + 0.001*u*u)

	thd += (3*PendulumG/(2*PendulumL)*math.Sin(th) + 3/(PendulumM*PendulumL*PendulumL)*u) * PendulumDt
	thd = math.Max(-PendulumMaxSpeed, math.Min(PendulumMaxSpeed, thd))
	p.theta = th + thd*PendulumDt
	p.thetaDot = thd

	p.steps++
	truncated = p.steps >= PendulumMaxSteps
	if truncated {
		p.active = false
	}
	return p.observe(), reward, false, truncated
}

func (p *Pendulum) observe() []float32 {
	p.obs[0] = float32(math.Cos(p.theta))
	p.obs[1] = float32(math.Sin(p.theta))
	p.obs[2] = float32(p.thetaDot)
	return p.obs[:]
}

// AngleNormalize maps x to [−π, π): ((x + π) mod 2π) − π with a
// non-negative (floored, Python-style) modulo.
func AngleNormalize(x float64) float64 {
	m := math.Mod(x+math.Pi, 2*math.Pi)
	if m < 0 {
		m += 2 * math.Pi
	}
	return m - math.Pi
}
