// Command bandit trains MFPO on the two-optima bandit (gocore/envs) under
// both proposal mixes of docs/algorithm.md §4 and §4.1 ("ess", the
// paper's, and "balance") and several entropy targets, and reports how
// much policy mass ends near each optimum, with the diagnostics that say
// why a run keeps or loses a mode:
//
//   - the mode masses of the Boltzmann target ∝ exp(Q/α) of the learned
//     critic at the final α (by quadrature on a grid of actions): what
//     the ideal improved policy would hold;
//   - per flow time t, the velocity estimate of the actor step
//     (mfpo.Agent.ProbeVelocity) under both mixes on the same candidates:
//     the policy proposal's share of v̂ (λ for the ESS mix), both ESS
//     figures, and the error of the estimated E[a_0 | a_t] against the
//     same expectation by quadrature under the learned Q.
//
// go run -tags openblas ./bench/bandit [-seeds 3] [-steps 3000] [-out FILE];
// -smoke runs every setting once at toy sizes (seconds; the test does).
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/mfpo/mfpo/gocore/envs"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// options are the study's sizes.
type options struct {
	seeds      int
	steps      int       // environment steps (= updates + learning starts)
	targets    []float64 // entropy targets per dimension
	initAlpha  float64
	alphaLR    float64
	samples    int       // policy samples for the mode masses
	radius     float64   // "near an optimum": within this distance
	times      []float64 // flow times of the velocity probes
	probes     int       // probes per time
	grid       int       // quadrature points on [−1, 1]
	every      int       // steps between mass measurements during training
	small      bool      // toy networks (smoke)
	learnStart int
}

func defaults() options {
	return options{
		seeds: 3, steps: 3000, targets: []float64{-0.5, 0, 0.25}, initAlpha: 0.1, alphaLR: 3e-3,
		samples: 2000, radius: 0.25, times: []float64{0.1, 0.5, 0.9, 0.99}, probes: 200, grid: 2001,
		every: 500, learnStart: 1000,
	}
}

func smoke() options {
	o := defaults()
	o.seeds, o.steps, o.samples, o.probes, o.grid, o.every, o.small, o.learnStart = 1, 200, 200, 8, 201, 100, true, 100
	return o
}

// run is one training run's results.
type run struct {
	mix                mfpo.ProposalMix
	target             float64
	seed               uint64
	alpha, entropy     float64
	mass               [2]float64 // policy mass near +c, −c
	boltzmann          [2]float64 // the learned Boltzmann target's
	qGap               float64    // Q(+c) − Q(−c)
	reward             float64
	minority           []float64 // min(mass) during training
	probe              []probeStats
	seconds            float64
	essPolicy, essPost float64 // the last update's statistics
}

// probeStats averages the probes at one time, per mix (0: ess, 1: balance).
type probeStats struct {
	t                    float64
	share, ess1, ess2    [2]float64
	meanErr              [2]float64 // |Ê[a_0|a_t] − E_quad[a_0|a_t]|
	quadAbs              float64    // mean |E[a_0|a_t]| by quadrature
	estAbs               [2]float64 // mean |Ê[a_0|a_t]| per mix
	sameSideAsPolicyMode [2]float64 // fraction of probes whose Ê lies on the majority mode's side
}

var mixes = []mfpo.ProposalMix{mfpo.ESSMix, mfpo.BalanceMix}

func main() {
	o := defaults()
	smokeFlag := flag.Bool("smoke", false, "every setting once at toy sizes (seconds)")
	flag.IntVar(&o.seeds, "seeds", o.seeds, "seeds per setting")
	flag.IntVar(&o.steps, "steps", o.steps, "environment steps per run")
	out := flag.String("out", "", "also write the report (Markdown) to this file")
	flag.Parse()
	if *smokeFlag {
		s := smoke()
		o = s
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		w = io.MultiWriter(os.Stdout, f)
	}
	if err := study(w, o, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bandit:", err)
		os.Exit(1)
	}
}

// study runs every setting and writes the report to w, progress to log.
func study(w io.Writer, o options, log io.Writer) error {
	var runs []run
	start := time.Now()
	for _, target := range o.targets {
		for _, mix := range mixes {
			for s := 0; s < o.seeds; s++ {
				r, err := train(o, mix, target, uint64(s+1))
				if err != nil {
					return err
				}
				fmt.Fprintf(log, "%-7s H̄ %+5.2f seed %d: mass +c %.2f, −c %.2f; α %.3f; %.0f s\n",
					mix, target, r.seed, r.mass[0], r.mass[1], r.alpha, r.seconds)
				runs = append(runs, r)
			}
		}
	}
	report(w, o, runs, time.Since(start))
	return nil
}

func config(o options, mix mfpo.ProposalMix, target float64, seed uint64) mfpo.Config {
	cfg := mfpo.SmallConfig()
	if o.small {
		cfg.Hidden, cfg.TimeFeatures, cfg.TimeWidth = []int{16, 16}, 4, 8
		cfg.BatchSize, cfg.PolicySamples, cfg.PosteriorSamples = 16, 4, 8
	}
	cfg.VMin, cfg.VMax = -2, 2
	cfg.LearningStarts = o.learnStart
	cfg.TargetEntropyPerDim = target
	cfg.InitAlpha, cfg.AlphaLR = o.initAlpha, o.alphaLR
	cfg.ProposalMix = mix
	cfg.Seed = seed
	return cfg
}

func train(o options, mix mfpo.ProposalMix, target float64, seed uint64) (run, error) {
	r := run{mix: mix, target: target, seed: seed}
	env, err := envs.NewTwoOptimaBandit(envs.DefaultTwoOptimaBanditConfig())
	if err != nil {
		return r, err
	}
	a, err := mfpo.New(config(o, mix, target, seed), policy.Spaces{ObsDim: env.ObsDim(), ActDim: env.ActDim()})
	if err != nil {
		return r, err
	}
	defer a.Close()
	begin := time.Now()
	obs := []float32{1}
	err = mfpo.Train(a, env, o.steps, rand.New(rand.NewPCG(seed, 6)), func(e mfpo.Episode) bool {
		if e.Step%int64(o.every) == 0 && e.Step >= int64(o.learnStart) {
			m, _ := masses(a, env, obs, o.samples/4, o.radius, uint64(e.Step))
			r.minority = append(r.minority, min(m[0], m[1]))
		}
		r.entropy, r.essPolicy, r.essPost = float64(e.Stats.Entropy), float64(e.Stats.ESSPolicy), float64(e.Stats.ESSPosterior)
		return true
	})
	if err != nil {
		return r, err
	}
	r.seconds = time.Since(begin).Seconds()
	r.alpha = float64(a.Alpha())
	r.mass, r.reward = masses(a, env, obs, o.samples, o.radius, 1<<40)

	// The learned Q on a grid, and the Boltzmann target's mode masses.
	grid, q := criticGrid(a, obs, o.grid)
	opt := env.Optima()
	var z float64
	for i, g := range grid {
		p := math.Exp((float64(q[i]) - maxOf(q)) / r.alpha)
		z += p
		for k := range opt {
			if math.Abs(g-float64(opt[k][0])) < o.radius {
				r.boltzmann[k] += p
			}
		}
	}
	r.boltzmann[0], r.boltzmann[1] = r.boltzmann[0]/z, r.boltzmann[1]/z
	r.qGap = float64(q[nearest(grid, float64(opt[0][0]))] - q[nearest(grid, float64(opt[1][0]))])

	// The velocity estimate against quadrature, per t.
	major := 1.0 // the sign of the policy's majority mode
	if r.mass[1] > r.mass[0] {
		major = -1
	}
	prng := rand.New(rand.NewPCG(seed, 7))
	for _, t := range o.times {
		ps, err := a.ProbeVelocity(obs, t, o.probes, prng)
		if err != nil {
			return r, err
		}
		st := probeStats{t: t}
		n := float64(len(ps))
		for _, p := range ps {
			ref := quadMean(grid, q, r.alpha, float64(p.At[0]), p.T)
			st.quadAbs += math.Abs(ref) / n
			for k, m := range []mfpo.MixEstimate{p.ESS, p.Balance} {
				st.share[k] += m.PolicyShare / n
				st.ess1[k] += m.ESSPolicy / n
				st.ess2[k] += m.ESSPosterior / n
				st.meanErr[k] += math.Abs(float64(m.Mean[0])-ref) / n
				st.estAbs[k] += math.Abs(float64(m.Mean[0])) / n
				if float64(m.Mean[0])*major > 0 {
					st.sameSideAsPolicyMode[k] += 1 / n
				}
			}
		}
		r.probe = append(r.probe, st)
	}
	return r, nil
}

// masses samples n actions (policy.Sample, seeds from base) and returns the
// fraction within radius of each optimum and the mean reward.
func masses(a *mfpo.Agent, env *envs.TwoOptimaBandit, obs []float32, n int, radius float64, base uint64) ([2]float64, float64) {
	act := make([]float32, 1)
	var near [2]float64
	var reward float64
	opt := env.Optima()
	for i := 0; i < n; i++ {
		if err := a.Act(act, obs, 1, policy.Sample, base+uint64(i)); err != nil {
			panic(err) // a valid observation of the right width
		}
		reward += env.Reward(act) / float64(n)
		for k := range opt {
			if math.Abs(float64(act[0]-opt[k][0])) < radius {
				near[k] += 1 / float64(n)
			}
		}
	}
	return near, reward
}

// criticGrid returns n equally spaced actions on [−1, 1] and the online
// critics' Q there (the min of the two, as in the importance weights).
func criticGrid(a *mfpo.Agent, obs []float32, n int) ([]float64, []float32) {
	grid := make([]float64, n)
	act := make([]float32, n)
	for i := range grid {
		grid[i] = -1 + 2*float64(i)/float64(n-1)
		act[i] = float32(grid[i])
	}
	q := make([]float32, n)
	a.Critics.Values(q, obs, n, act, n)
	return grid, q
}

// quadMean is E[a_0 | a_t] under p*(a_0 | a_t) ∝ exp(Q(a_0)/α)·N(a_t;
// (1 − t)a_0, t²) on the grid (trapezoid rule).
func quadMean(grid []float64, q []float32, alpha, at, t float64) float64 {
	lw := make([]float64, len(grid))
	top := math.Inf(-1)
	for i, g := range grid {
		r := at - (1-t)*g
		lw[i] = float64(q[i])/alpha - r*r/(2*t*t)
		top = max(top, lw[i])
	}
	var z, m float64
	for i, g := range grid {
		p := math.Exp(lw[i] - top)
		if i == 0 || i == len(grid)-1 {
			p /= 2
		}
		z += p
		m += p * g
	}
	return m / z
}

func maxOf(q []float32) float64 {
	m := math.Inf(-1)
	for _, v := range q {
		m = max(m, float64(v))
	}
	return m
}

func nearest(grid []float64, x float64) int {
	best := 0
	for i, g := range grid {
		if math.Abs(g-x) < math.Abs(grid[best]-x) {
			best = i
		}
	}
	return best
}

// kept says whether a run kept both modes: at least 0.15 of the policy's
// mass near each optimum (the learning test's criterion).
func kept(m [2]float64) bool { return m[0] >= 0.15 && m[1] >= 0.15 }

func report(w io.Writer, o options, runs []run, took time.Duration) {
	fmt.Fprintf(w, "Two-optima bandit (optima ±0.6, bumps σ 0.15), small preset, v ∈ [−2, 2], %d steps (%d random, then one update per step), α from %g (Adam rate %g) towards H̄ = target·d; %d seed(s) per setting; %s in all.\n\n",
		o.steps, o.learnStart, o.initAlpha, o.alphaLR, o.seeds, took.Round(time.Second))
	fmt.Fprintf(w, "Policy mass within %g of each optimum (%d samples), mean ± sd over seeds; \"both kept\": runs with ≥ 0.15 near each. Boltzmann: the same masses of exp(Q/α) for the learned Q and final α.\n\n", o.radius, o.samples)
	fmt.Fprintln(w, "| mix | H̄ per dim | final α | policy mass near +0.6 | near −0.6 | both kept | Boltzmann target mass +0.6 / −0.6 | Q(+0.6) − Q(−0.6) | mean reward |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, target := range o.targets {
		for _, mix := range mixes {
			rs := filter(runs, mix, target)
			fmt.Fprintf(w, "| %s | %+g | %s | %s | %s | %d / %d | %s / %s | %s | %s |\n", mix, target,
				meanSD(rs, func(r run) float64 { return r.alpha }),
				meanSD(rs, func(r run) float64 { return r.mass[0] }), meanSD(rs, func(r run) float64 { return r.mass[1] }),
				count(rs, func(r run) bool { return kept(r.mass) }), len(rs),
				meanSD(rs, func(r run) float64 { return r.boltzmann[0] }), meanSD(rs, func(r run) float64 { return r.boltzmann[1] }),
				meanSD(rs, func(r run) float64 { return r.qGap }), meanSD(rs, func(r run) float64 { return r.reward }))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Per run: the smaller of the two mode masses during training (every", o.every, "steps), the learned Boltzmann target's masses and Q gap, the last update's ESS figures and entropy estimate Ĥ.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| mix | H̄ | seed | mass +/− | minority mass over training | Boltzmann +/− | Q(+0.6) − Q(−0.6) | Ĥ | ESS policy / posterior | α | seconds |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range runs {
		var traj []string
		for _, m := range r.minority {
			traj = append(traj, fmt.Sprintf("%.2f", m))
		}
		fmt.Fprintf(w, "| %s | %+g | %d | %.2f / %.2f | %s | %.2f / %.2f | %+.3f | %.2f | %.1f / %.1f | %.3f | %.0f |\n", r.mix, r.target, r.seed,
			r.mass[0], r.mass[1], strings.Join(traj, " "), r.boltzmann[0], r.boltzmann[1], r.qGap, r.entropy, r.essPolicy, r.essPost, r.alpha, r.seconds)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "The velocity estimate of the trained agents (%d probes per t; a_0 a policy sample, a_t = (1 − t)a_0 + tε), under both mixes on the same candidates, whichever mix trained the agent: the policy proposal's share of v̂ (λ for the ESS mix), the two ESS figures (the ESS mix: each proposal's own; balance: their shares of the combined ESS), |Ê[a_0|a_t] − E[a_0|a_t]| against quadrature under the learned Q, and the fraction of probes whose Ê[a_0|a_t] lies on the side of the policy's majority mode. Means over the setting's seeds.\n\n", o.probes)
	fmt.Fprintln(w, "| trained with | H̄ | t | share ess / balance | ESS ess (pol/post) | ESS balance (pol/post) | error ess / balance | mean abs E: quadrature / ess / balance | majority side ess / balance |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, target := range o.targets {
		for _, mix := range mixes {
			rs := filter(runs, mix, target)
			for i, t := range o.times {
				avg := func(f func(p probeStats) float64) float64 {
					var s float64
					for _, r := range rs {
						s += f(r.probe[i]) / float64(len(rs))
					}
					return s
				}
				fmt.Fprintf(w, "| %s | %+g | %g | %.2f / %.2f | %.1f / %.1f | %.1f / %.1f | %.3f / %.3f | %.2f / %.2f / %.2f | %.2f / %.2f |\n", mix, target, t,
					avg(func(p probeStats) float64 { return p.share[0] }), avg(func(p probeStats) float64 { return p.share[1] }),
					avg(func(p probeStats) float64 { return p.ess1[0] }), avg(func(p probeStats) float64 { return p.ess2[0] }),
					avg(func(p probeStats) float64 { return p.ess1[1] }), avg(func(p probeStats) float64 { return p.ess2[1] }),
					avg(func(p probeStats) float64 { return p.meanErr[0] }), avg(func(p probeStats) float64 { return p.meanErr[1] }),
					avg(func(p probeStats) float64 { return p.quadAbs }), avg(func(p probeStats) float64 { return p.estAbs[0] }), avg(func(p probeStats) float64 { return p.estAbs[1] }),
					avg(func(p probeStats) float64 { return p.sameSideAsPolicyMode[0] }), avg(func(p probeStats) float64 { return p.sameSideAsPolicyMode[1] }))
			}
		}
	}
}

func filter(runs []run, mix mfpo.ProposalMix, target float64) []run {
	var out []run
	for _, r := range runs {
		if r.mix == mix && r.target == target {
			out = append(out, r)
		}
	}
	return out
}

func meanSD(rs []run, f func(run) float64) string {
	var s, sq float64
	for _, r := range rs {
		s += f(r)
	}
	m := s / float64(len(rs))
	for _, r := range rs {
		sq += (f(r) - m) * (f(r) - m)
	}
	if len(rs) < 2 {
		return fmt.Sprintf("%.2f", m)
	}
	return fmt.Sprintf("%.2f ± %.2f", m, math.Sqrt(sq/float64(len(rs)-1)))
}

func count(rs []run, f func(run) bool) int {
	n := 0
	for _, r := range rs {
		if f(r) {
			n++
		}
	}
	return n
}
