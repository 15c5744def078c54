package checkpoint

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/mfpo/mfpo/gocore/checkpoint/internal/fb"
	"github.com/mfpo/mfpo/gocore/flow"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
	"github.com/mfpo/mfpo/gocore/replay"
)

// decoder holds a verified checkpoint and what open read from it.
type decoder struct {
	root      *fb.Checkpoint
	info      *Info
	replayPos int
}

func formatErr(format string, args ...any) error {
	return &FormatError{Reason: fmt.Sprintf(format, args...)}
}

func missing(path string) error { return formatErr("%s is missing", path) }

// open verifies the buffer (its checksum too when checksum is true) and
// reads and checks the header, the config and the spaces.
func open(data []byte, checksum bool) (*decoder, error) {
	if err := verifyBuffer(data); err != nil {
		return nil, err
	}
	at, ok := checksumAt(data)
	if !ok {
		return nil, missing("Checkpoint.checksum")
	}
	if checksum {
		if err := verifyChecksum(data, at); err != nil {
			return nil, err
		}
	}
	root := fb.GetRootAsCheckpoint(data, 0)
	switch v := root.FormatVersion(); {
	case v == 0:
		return nil, formatErr("Checkpoint.format_version is missing or 0, want a version from 1 to %d", Version)
	case v > Version:
		return nil, &VersionError{Version: v}
	}
	kind := Kind(root.Kind())
	if kind != Full && kind != PolicyOnly {
		return nil, formatErr("Checkpoint.kind = %d, want %d (full) or %d (policy-only)", uint8(kind), Full, PolicyOnly)
	}
	c := root.Config(nil)
	if c == nil {
		return nil, missing("Checkpoint.config")
	}
	cfg, err := configFrom(c)
	if err != nil {
		return nil, err
	}
	sp := root.Spaces(nil)
	if sp == nil {
		return nil, missing("Checkpoint.spaces")
	}
	info := &Info{Version: root.FormatVersion(), Kind: kind, Producer: string(root.Producer()), Config: cfg,
		Updates: root.Updates(), Stored: root.Stored()}
	if info.Spaces, err = spacesFrom(sp); err != nil {
		return nil, err
	}
	if info.Updates < 0 || info.Stored < 0 {
		return nil, formatErr("Checkpoint.updates = %d, stored = %d, want ≥ 0", info.Updates, info.Stored)
	}
	if r := root.Replay(nil); r != nil {
		if kind == PolicyOnly {
			return nil, formatErr("a policy-only checkpoint holds a replay buffer")
		}
		n, capacity, pos := r.Len(), r.Capacity(), r.Pos()
		if capacity != int64(cfg.BufferSize) {
			return nil, formatErr("Checkpoint.replay.capacity = %d, want Config.buffer_size = %d", capacity, cfg.BufferSize)
		}
		if n < 0 || n > capacity || pos < 0 || pos >= capacity || (n < capacity && pos != n) {
			return nil, formatErr("Checkpoint.replay: pos %d, len %d is not a state of a ring of capacity %d", pos, n, capacity)
		}
		if n > info.Stored {
			return nil, formatErr("Checkpoint.replay.len = %d exceeds the transitions ever stored, %d", n, info.Stored)
		}
		info.Replay, info.ReplayLen = true, int(n)
		return &decoder{root: root, info: info, replayPos: int(pos)}, nil
	}
	return &decoder{root: root, info: info}, nil
}

// configFrom reads and validates the config.
func configFrom(c *fb.Config) (mfpo.Config, error) {
	ts := c.TimeSampler(nil)
	if ts == nil {
		return mfpo.Config{}, missing("Checkpoint.config.time_sampler")
	}
	cfg := mfpo.Config{
		Hidden:       make([]int, c.HiddenLength()),
		TimeFeatures: int(c.TimeFeatures()), TimeWidth: int(c.TimeWidth()),
		Steps: int(c.Steps()),
		Atoms: int(c.Atoms()), VMin: c.VMin(), VMax: c.VMax(), Gamma: c.Gamma(), Tau: c.Tau(),
		ClippedDoubleQ: c.ClippedDoubleQ(),
		PolicySamples:  int(c.PolicySamples()), PosteriorSamples: int(c.PosteriorSamples()),
		TimeGuard:   c.TimeGuard(),
		TimeSampler: flow.TimeSampler{Mean: ts.Mean(), Std: ts.Std(), FlowMatchingRatio: ts.FlowMatchingRatio(), Uniform: ts.Uniform()},
		Probes:      int(c.Probes()), ExactTrace: c.ExactTrace(),
		InitAlpha: c.InitAlpha(), TargetEntropyPerDim: c.TargetEntropyPerDim(),
		ActorLR: c.ActorLr(), ADNLR: c.AdnLr(), CriticLR: c.CriticLr(), AlphaLR: c.AlphaLr(),
		BatchSize:  int(c.BatchSize()),
		BufferSize: int(c.BufferSize()), LearningStarts: int(c.LearningStarts()), EvalCandidates: int(c.EvalCandidates()),
		Seed: c.Seed(), Shards: int(c.Shards()),
		ProposalMix: mfpo.ProposalMix(cmp.Or(string(c.ProposalMix()), string(mfpo.ESSMix))), // absent: before the option
	}
	for i := range cfg.Hidden {
		cfg.Hidden[i] = int(c.Hidden(i))
	}
	if int64(cfg.BufferSize) != c.BufferSize() || int64(cfg.LearningStarts) != c.LearningStarts() {
		return cfg, formatErr("Checkpoint.config: buffer_size %d or learning_starts %d does not fit an int", c.BufferSize(), c.LearningStarts())
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &FormatError{Reason: "Checkpoint.config is invalid", Err: err}
	}
	return cfg, nil
}

// spacesFrom reads and checks the spaces, filling in ObsShape when the
// file leaves it out.
func spacesFrom(sp *fb.Spaces) (s policy.Spaces, err error) {
	s.ObsDim, s.ActDim = int(sp.ObsDim()), int(sp.ActDim())
	if s.ObsDim < 1 || s.ActDim < 1 {
		return s, formatErr("Checkpoint.spaces: obs_dim %d, act_dim %d, want ≥ 1", s.ObsDim, s.ActDim)
	}
	s.ObsShape = []int{s.ObsDim}
	if n := sp.ObsShapeLength(); n > 0 {
		s.ObsShape = make([]int, n)
		for i := range s.ObsShape {
			s.ObsShape[i] = int(sp.ObsShape(i))
		}
	}
	// The bounds are required: their lengths, bounded by the file, are
	// checked before act_dim floats are allocated.
	t := sp.Table()
	low, okL := vectorBytes(t, spacesDef.slot("act_low"), 4)
	high, okH := vectorBytes(t, spacesDef.slot("act_high"), 4)
	switch {
	case !okL || !okH:
		return s, missing("Checkpoint.spaces.act_low or act_high")
	case len(low) != 4*s.ActDim || len(high) != 4*s.ActDim:
		return s, formatErr("Checkpoint.spaces: act_low has %d and act_high %d floats, want act_dim = %d each", len(low)/4, len(high)/4, s.ActDim)
	}
	s.Low, s.High = make([]float32, s.ActDim), make([]float32, s.ActDim)
	decodeFloats(s.Low, low)
	decodeFloats(s.High, high)
	s.ObsSpace = string(sp.ObsSpace())
	if err := s.Validate(); err != nil {
		return s, &FormatError{Reason: "Checkpoint.spaces are invalid", Err: err}
	}
	return s, nil
}

// tensor is a verified float vector, not yet decoded.
type tensor struct {
	path string
	raw  []byte
}

// floats returns the float vector field of t, which must hold want
// elements; why says where want comes from, for the error.
func floats(t flatbuffers.Table, def *tableDef, field, path string, want int, why string) (tensor, error) {
	path += "." + field
	raw, ok := vectorBytes(t, def.slot(field), 4)
	if !ok {
		return tensor{}, missing(path)
	}
	if len(raw) != 4*want {
		return tensor{}, formatErr("%s has %d floats, want %d (%s)", path, len(raw)/4, want, why)
	}
	return tensor{path, raw}, nil
}

// decode copies the tensor into dst and checks that it is finite.
func (x tensor) decode(dst []float32) error {
	decodeFloats(dst, x.raw)
	if i := firstNonFinite(dst); i >= 0 {
		return formatErr("%s[%d] = %v, want a finite number", x.path, i, dst[i])
	}
	return nil
}

// network checks a stored network against the shape the config implies
// and returns its parameter tensor.
func network(n *fb.Network, path string, want nn.Spec) (tensor, error) {
	if n == nil {
		return tensor{}, missing(path)
	}
	s := n.Spec(nil)
	if s == nil {
		return tensor{}, missing(path + ".spec")
	}
	got := nn.Spec{Inputs: int32s(s.InputsLength(), s.Inputs), Times: int(s.Times()), Hidden: int32s(s.HiddenLength(), s.Hidden),
		Out: int(s.Out()), LayerNorm: s.LayerNorm(), TimeFeatures: int(s.TimeFeatures()), TimeWidth: int(s.TimeWidth())}
	if !specEqual(got, want) {
		return tensor{}, formatErr("%s.spec is %s, but the config and spaces imply %s", path, specString(got), specString(want))
	}
	np := mfpo.NumParams(want)
	return floats(n.Table(), networkDef, "params", path, np, fmt.Sprintf("the parameters of %s", specString(want)))
}

func int32s(n int, at func(int) int32) []int {
	x := make([]int, n)
	for i := range x {
		x[i] = int(at(i))
	}
	return x
}

func specEqual(a, b nn.Spec) bool {
	return slices.Equal(a.Inputs, b.Inputs) && a.Times == b.Times && slices.Equal(a.Hidden, b.Hidden) && a.Out == b.Out &&
		a.LayerNorm == b.LayerNorm && a.TimeFeatures == b.TimeFeatures && a.TimeWidth == b.TimeWidth
}

func specString(s nn.Spec) string {
	str := fmt.Sprintf("inputs %v, hidden %v, out %d, layer norm %v", s.Inputs, s.Hidden, s.Out, s.LayerNorm)
	if s.Times > 0 || s.TimeFeatures != 0 || s.TimeWidth != 0 {
		str += fmt.Sprintf(", %d times (F %d, width %d)", s.Times, s.TimeFeatures, s.TimeWidth)
	}
	return str
}

// adamState is a verified Adam table.
type adamState struct {
	path                  string
	lr, beta1, beta2, eps float64
	steps                 int64
	m, v                  tensor
}

func adam(o *fb.Adam, path string, n int, of string) (adamState, error) {
	if o == nil {
		return adamState{}, missing(path)
	}
	s := adamState{path: path, lr: o.Lr(), beta1: o.Beta1(), beta2: o.Beta2(), eps: o.Eps(), steps: o.Steps()}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case !(s.lr > 0) || !finite(s.lr):
		return s, formatErr("%s.lr = %v, want a finite learning rate > 0", path, s.lr)
	case !(s.beta1 >= 0 && s.beta1 < 1) || !(s.beta2 >= 0 && s.beta2 < 1):
		return s, formatErr("%s: beta1 = %v, beta2 = %v, want each in [0, 1)", path, s.beta1, s.beta2)
	case !(s.eps >= 0) || !finite(s.eps):
		return s, formatErr("%s.eps = %v, want finite ≥ 0", path, s.eps)
	case s.steps < 0:
		return s, formatErr("%s.steps = %d, want ≥ 0", path, s.steps)
	}
	why := fmt.Sprintf("one per parameter of %s", of)
	var err error
	if s.m, err = floats(o.Table(), adamDef, "m", path, n, why); err != nil {
		return s, err
	}
	s.v, err = floats(o.Table(), adamDef, "v", path, n, why)
	return s, err
}

// restore writes the state into opt.
func (s adamState) restore(opt *nn.Adam[float32]) error {
	if err := s.m.decode(opt.M); err != nil {
		return err
	}
	if err := s.v.decode(opt.V); err != nil {
		return err
	}
	for i, x := range opt.V {
		if x < 0 {
			return formatErr("%s.v[%d] = %v, want ≥ 0 (a second moment)", s.path, i, x)
		}
	}
	opt.LR, opt.Beta1, opt.Beta2, opt.Eps, opt.Steps = s.lr, s.beta1, s.beta2, s.eps, s.steps
	return nil
}

// twoNetworks reads a vector of exactly two networks.
func twoNetworks(length int, at func(*fb.Network, int) bool, path string, want nn.Spec) ([2]tensor, error) {
	var t [2]tensor
	if length != 2 {
		return t, formatErr("%s has %d networks, want 2", path, length)
	}
	for k := range t {
		var n fb.Network
		at(&n, k)
		var err error
		if t[k], err = network(&n, fmt.Sprintf("%s[%d]", path, k), want); err != nil {
			return t, err
		}
	}
	return t, nil
}

// fullState is a Full checkpoint's training state, verified against
// the config but not yet decoded.
type fullState struct {
	policy, adn                 tensor
	critics, targets            [2]tensor
	policyOpt, adnOpt, alphaOpt adamState
	criticOpts                  [2]adamState
	logAlpha                    float32
	rng                         *fb.Pcg
	replay                      [5]tensor
}

// full checks every tensor of a Full checkpoint against the config, and
// the memory the agent needs against lim, before anything is allocated.
func (d *decoder) full(lim Limits) (*fullState, error) {
	info, root := d.info, d.root
	if info.Kind != Full {
		return nil, formatErr("this is a %v checkpoint, without the training state; load it as a policy (mfpo.Policy.load in Python, mfpo_policy_load in C, checkpoint.LoadPolicy in Go)", info.Kind)
	}
	cfg, obs, act := info.Config, info.Spaces.ObsDim, info.Spaces.ActDim
	ps, ds, cs := mfpo.Specs(cfg, obs, act)
	np, nd, nc := mfpo.NumParams(ps), mfpo.NumParams(ds), mfpo.NumParams(cs)
	s := &fullState{}
	var err error
	if s.policy, err = network(root.Policy(nil), "Checkpoint.policy", ps); err != nil {
		return nil, err
	}
	if s.adn, err = network(root.Adn(nil), "Checkpoint.adn", ds); err != nil {
		return nil, err
	}
	if s.critics, err = twoNetworks(root.CriticsLength(), root.Critics, "Checkpoint.critics", cs); err != nil {
		return nil, err
	}
	if s.targets, err = twoNetworks(root.TargetCriticsLength(), root.TargetCritics, "Checkpoint.target_critics", cs); err != nil {
		return nil, err
	}
	if s.policyOpt, err = adam(root.PolicyOpt(nil), "Checkpoint.policy_opt", np, "the policy"); err != nil {
		return nil, err
	}
	if s.adnOpt, err = adam(root.AdnOpt(nil), "Checkpoint.adn_opt", nd, "the ADN"); err != nil {
		return nil, err
	}
	if n := root.CriticOptsLength(); n != 2 {
		return nil, formatErr("Checkpoint.critic_opts has %d optimisers, want 2", n)
	}
	for k := range s.criticOpts {
		var o fb.Adam
		root.CriticOpts(&o, k)
		if s.criticOpts[k], err = adam(&o, fmt.Sprintf("Checkpoint.critic_opts[%d]", k), nc, "a critic"); err != nil {
			return nil, err
		}
	}
	if s.alphaOpt, err = adam(root.AlphaOpt(nil), "Checkpoint.alpha_opt", 1, "log α"); err != nil {
		return nil, err
	}
	s.logAlpha = root.LogAlpha()
	if firstNonFinite([]float32{s.logAlpha}) >= 0 {
		return nil, formatErr("Checkpoint.log_alpha = %v, want a finite number", s.logAlpha)
	}
	if s.rng = root.Rng(nil); s.rng == nil {
		return nil, missing("Checkpoint.rng")
	}
	if info.Replay {
		r := root.Replay(nil)
		n := info.ReplayLen
		for i, f := range []struct {
			name  string
			width int
		}{{"obs", obs}, {"act", act}, {"reward", 1}, {"next_obs", obs}, {"not_done", 1}} {
			if s.replay[i], err = floats(r.Table(), replayDef, f.name, "Checkpoint.replay", n*f.width,
				fmt.Sprintf("len %d × %d", n, f.width)); err != nil {
				return nil, err
			}
		}
	}
	if err := checkLimit(mfpo.EstimateAgent(cfg, info.Spaces), replayScratch(info, obs, act), lim); err != nil {
		return nil, err
	}
	return s, nil
}

// agent builds the agent of a Full checkpoint.
func (d *decoder) agent(lim Limits) (*mfpo.Agent, *Info, error) {
	s, err := d.full(lim)
	if err != nil {
		return nil, nil, err
	}
	info := d.info
	a, err := mfpo.New(info.Config, info.Spaces)
	if err != nil { // Validate passed, so only an impossible size gets here
		return nil, nil, &FormatError{Reason: "the agent cannot be built", Err: err}
	}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()
	for _, x := range []struct {
		t   tensor
		dst []float32
	}{
		{s.policy, a.Policy.Params}, {s.adn, a.ADN.Params},
		{s.critics[0], a.Critics.Online[0].Params}, {s.critics[1], a.Critics.Online[1].Params},
		{s.targets[0], a.Critics.Target[0].Params}, {s.targets[1], a.Critics.Target[1].Params},
	} {
		if err := x.t.decode(x.dst); err != nil {
			return nil, nil, err
		}
	}
	for _, x := range []struct {
		s   adamState
		opt *nn.Adam[float32]
	}{
		{s.policyOpt, a.PolicyOpt}, {s.adnOpt, a.ADNOpt}, {s.criticOpts[0], a.Critics.Opt[0]}, {s.criticOpts[1], a.Critics.Opt[1]},
		{s.alphaOpt, a.AlphaOpt},
	} {
		if err := x.s.restore(x.opt); err != nil {
			return nil, nil, err
		}
	}
	a.LogAlpha[0] = s.logAlpha
	a.PCG.Seed(s.rng.Hi(), s.rng.Lo()) // Seed sets the state words as they are
	a.Updates, a.Stored = info.Updates, info.Stored
	if info.Replay {
		if err := restoreReplay(a.Buffer, s.replay, d.replayPos, info.ReplayLen); err != nil {
			return nil, nil, err
		}
	}
	if err := probe(a.ActingPolicy()); err != nil {
		return nil, nil, err
	}
	ok = true
	return a, info, nil
}

// replayScratch is the memory restoreReplay needs beside the buffer.
func replayScratch(info *Info, obs, act int) float64 {
	if !info.Replay {
		return 0
	}
	return 4 * float64(info.Config.BufferSize) * float64(2*obs+act+2)
}

// restoreReplay fills the buffer from the stored rows: replay.Restore
// takes arrays at full capacity (rows beyond len zero) and checks the
// ring state, finiteness and the not-done flags.
func restoreReplay(b *replay.Buffer, rep [5]tensor, pos, n int) error {
	c, o, a := b.Capacity(), b.ObsDim(), b.ActDim()
	s := replay.State{
		Obs: make([]float32, c*o), Act: make([]float32, c*a), Reward: make([]float32, c),
		NextObs: make([]float32, c*o), NotDone: make([]float32, c),
		Pos: pos, Len: n,
	}
	for i, dst := range [][]float32{s.Obs[:n*o], s.Act[:n*a], s.Reward[:n], s.NextObs[:n*o], s.NotDone[:n]} {
		decodeFloats(dst, rep[i].raw)
	}
	if err := b.Restore(s); err != nil {
		return &FormatError{Reason: "Checkpoint.replay", Err: err}
	}
	return nil
}

// checkLimit is a *LimitError when e and extra bytes are over lim.
func checkLimit(e mfpo.Estimate, extra float64, lim Limits) error {
	e.Replay += extra
	var se *mfpo.SizeError
	if err := mfpo.CheckEstimate(e, lim.MaxBytes); errors.As(err, &se) {
		return &LimitError{Field: se.Field, Need: se.Need, MaxBytes: se.Limit}
	}
	return nil
}
