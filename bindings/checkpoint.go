package bindings

import (
	"encoding/json"

	"github.com/mfpo/mfpo/gocore/checkpoint"
	"github.com/mfpo/mfpo/gocore/face"
)

// Checkpoints (docs/checkpoint.md) and policy handles, through gocore/face.
// kind is "full", "replay" or "policy" ("" is face.DefaultSave, "full").

// Save writes agent h to path atomically. It reports true.
func Save(h int64, path, kind string) (ok bool, err error) {
	defer recoverInto(&err)
	k, err := face.SaveKindOfName(kind)
	if err == nil {
		err = face.AgentSave(face.Handle(h), path, k)
	}
	return err == nil, fail("save", err)
}

// Marshal returns the checkpoint Save would write, as bytes.
func Marshal(h int64, kind string) (b []byte, err error) {
	defer recoverInto(&err)
	k, err := face.SaveKindOfName(kind)
	if err == nil {
		b, err = face.AgentMarshal(face.Handle(h), k, false)
	}
	return b, fail("save", err)
}

// LoadReplay replaces agent h's replay buffer with the one of a full
// checkpoint saved with it (its bytes). It reports true.
func LoadReplay(h int64, data []byte) (ok bool, err error) {
	defer recoverInto(&err)
	err = face.AgentLoadReplay(face.Handle(h), data)
	return err == nil, fail("load_replay_buffer", err)
}

// Load reads a full checkpoint into a new agent and returns the JSON
// object {"handle": h, "info": {…}} (infoJSON).
func Load(path string) (s string, err error) {
	defer recoverInto(&err)
	h, info, err := face.LoadAgent(path)
	return loaded("load", h, info, err)
}

// Unmarshal is Load from a checkpoint's bytes (not kept).
func Unmarshal(data []byte) (s string, err error) {
	defer recoverInto(&err)
	h, info, err := face.LoadAgentBytes(data)
	return loaded("load", h, info, err)
}

// PolicyLoad reads the policy of a checkpoint of either kind; the result
// as Load's.
func PolicyLoad(path string) (s string, err error) {
	defer recoverInto(&err)
	h, info, err := face.LoadPolicy(path)
	return loaded("policy load", h, info, err)
}

// PolicyUnmarshal is PolicyLoad from a checkpoint's bytes (not kept).
func PolicyUnmarshal(data []byte) (s string, err error) {
	defer recoverInto(&err)
	h, info, err := face.LoadPolicyBytes(data)
	return loaded("policy load", h, info, err)
}

func loaded(call string, h face.Handle, info *checkpoint.Info, err error) (string, error) {
	if err != nil {
		return "", fail(call, err)
	}
	b, err := json.Marshal(map[string]any{"handle": int64(h), "info": infoJSON(info)})
	return string(b), fail(call, err)
}

// infoJSON is the JSON form of a checkpoint.Info: format_version, kind
// ("full" or "policy"), producer, config, the spaces' keys, updates,
// stored, replay, replay_len.
func infoJSON(info *checkpoint.Info) map[string]any {
	kind := "full"
	if info.Kind == checkpoint.PolicyOnly {
		kind = "policy"
	}
	sp := toJSON(info.Spaces)
	return map[string]any{
		"format_version": info.Version, "kind": kind, "producer": info.Producer,
		"config": json.RawMessage(info.Config.JSON()), "obs_dim": sp.ObsDim, "act_dim": sp.ActDim,
		"obs_shape": sp.ObsShape, "act_low": sp.ActLow, "act_high": sp.ActHigh, "obs_space": sp.ObsSpace,
		"updates": info.Updates, "stored": info.Stored, "replay": info.Replay, "replay_len": info.ReplayLen,
	}
}

// PolicyFromAgent returns a policy handle with a copy of agent h's policy
// and target critics (the agent may go on training), in its spaces.
func PolicyFromAgent(h int64) (p int64, err error) {
	defer recoverInto(&err)
	fp, err := face.AgentPolicy(face.Handle(h))
	return int64(fp), fail("policy", err)
}

// PolicyInfo returns policy h's spaces (the keys of Info) and config as a
// JSON object.
func PolicyInfo(h int64) (s string, err error) {
	defer recoverInto(&err)
	info, err := face.Policy(face.Handle(h))
	if err != nil {
		return "", fail("policy info", err)
	}
	sp := toJSON(info.Spaces)
	b, err := json.Marshal(map[string]any{"obs_shape": sp.ObsShape, "obs_dim": sp.ObsDim, "act_dim": sp.ActDim,
		"act_low": sp.ActLow, "act_high": sp.ActHigh, "config": json.RawMessage(info.Config)})
	return string(b), fail("policy info", err)
}

// PolicyFree frees policy h; it reports true (a handle not live is a
// "handle" error).
func PolicyFree(h int64) (ok bool, err error) {
	defer recoverInto(&err)
	return true, fail("policy free", face.FreePolicy(face.Handle(h)))
}
