package mfpo

import (
	"fmt"
	"math"

	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
)

// Memory estimates, made before anything is allocated: an agent or a
// policy is built only when its estimate is within the memory limit
// (MemoryLimit). Sizes are computed in float64: exact for every size a
// buffer can hold, and immune to the overflow a huge width would cause in
// int. A test keeps each estimate between 1 and 2 times the allocator's
// count.

// maxCount is the largest count NumParams reports; larger is "too big".
const maxCount = 1 << 40

// NumParams is the length of nn.MLP.Params for spec (nn.New's layout:
// per time embedding F + Dense(2F→W) + Dense(W→W), then each trunk Dense
// with a LayerNorm after each hidden one), or −1 when it exceeds 2^40.
func NumParams(s nn.Spec) int {
	dense := func(in, out float64) float64 { return in*out + out }
	n := 0.0
	if s.Times > 0 {
		f, w := float64(s.TimeFeatures), float64(s.TimeWidth)
		n += float64(s.Times) * (f + dense(2*f, w) + dense(w, w))
	}
	w := specWidths(s)
	for l := 0; l+1 < len(w); l++ {
		n += dense(w[l], w[l+1])
		if s.LayerNorm && l+2 < len(w) {
			n += 2 * w[l+1]
		}
		if n > maxCount {
			return -1
		}
	}
	if n > maxCount {
		return -1
	}
	return int(n)
}

// paramsOf is NumParams as a float64, +Inf when too big.
func paramsOf(s nn.Spec) float64 {
	if n := NumParams(s); n >= 0 {
		return float64(n)
	}
	return math.Inf(1)
}

// specWidths is the trunk's widths: the input (vector inputs plus the
// time embedding), each hidden layer, the output.
func specWidths(s nn.Spec) []float64 {
	in := 0.0
	for _, x := range s.Inputs {
		in += float64(x)
	}
	if s.Times > 0 {
		in += float64(s.TimeWidth)
	}
	w := []float64{in}
	for _, h := range s.Hidden {
		w = append(w, float64(h))
	}
	return append(w, float64(s.Out))
}

// workspaceFloats bounds the float32s of nn.MLP.NewWorkspace(rows,
// tangents).
func workspaceFloats(s nn.Spec, rows, tangents float64) float64 {
	w := specWidths(s)
	in0, mw, hid := w[0], 0.0, 0.0
	for _, x := range w {
		mw = math.Max(mw, x)
	}
	for _, x := range w[1 : len(w)-1] {
		hid += 3*x + 1
	}
	f2, tw := 2*float64(s.TimeFeatures), float64(s.TimeWidth)
	emb := 0.0
	if s.Times > 0 {
		emb = float64(s.Times)*(f2+2*tw+1) + f2 + 2*tw
	}
	return rows*(2*in0+hid+2*mw+emb) + rows*tangents*(in0+2*mw+f2+2*tw) + mw
}

// Specs returns the agent's network shapes for cfg.
func Specs(cfg Config, obs, act int) (policyNet, adn, critic nn.Spec) {
	policyNet = nn.PolicySpec(obs, act, cfg.Hidden)
	policyNet.TimeFeatures, policyNet.TimeWidth = cfg.TimeFeatures, cfg.TimeWidth
	adn = nn.AverageDivergenceSpec(obs, act, cfg.Hidden)
	adn.TimeFeatures, adn.TimeWidth = cfg.TimeFeatures, cfg.TimeWidth
	critic = nn.CriticSpec(obs, act, cfg.Atoms, cfg.Hidden)
	return
}

// criticChunkRows is the agent's critic.Config.ChunkRows.
const criticChunkRows = 256

// Estimate is the memory, in bytes, an agent or a policy needs, by what
// it is for; each part names the config key that scales it most.
type Estimate struct {
	Networks float64 // parameters, Adam moments, their spares, gradients: "hidden"
	Update   float64 // the update's working buffers: "batch_size"
	Replay   float64 // the replay buffer: "buffer_size"
	Acting   float64 // one act call's context (a chunk of rows): "eval_candidates"
}

// Total is the whole estimate: 10% and 64 KiB over the parts for what
// they do not count (slice headers, small buffers, goroutines).
func (e Estimate) Total() float64 {
	return 1.1*(e.Networks+e.Update+e.Replay+e.Acting) + 1<<16
}

// Largest is the config key of the largest part.
func (e Estimate) Largest() string {
	key, most := "hidden", e.Networks
	for _, p := range []struct {
		key string
		v   float64
	}{{"batch_size", e.Update}, {"buffer_size", e.Replay}, {"eval_candidates", e.Acting}} {
		if p.v > most {
			key, most = p.key, p.v
		}
	}
	return key
}

// actingFloats is one act call's context for the policy of cfg: the
// sampler over a chunk of candidate rows (policy.ChunkRows, or N when
// larger) with its noise, candidates and values, and for best-of-N the
// target critics' block workspaces.
func actingFloats(cfg Config, obs, act int) float64 {
	ps, _, cs := Specs(cfg, obs, act)
	r := float64(max(policy.ChunkRows, cfg.EvalCandidates))
	o, d := float64(obs), float64(act)
	f := workspaceFloats(ps, r, 0) + r*(2*d+1+2*o+4)
	if cfg.EvalCandidates > 1 {
		block := math.Min(r, policy.BlockRows)
		f += 2*workspaceFloats(cs, block, 0) + block*(2*float64(cfg.Atoms)+o)
	}
	return f
}

// EstimateAgent estimates the memory of New(cfg, sp) and of its calls:
// acting allocates one chunk's context (Estimate.Acting), updates use
// buffers New allocates.
func EstimateAgent(cfg Config, sp policy.Spaces) Estimate {
	obs, act := sp.ObsDim, sp.ActDim
	ps, ds, cs := Specs(cfg, obs, act)
	P, D, C := paramsOf(ps), paramsOf(ds), paramsOf(cs)
	S := float64(cfg.Shards)
	B, K1, K2 := float64(cfg.BatchSize), float64(cfg.PolicySamples), float64(cfg.PosteriorSamples)
	o, d, atoms := float64(obs), float64(act), float64(cfg.Atoms)
	// The probe buffer has max(Probes, 1) rows per state even with the
	// exact trace; the trainer's tangents are d then.
	P1 := float64(max(cfg.Probes, 1))
	N := P1
	if cfg.ExactTrace {
		N = d
	}
	per := func(rows float64) float64 { return math.Ceil(rows / S) }

	// Networks and their Adam moments (the critics with their targets),
	// the spares of the undoable policy and critic steps (Agent.Update),
	// the spare target initialisation, the shards' gradients.
	nets := (3*P + 3*D + 8*C) + (3*P + 8*C) + 2*C + S*(2*C+P+D)
	// The update-time sampler (B·K1 rows, policy and ADN), the trainer (B
	// rows with N tangents), the critics (4 workspaces and logits per shard).
	sampler := S * (workspaceFloats(ps, per(B*K1), 0) + workspaceFloats(ds, per(B*K1), 0) + per(B*K1)*(o+2*d+3))
	trainer := S * (workspaceFloats(ps, per(B), N) + workspaceFloats(ds, per(B), 1) + per(B)*(N*d+4*d+5) + d*d*per(B))
	capRows := math.Max(per(B), criticChunkRows)
	critics := S * (4*workspaceFloats(cs, capRows, 0) + capRows*2*atoms + criticChunkRows*o + 3*atoms)
	update := B*(2*o+d+2) + B*(2*d+1+atoms) + B*K1*(2*d+1) + B*(4*d+2) + B*(K1+K2)*(d+1) + B*P1*d + S*2*float64(velocityScratch(cfg.PolicySamples, cfg.PosteriorSamples, act))
	return Estimate{
		Networks: 4 * nets,
		Update:   4 * (sampler + trainer + critics + update),
		Replay:   4 * float64(cfg.BufferSize) * (2*o + d + 2),
		Acting:   4 * actingFloats(cfg, obs, act),
	}
}

// EstimatePolicy estimates the memory of a policy.Policy of cfg's
// networks and of one act call: the policy, the target critics, a chunk's
// context.
func EstimatePolicy(cfg Config, sp policy.Spaces) Estimate {
	ps, _, cs := Specs(cfg, sp.ObsDim, sp.ActDim)
	return Estimate{Networks: 4 * (paramsOf(ps) + 2*paramsOf(cs)), Acting: 4 * actingFloats(cfg, sp.ObsDim, sp.ActDim)}
}

// SizeError reports a request whose memory estimate is over the limit,
// naming the config key (or argument) that scales it most. Nothing was
// allocated.
type SizeError struct {
	Field string // a config key ("buffer_size") or an argument ("rows")
	Need  int64  // estimated bytes
	Limit int64  // the limit it is over
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("mfpo: %s asks for about %d bytes, over the memory limit of %d bytes (max_bytes, mfpo_set_memory_limit)",
		e.Field, e.Need, e.Limit)
}

// CheckMemory is a *SizeError naming field when need bytes are over
// limit (limit ≤ 0: MemoryLimit()).
func CheckMemory(field string, need float64, limit int64) error {
	if limit <= 0 {
		limit = MemoryLimit()
	}
	if need <= float64(limit) {
		return nil
	}
	n := int64(math.MaxInt64)
	if need < math.MaxInt64 {
		n = int64(need)
	}
	return &SizeError{Field: field, Need: n, Limit: limit}
}

// CheckEstimate is CheckMemory of e.Total, naming e's largest part.
func CheckEstimate(e Estimate, limit int64) error {
	return CheckMemory(e.Largest(), e.Total(), limit)
}

// UpdateFLOPs counts the matrix-product FLOPs of one Update analytically
// (2 per multiply-add; a backward pass counted as twice its forward):
// what the update benchmarks divide by their time.
func UpdateFLOPs(cfg Config, obsDim, actDim int) float64 {
	ps := nn.PolicySpec(obsDim, actDim, cfg.Hidden)
	ps.TimeFeatures, ps.TimeWidth = cfg.TimeFeatures, cfg.TimeWidth
	ds := nn.AverageDivergenceSpec(obsDim, actDim, cfg.Hidden)
	ds.TimeFeatures, ds.TimeWidth = cfg.TimeFeatures, cfg.TimeWidth
	cs := nn.CriticSpec(obsDim, actDim, cfg.Atoms, cfg.Hidden)
	P, D, C := float64(ps.FLOPs()), float64(ds.FLOPs()), float64(cs.FLOPs())
	B, K1, K2, T := float64(cfg.BatchSize), float64(cfg.PolicySamples), float64(cfg.PosteriorSamples), float64(cfg.Steps)
	probes := float64(cfg.Probes)
	if cfg.ExactTrace {
		probes = float64(actDim)
	}
	critic := B*T*(P+D) + 2*B*C + 2*B*3*C
	actor := B*K1*T*(P+D) + 2*B*(K1+K2)*C + B*(P+P+2*P)
	adn := B*(P+probes*P) + B*(D+D+2*D)
	return critic + actor + adn
}
