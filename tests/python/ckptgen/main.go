// Command ckptgen writes the fixtures of tests/python/test_checkpoint_reader.py:
// checkpoints saved from Go and what Go knows about them, for the Python
// reader (mfpo.checkpoint) to match.
//
//	go run ./tests/python/ckptgen -out DIR
//
// writes, from one small trained agent (observations 3 of shape [1 3],
// actions 2 in [−2, 2] × [0, 5], a replay ring of 32 rows that has wrapped):
//
//	DIR/full.mfpo      a full checkpoint with the replay buffer
//	DIR/noreplay.mfpo  a full checkpoint without it
//	DIR/policy.mfpo    a policy-only checkpoint
//	DIR/expected.json  every tensor of each file (length, float64 sum and
//	                   sum of magnitudes, the first 3 values, the CRC-32 of
//	                   its little-endian bytes), the scalars (format version,
//	                   producer, counters, log α, the PCG state, the Adam
//	                   hyperparameters and steps, the replay ring state), the
//	                   config as Config.JSON(), the spaces, and forward passes
//	                   of the policy and a critic for fixed inputs
//
//	go run ./tests/python/ckptgen -inspect FILE...
//
// loads each file with the Go reader (Unmarshal for a full checkpoint,
// UnmarshalPolicy otherwise) and prints one JSON line per file: {"path",
// "ok", "error" (the Go type, e.g. "*checkpoint.FormatError"), "message"}.
package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/mfpo/mfpo/gocore/checkpoint"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
)

const (
	obsDim, actDim = 3, 2
	transitions    = 40 // more than the buffer's 32 rows: the ring wraps
	updates        = 3
)

func main() {
	out := flag.String("out", "", "write the fixtures into this folder")
	inspect := flag.Bool("inspect", false, "load each FILE argument with the Go reader and print the outcome as JSON lines")
	flag.Parse()
	var err error
	switch {
	case *inspect && *out == "":
		err = inspectFiles(flag.Args())
	case !*inspect && *out != "" && flag.NArg() == 0:
		err = generate(*out)
	default:
		fmt.Fprintln(os.Stderr, "usage: ckptgen -out DIR | ckptgen -inspect FILE...")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ckptgen:", err)
		os.Exit(1)
	}
}

// tensor is what the Python test compares a float array with.
type tensor struct {
	Len    int       `json:"len"`
	Sum    float64   `json:"sum"`
	AbsSum float64   `json:"abs_sum"`
	First  []float64 `json:"first"`
	CRC32  uint32    `json:"crc32"` // of the float32s' little-endian bytes
}

func describe(x []float32) tensor {
	t := tensor{Len: len(x), First: []float64{}}
	raw := make([]byte, 4*len(x))
	for i, v := range x {
		t.Sum += float64(v)
		t.AbsSum += math.Abs(float64(v))
		if i < 3 {
			t.First = append(t.First, float64(v))
		}
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	t.CRC32 = crc32.ChecksumIEEE(raw)
	return t
}

type adam struct {
	LR    float64 `json:"lr"`
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	Eps   float64 `json:"eps"`
	Steps int64   `json:"steps"`
}

type file struct {
	Kind       string             `json:"kind"`
	Tensors    map[string]tensor  `json:"tensors"`
	Optimizers map[string]adam    `json:"optimizers"` // full only
	Replay     map[string]int     `json:"replay"`     // capacity, pos, len; with the buffer only
	Size       int                `json:"size"`
	Checksum   uint32             `json:"checksum"` // what Go stored
	Networks   map[string]netSpec `json:"networks"`
}

type netSpec struct {
	Inputs       []int `json:"inputs"`
	Times        int   `json:"times"`
	Hidden       []int `json:"hidden"`
	Out          int   `json:"out"`
	LayerNorm    bool  `json:"layer_norm"`
	TimeFeatures int   `json:"time_features"`
	TimeWidth    int   `json:"time_width"`
}

// forward is a network's output for fixed inputs, for the test of
// Network.layers().
type forward struct {
	Inputs [][]float32 `json:"inputs"` // Vars.X, row-major [rows × width] each
	Times  [][]float32 `json:"times"`  // Vars.Time, [rows] each
	Rows   int         `json:"rows"`
	Out    []float32   `json:"out"` // [rows × Out]
}

type expected struct {
	FormatVersion uint32             `json:"format_version"`
	Producer      string             `json:"producer"`
	Config        json.RawMessage    `json:"config"`
	Spaces        map[string]any     `json:"spaces"`
	Updates       int64              `json:"updates"`
	Stored        int64              `json:"stored"`
	LogAlpha      float64            `json:"log_alpha"`
	RNG           [2]uint64          `json:"rng"` // hi, lo
	Files         map[string]file    `json:"files"`
	Forward       map[string]forward `json:"forward"` // "policy", "critic1"
}

func generate(dir string) error {
	cfg, err := mfpo.ConfigFromJSON([]byte(`{"preset":"small","hidden":[16,12],"time_features":4,"time_width":8,` +
		`"atoms":11,"v_min":-50,"v_max":50,"policy_samples":2,"posterior_samples":4,"batch_size":8,` +
		`"buffer_size":32,"learning_starts":0,"eval_candidates":3,"shards":1,"seed":11}`))
	if err != nil {
		return err
	}
	sp := policy.Spaces{ObsShape: []int{1, obsDim}, ObsDim: obsDim, ActDim: actDim, Low: []float32{-2, 0}, High: []float32{2, 5}}
	a, err := mfpo.New(cfg, sp)
	if err != nil {
		return err
	}
	defer a.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	obs, act, next := make([]float32, obsDim), make([]float32, actDim), make([]float32, obsDim)
	for i := 0; i < transitions; i++ {
		for j := range obs {
			obs[j], next[j] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		if err := a.Act(act, obs, 1, policy.Explore, 0); err != nil {
			return err
		}
		if err := a.Store(obs, act, float32(rng.NormFloat64()), next, i%7 == 3); err != nil {
			return err
		}
	}
	for i := 0; i < updates; i++ {
		if _, err := a.Update(); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	state, err := a.PCG.MarshalBinary() // "pcg:", hi and lo big-endian
	if err != nil {
		return err
	}
	exp := expected{
		FormatVersion: checkpoint.Version,
		Producer:      checkpoint.Producer,
		Config:        json.RawMessage(a.Config.JSON()),
		Spaces: map[string]any{"obs_dim": obsDim, "act_dim": actDim, "obs_shape": sp.ObsShape,
			"act_low": sp.Low, "act_high": sp.High},
		Updates:  a.Updates,
		Stored:   a.Stored,
		LogAlpha: float64(a.LogAlpha[0]),
		RNG:      [2]uint64{binary.BigEndian.Uint64(state[4:12]), binary.BigEndian.Uint64(state[12:20])},
		Files:    map[string]file{},
		Forward:  map[string]forward{},
	}

	nets := map[string]*nn.MLP[float32]{
		"policy": a.Policy, "target_critic1": a.Critics.Target[0], "target_critic2": a.Critics.Target[1],
		"adn": a.ADN, "critic1": a.Critics.Online[0], "critic2": a.Critics.Online[1],
	}
	opts := map[string]*nn.Adam[float32]{
		"policy_opt": a.PolicyOpt, "adn_opt": a.ADNOpt, "critic1_opt": a.Critics.Opt[0],
		"critic2_opt": a.Critics.Opt[1], "alpha_opt": a.AlphaOpt,
	}
	for _, f := range []struct {
		name string
		opts checkpoint.Options
	}{
		{"full.mfpo", checkpoint.Options{Replay: true}},
		{"noreplay.mfpo", checkpoint.Options{}},
		{"policy.mfpo", checkpoint.Options{PolicyOnly: true}},
	} {
		path := filepath.Join(dir, f.name)
		if err := checkpoint.Save(path, a, f.opts); err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// The stored checksum: the root table's field 18 (vtable slot 40).
		root := binary.LittleEndian.Uint32(data)
		vt := int64(root) - int64(int32(binary.LittleEndian.Uint32(data[root:])))
		at := root + uint32(binary.LittleEndian.Uint16(data[vt+40:]))
		fe := file{Kind: "full", Tensors: map[string]tensor{}, Networks: map[string]netSpec{},
			Size: len(data), Checksum: binary.LittleEndian.Uint32(data[at:])}
		if f.opts.PolicyOnly {
			fe.Kind = "policy"
		}
		fe.Tensors["spaces/act_low"] = describe(sp.Low)
		fe.Tensors["spaces/act_high"] = describe(sp.High)
		for name, m := range nets {
			if f.opts.PolicyOnly && (name == "adn" || name == "critic1" || name == "critic2") {
				continue
			}
			fe.Tensors[name+"/params"] = describe(m.Params)
			s := m.Spec
			fe.Networks[name] = netSpec{s.Inputs, s.Times, s.Hidden, s.Out, s.LayerNorm, s.TimeFeatures, s.TimeWidth}
		}
		if !f.opts.PolicyOnly {
			fe.Optimizers = map[string]adam{}
			for name, o := range opts {
				fe.Tensors[name+"/m"] = describe(o.M)
				fe.Tensors[name+"/v"] = describe(o.V)
				fe.Optimizers[name] = adam{o.LR, o.Beta1, o.Beta2, o.Eps, o.Steps}
			}
		}
		if f.opts.Replay {
			s := a.Buffer.State()
			n := s.Len
			fe.Replay = map[string]int{"capacity": a.Buffer.Capacity(), "pos": s.Pos, "len": n}
			fe.Tensors["replay/obs"] = describe(s.Obs[:n*obsDim])
			fe.Tensors["replay/act"] = describe(s.Act[:n*actDim])
			fe.Tensors["replay/reward"] = describe(s.Reward[:n])
			fe.Tensors["replay/next_obs"] = describe(s.NextObs[:n*obsDim])
			fe.Tensors["replay/not_done"] = describe(s.NotDone[:n])
		}
		exp.Files[f.name] = fe
	}

	// Forward passes for fixed inputs (2 rows; the policy's times are t
	// and h).
	const rows = 2
	fill := func(n int, shift float32) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = 0.3*float32(i%5) - 0.7 + shift
		}
		return x
	}
	run := func(m *nn.MLP[float32], in nn.Vars[float32]) forward {
		out := make([]float32, rows*m.Spec.Out)
		m.Forward(m.NewWorkspace(rows, 0), out, in, rows)
		return forward{Inputs: in.X, Times: in.Time, Rows: rows, Out: out}
	}
	exp.Forward["policy"] = run(a.Policy, nn.Vars[float32]{X: [][]float32{fill(rows*actDim, 0.1), fill(rows*obsDim, -0.2)},
		Time: [][]float32{{0.25, 0.9}, {0.05, 0.6}}})
	exp.Forward["critic1"] = run(a.Critics.Online[0], nn.Vars[float32]{X: [][]float32{fill(rows*obsDim, 0.05), fill(rows*actDim, 0.4)}})

	b, err := json.MarshalIndent(exp, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "expected.json"), append(b, '\n'), 0o644)
}

type outcome struct {
	Path    string `json:"path"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
}

func inspectFiles(paths []string) error {
	enc := json.NewEncoder(os.Stdout)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := checkpoint.Inspect(data)
		if err == nil {
			if info.Kind == checkpoint.Full {
				var a *mfpo.Agent
				if a, _, err = checkpoint.Unmarshal(data, checkpoint.Limits{}); err == nil {
					a.Close()
				}
			} else {
				_, _, err = checkpoint.UnmarshalPolicy(data, checkpoint.Limits{})
			}
		}
		o := outcome{Path: p, OK: err == nil}
		if err != nil {
			o.Error, o.Message = errorType(err), err.Error()
		}
		if err := enc.Encode(o); err != nil {
			return err
		}
	}
	return nil
}

func errorType(err error) string {
	var fe *checkpoint.FormatError
	var ve *checkpoint.VersionError
	var le *checkpoint.LimitError
	switch {
	case errors.As(err, &ve):
		return "*checkpoint.VersionError"
	case errors.As(err, &le):
		return "*checkpoint.LimitError"
	case errors.As(err, &fe):
		return "*checkpoint.FormatError"
	}
	return fmt.Sprintf("%T", err)
}
