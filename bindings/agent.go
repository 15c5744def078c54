package bindings

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"

	"github.com/mfpo/mfpo/gocore/face"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// A handle is an int64 holding a gocore/face handle (an agent or a
// policy); 0 is never one. Every function may be called from any thread;
// calls on one agent are serialised by face, gopy releases the GIL.

// DefaultConfigJSON returns the Config of a preset as the JSON object
// NewAgent reads: "paper" (or "") the paper's defaults, "small" the preset
// for small tasks (mfpo.SmallConfig).
func DefaultConfigJSON(preset string) (s string, err error) {
	defer recoverInto(&err)
	if preset == "" {
		preset = "paper"
	}
	f, ok := mfpo.Presets[preset]
	if !ok {
		return "", fail("default_config", &face.Error{Code: face.EConfig, Msg: `unknown preset "` + preset + `": want "paper" or "small"`})
	}
	return f().JSON(), nil
}

// spacesJSON is the JSON form of policy.Spaces that crosses to Python:
// {"obs_shape": [3], "obs_dim": 3, "act_low": [-2], "act_high": [2]};
// NewAgent reads obs_shape (or obs_dim), act_low and act_high (both, or
// neither for [−1, 1]); the infos write every key.
type spacesJSON struct {
	ObsShape []int     `json:"obs_shape"`
	ObsDim   int       `json:"obs_dim"`
	ActDim   int       `json:"act_dim"`
	ActLow   []float32 `json:"act_low"`
	ActHigh  []float32 `json:"act_high"`
	ObsSpace string    `json:"obs_space,omitempty"` // mfpo/envs.py's description of the gymnasium space
}

func toJSON(sp policy.Spaces) spacesJSON {
	lo, hi := sp.Low, sp.High
	if lo == nil { // the agent's own box, written out
		lo, hi = make([]float32, sp.ActDim), make([]float32, sp.ActDim)
		for j := range lo {
			lo[j], hi[j] = -1, 1
		}
	}
	return spacesJSON{ObsShape: sp.Shape(), ObsDim: sp.ObsDim, ActDim: sp.ActDim, ActLow: lo, ActHigh: hi,
		ObsSpace: sp.ObsSpace}
}

func parseSpaces(s string) (policy.Spaces, error) {
	var sj spacesJSON
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sj); err != nil {
		return policy.Spaces{}, &face.Error{Code: face.EInval, Msg: "spaces: " + err.Error()}
	}
	sp := policy.Spaces{ObsShape: sj.ObsShape, ObsDim: sj.ObsDim, ActDim: sj.ActDim, Low: sj.ActLow, High: sj.ActHigh,
		ObsSpace: sj.ObsSpace}
	if sp.ObsDim == 0 && len(sp.ObsShape) > 0 {
		sp.ObsDim = 1
		for _, n := range sp.ObsShape {
			sp.ObsDim *= n
		}
	}
	if sp.ActDim == 0 {
		sp.ActDim = len(sp.Low)
	}
	return sp, nil
}

// NewAgent makes an agent from a strict JSON config (mfpo.ConfigFromJSON:
// snake_case keys, an optional "preset", absent keys keep the preset's)
// for the spaces of spacesJSON (above) and returns its handle.
func NewAgent(configJSON, spacesJSON string) (h int64, err error) {
	defer recoverInto(&err)
	sp, err := parseSpaces(spacesJSON)
	if err != nil {
		return 0, fail("create", err)
	}
	fh, err := face.CreateAgent([]byte(configJSON), sp)
	return int64(fh), fail("create", err)
}

// Info returns agent h's description as a JSON object: the spaces' keys,
// stored, buffer_len, updates, alpha, device ("cpu" or "cuda") and config
// (every key).
func Info(h int64) (s string, err error) {
	defer recoverInto(&err)
	info, err := face.Agent(face.Handle(h))
	if err != nil {
		return "", fail("info", err)
	}
	js, err := face.AgentConfig(face.Handle(h))
	if err != nil {
		return "", fail("info", err)
	}
	sp := toJSON(info.Spaces)
	b, err := json.Marshal(map[string]any{
		"obs_shape": sp.ObsShape, "obs_dim": sp.ObsDim, "act_dim": sp.ActDim, "act_low": sp.ActLow, "act_high": sp.ActHigh,
		"stored": info.Stored, "buffer_len": info.BufferLen, "updates": info.Updates, "alpha": finiteOrNil(info.Alpha),
		"device": info.Device, "config": json.RawMessage(js),
	})
	return string(b), fail("info", err)
}

// Store adds rows transitions (face.AgentStore): obs and nextObs
// rows×obs_dim little-endian float32s, act rows×act_dim in the
// environment's units, reward rows, terminated one byte per row (nonzero:
// a true termination). It returns the transitions stored so far.
func Store(h int64, obs, act, reward, nextObs, terminated []byte, rows int) (stored int64, err error) {
	defer recoverInto(&err)
	var xs [4][]float32
	for i, p := range []struct {
		name string
		b    []byte
	}{{"obs", obs}, {"act", act}, {"reward", reward}, {"next_obs", nextObs}} {
		if xs[i], err = decode(p.name, p.b); err != nil {
			return 0, fail("store", err)
		}
	}
	if err := face.AgentStore(face.Handle(h), rows, xs[0], xs[1], xs[2], xs[3], terminated); err != nil {
		return 0, fail("store", err)
	}
	info, err := face.Agent(face.Handle(h))
	return info.Stored, fail("store", err)
}

// Update runs n updates and returns the means of their figures as JSON:
// critic_loss (the two critics' mean), critic1_loss, critic2_loss,
// actor_loss, adn_loss, alpha_loss, alpha, entropy, ess_policy,
// ess_posterior, mean_q; n; updates (the agent's total).
func Update(h int64, n int) (s string, err error) {
	defer recoverInto(&err)
	st, err := face.AgentUpdate(face.Handle(h), n)
	if err != nil {
		return "", fail("update", err)
	}
	out := map[string]any{"n": st.N, "updates": st.Updates}
	for k, v := range map[string]float64{
		"critic_loss": (st.CriticLoss[0] + st.CriticLoss[1]) / 2, "critic1_loss": st.CriticLoss[0], "critic2_loss": st.CriticLoss[1],
		"actor_loss": st.ActorLoss, "adn_loss": st.ADNLoss, "alpha_loss": st.AlphaLoss, "alpha": st.Alpha,
		"entropy": st.Entropy, "ess_policy": st.ESSPolicy, "ess_posterior": st.ESSPosterior, "mean_q": st.MeanQ,
	} {
		out[k] = finiteOrNil(v)
	}
	b, err := json.Marshal(out)
	return string(b), fail("update", err)
}

// SetLearningRate sets the rate of all of agent h's optimisers (a
// learning-rate schedule's value). It reports true.
func SetLearningRate(h int64, lr float64) (ok bool, err error) {
	defer recoverInto(&err)
	err = face.AgentSetLearningRate(face.Handle(h), lr)
	return err == nil, fail("set_learning_rate", err)
}

// Free frees agent h; it reports true (a handle not live is a "handle"
// error).
func Free(h int64) (ok bool, err error) {
	defer recoverInto(&err)
	return true, fail("free", face.FreeAgent(face.Handle(h)))
}

// LiveHandles is the number of agents not yet freed.
func LiveHandles() int { return face.LiveOf("agent") }

// LivePolicies is the number of policies not yet freed.
func LivePolicies() int { return face.LiveOf("policy") }

// decode reads little-endian float32s; a length that is not a multiple
// of 4 is a "shape" error.
func decode(name string, b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, &face.Error{Code: face.EShape, Msg: name + " is not a whole number of float32s"}
	}
	x := make([]float32, len(b)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return x, nil
}

func finiteOrNil(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}
