package checkpoint

import (
	"math"

	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
)

// Sizes are computed in float64: exact for every size a buffer can hold,
// and immune to the overflow a corrupted width would cause in int.

// maxCount is the largest count numParams reports; larger is "too big".
const maxCount = 1 << 40

// numParams is the length of nn.MLP.Params for spec (nn.New's layout:
// per time embedding F + Dense(2F→W) + Dense(W→W), then each trunk Dense
// with a LayerNorm after each hidden one), or −1 when it exceeds maxCount.
func numParams(s nn.Spec) int {
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

// specs returns the agent's network shapes for cfg.
func specs(cfg mfpo.Config, obs, act int) (policy, adn, critic nn.Spec) {
	policy = nn.PolicySpec(obs, act, cfg.Hidden)
	policy.TimeFeatures, policy.TimeWidth = cfg.TimeFeatures, cfg.TimeWidth
	adn = nn.AverageDivergenceSpec(obs, act, cfg.Hidden)
	adn.TimeFeatures, adn.TimeWidth = cfg.TimeFeatures, cfg.TimeWidth
	critic = nn.CriticSpec(obs, act, cfg.Atoms, cfg.Hidden)
	return
}

// criticChunkRows is the agent's critic.Config.ChunkRows.
const criticChunkRows = 256

// agentBytes estimates the memory mfpo.New(cfg, obs, act) allocates; a
// test keeps it between 1 and 2 times the allocator's count.
func agentBytes(cfg mfpo.Config, obs, act int) float64 {
	ps, ds, cs := specs(cfg, obs, act)
	P, D, C := float64(numParams(ps)), float64(numParams(ds)), float64(numParams(cs))
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

	// Networks, the spare target initialisation, the Adam moments, the
	// rollback snapshot, the shards' gradients.
	nets := 2*(3*P+3*D+8*C) + 2*C + S*(2*C+P+D)
	// The update-time sampler (B·K1 rows, policy and ADN), the trainer (B
	// rows with N tangents), the critics (4 workspaces and logits per shard).
	sampler := S * (workspaceFloats(ps, per(B*K1), 0) + workspaceFloats(ds, per(B*K1), 0) + per(B*K1)*(o+2*d+3))
	trainer := S * (workspaceFloats(ps, per(B), N) + workspaceFloats(ds, per(B), 1) + per(B)*(N*d+4*d+5) + d*d*per(B))
	capRows := math.Max(per(B), criticChunkRows)
	critics := S * (4*workspaceFloats(cs, capRows, 0) + capRows*2*atoms + criticChunkRows*o + 3*atoms)
	update := B*(2*o+d+2) + B*(2*d+1+atoms) + B*K1*(2*d+1) + B*(4*d+2) + B*(K1+K2)*(d+1) + B*P1*d + S*2*(K1+K2)
	replay := float64(cfg.BufferSize) * (2*o + d + 2)
	// 10% and 64 KiB for what is not counted: slice headers, small
	// buffers, goroutines.
	return 1.1*4*(nets+sampler+trainer+critics+update+replay) + 1<<16
}

// policyBytes estimates the memory of a policy.Policy and its first
// best-of-N call on one observation: the policy, the target critics, the
// call's sampler and critic workspaces.
func policyBytes(cfg mfpo.Config, obs, act int) float64 {
	ps, _, cs := specs(cfg, obs, act)
	P, C := float64(numParams(ps)), float64(numParams(cs))
	n := float64(cfg.EvalCandidates)
	chunk := math.Min(n, criticChunkRows)
	call := workspaceFloats(ps, n, 0) + n*(2*float64(act)+1+2*float64(obs)+4) + 2*workspaceFloats(cs, chunk, 0) +
		chunk*(2*float64(cfg.Atoms)+float64(obs))
	return 1.1*4*(P+2*C+call) + 1<<16
}
