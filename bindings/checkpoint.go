package bindings

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/mfpo/mfpo/gocore/checkpoint"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// Checkpoints: gocore/checkpoint's format (docs/checkpoint.md), to files
// and to bytes. The spaces (the observation's shape before flattening and
// the action box in the environment's units) travel as a JSON object
//
//	{"obs_shape": [3], "act_low": [-2], "act_high": [2]}
//
// whose keys may each be left out (then [obs_dim] and the box [−1, 1]).
// Bounds are float32 in the file: a JSON number is rounded to the nearest
// float32, so a float32 bound round-trips exactly.

// spacesJSON is the JSON form of policy.Spaces less the widths.
type spacesJSON struct {
	ObsShape []int     `json:"obs_shape"`
	ActLow   []float32 `json:"act_low"`
	ActHigh  []float32 `json:"act_high"`
}

// parseSpaces reads the spaces JSON for an agent of a's widths.
func parseSpaces(s string, a *mfpo.Agent) (policy.Spaces, error) {
	var sj spacesJSON
	if s != "" {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&sj); err != nil {
			return policy.Spaces{}, errorf(codeConfig, "spaces: %v: want a JSON object with keys obs_shape, act_low, act_high", err)
		}
	}
	return policy.Spaces{ObsShape: sj.ObsShape, ObsDim: a.Spaces.ObsDim, ActDim: a.Spaces.ActDim, Low: sj.ActLow, High: sj.ActHigh}, nil
}

// savedWith runs save with the agent's spaces set to those of the JSON
// spaces, and restores them afterwards: the Python agent declares its
// spaces when it saves. The caller holds e.mu.
func savedWith(e *entry, spaces string, save func() error) error {
	sp, err := parseSpaces(spaces, e.agent)
	if err != nil {
		return err
	}
	defer func(old policy.Spaces) { e.agent.Spaces = old }(e.agent.Spaces)
	e.agent.Spaces = sp
	return checkpointErr(save())
}

// saveOptions reads the kind of checkpoint: "full" (no replay buffer),
// "replay" (full with the replay buffer: training resumes exactly) or
// "policy" (what inference needs).
func saveOptions(kind string) (checkpoint.Options, error) {
	var opts checkpoint.Options
	switch kind {
	case "full":
	case "replay":
		opts.Replay = true
	case "policy":
		opts.PolicyOnly = true
	default:
		return opts, errorf(codeConfig, `save: unknown checkpoint kind %q: want "full", "replay" or "policy"`, kind)
	}
	return opts, nil
}

// Save writes agent h to path atomically (a temporary file, fsync,
// rename: a crash never destroys an earlier file at path). kind is
// "full", "replay" or "policy" (see saveOptions); spaces is the JSON
// above. Errors: "config" for a bad kind or spaces JSON, "checkpoint"
// for spaces that do not fit the agent, "io" for the file system.
func Save(h int64, path, kind, spaces string) (err error) {
	defer recoverInto(&err)
	opts, err := saveOptions(kind)
	if err != nil {
		return err
	}
	e, err := lookup(h)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	return savedWith(e, spaces, func() error { return checkpoint.Save(path, e.agent, opts) })
}

// Marshal returns the checkpoint Save would write, as bytes.
func Marshal(h int64, kind, spaces string) (b []byte, err error) {
	defer recoverInto(&err)
	opts, err := saveOptions(kind)
	if err != nil {
		return nil, err
	}
	e, err := lookup(h)
	if err != nil {
		return nil, err
	}
	defer e.mu.Unlock()
	err = savedWith(e, spaces, func() (err error) {
		b, err = checkpoint.Marshal(e.agent, opts)
		return err
	})
	return b, err
}

// Load reads a full checkpoint from path into a new agent and returns the
// JSON object {"handle": h, "info": {…}} (info as in InfoJSON). The
// training state is exactly as saved: parameters, optimisers, α, the
// random generator, the counters and, when saved, the replay buffer.
// A policy-only checkpoint is a "checkpoint" error (use PolicyLoad);
// a bad file is "checkpoint", a newer format "version", a file that
// cannot be read "io".
func Load(path string) (s string, err error) {
	defer recoverInto(&err)
	a, info, err := checkpoint.Load(path)
	if err != nil {
		return "", checkpointErr(err)
	}
	return loaded(a, info)
}

// Unmarshal is Load from the bytes of a checkpoint (not kept).
func Unmarshal(data []byte) (s string, err error) {
	defer recoverInto(&err)
	a, info, err := checkpoint.Unmarshal(data, checkpoint.Limits{})
	if err != nil {
		return "", checkpointErr(err)
	}
	return loaded(a, info)
}

func loaded(a *mfpo.Agent, info *checkpoint.Info) (string, error) {
	h := register(a)
	b, err := json.Marshal(map[string]any{"handle": h, "info": infoJSON(info)})
	if err != nil {
		Free(h)
		return "", coded(err)
	}
	return string(b), nil
}

// infoJSON is the JSON form of a checkpoint.Info: format_version, kind
// ("full" or "policy"), producer, config (as Config.JSON), obs_dim,
// act_dim, obs_shape, act_low, act_high, updates, stored, replay,
// replay_len.
func infoJSON(info *checkpoint.Info) map[string]any {
	kind := "full"
	if info.Kind == checkpoint.PolicyOnly {
		kind = "policy"
	}
	return map[string]any{
		"format_version": info.Version, "kind": kind, "producer": info.Producer,
		"config": json.RawMessage(info.Config.JSON()), "obs_dim": info.Spaces.ObsDim, "act_dim": info.Spaces.ActDim,
		"obs_shape": info.Spaces.ObsShape, "act_low": info.Spaces.Low, "act_high": info.Spaces.High,
		"updates": info.Updates, "stored": info.Stored, "replay": info.Replay, "replay_len": info.ReplayLen,
	}
}

// checkpointErr gives the errors of saving and loading their codes: a bad
// file is "checkpoint", a newer format "version", spaces or a config the
// format cannot hold "config"; any other error comes from the file system
// (a missing file, a full disk, a failed rename): "io".
func checkpointErr(err error) error {
	if err == nil {
		return nil
	}
	var (
		fe *checkpoint.FormatError
		le *checkpoint.LimitError
		ve *checkpoint.VersionError
		oe *checkpoint.OptionsError
	)
	switch {
	case errors.As(err, &ve):
		return errorf(codeVersion, "%s", err)
	case errors.As(err, &fe), errors.As(err, &le):
		return errorf(codeCheckpoint, "%s", err)
	case errors.As(err, &oe):
		return errorf(codeConfig, "%s", err)
	}
	return errorf(codeIO, "%s", err)
}
