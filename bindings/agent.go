package bindings

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"sync"

	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
	"github.com/mfpo/mfpo/gocore/replay"
)

// An agent handle is an int64 naming an *mfpo.Agent kept in a table on the
// Go side. Handles are issued from 1 upwards and never reused in a
// process; 0 is never a handle. Free releases one; using it afterwards is
// a "handle" error, never a crash.
//
// Threading: every function may be called from any thread. Calls on one
// handle are serialised by that handle's mutex (an Agent is not safe for
// concurrent use); calls on different handles run in parallel. gopy
// releases Python's GIL for the duration of every call.

type entry struct {
	mu    sync.Mutex
	agent *mfpo.Agent
	// seed counts the seeded act calls: the seed of the next one.
	seed uint64
	// Scratch for decoding payloads, grown on demand and reused.
	obs, act, reward, next []float32
}

var table = struct {
	sync.Mutex
	next    int64
	entries map[int64]*entry
}{entries: map[int64]*entry{}}

// lookup returns the live entry of h, locked; the caller unlocks it.
func lookup(h int64) (*entry, error) {
	table.Lock()
	e := table.entries[h]
	table.Unlock()
	if e == nil {
		return nil, errorf(codeHandle, "agent handle %d is not live (never issued, or freed)", h)
	}
	e.mu.Lock()
	if e.agent == nil { // freed between the two locks
		e.mu.Unlock()
		return nil, errorf(codeHandle, "agent handle %d is not live (freed)", h)
	}
	return e, nil
}

// DefaultConfigJSON returns the Config of a preset as the JSON object
// NewAgent reads: preset "paper" (or "") is the paper's defaults, "small"
// the preset for small tasks such as Pendulum (mfpo.SmallConfig).
func DefaultConfigJSON(preset string) (s string, err error) {
	defer recoverInto(&err)
	if preset == "" {
		preset = "paper"
	}
	f, ok := mfpo.Presets[preset]
	if !ok {
		return "", errorf(codeConfig, `unknown preset %q: want "paper" or "small"`, preset)
	}
	return f().JSON(), nil
}

// NewAgent makes an agent for observations of obsDim floats and actions
// of actDim floats in [−1, 1] and returns its handle. configJSON is a
// strict JSON object (mfpo.ConfigFromJSON): snake_case keys of
// mfpo.Config ("policy_samples", "time_sampler": {"mean": …}), an
// optional "preset" ("paper" or "small") giving the starting values, and
// absent keys keep the preset's. An unknown key, a value of the wrong type
// or an invalid value is a "config" error naming the key.
func NewAgent(configJSON string, obsDim, actDim int) (h int64, err error) {
	defer recoverInto(&err)
	if configJSON == "" {
		configJSON = "{}"
	}
	cfg, err := mfpo.ConfigFromJSON([]byte(configJSON))
	if err != nil {
		return 0, coded(err)
	}
	a, err := mfpo.New(cfg, policy.Spaces{ObsDim: obsDim, ActDim: actDim})
	if err != nil {
		return 0, coded(err)
	}
	return register(a), nil
}

// register adds a to the handle table and returns its new handle.
func register(a *mfpo.Agent) int64 {
	table.Lock()
	defer table.Unlock()
	table.next++
	table.entries[table.next] = &entry{agent: a}
	return table.next
}

// EffectiveConfig returns the agent's Config as JSON, every key present.
func EffectiveConfig(h int64) (s string, err error) {
	defer recoverInto(&err)
	e, err := lookup(h)
	if err != nil {
		return "", err
	}
	defer e.mu.Unlock()
	return e.agent.Config.JSON(), nil
}

// Info returns the agent's counters as a JSON object: obs_dim, act_dim,
// stored (transitions stored so far), buffer_len (transitions held now),
// updates (successful updates) and alpha (the current temperature).
func Info(h int64) (s string, err error) {
	defer recoverInto(&err)
	e, err := lookup(h)
	if err != nil {
		return "", err
	}
	defer e.mu.Unlock()
	a := e.agent
	b, err := json.Marshal(map[string]any{
		"obs_dim": a.Spaces.ObsDim, "act_dim": a.Spaces.ActDim, "stored": a.Stored,
		"buffer_len": a.Buffer.Len(), "updates": a.Updates, "alpha": finiteOrNil(float64(a.Alpha())),
	})
	if err != nil {
		return "", coded(err)
	}
	return string(b), nil
}

// Act returns actions in [−1, 1] for rows observations. obs holds rows×obsDim
// little-endian float32s (row-major); the result holds rows×actDim.
// mode is "sample" (one draw of the T-step sampler), "best_of_n"
// (EvalCandidates draws, the one the target critics value most: the
// paper's evaluation rule), "deterministic" (the sampler from ε = 0) or
// "explore" (uniform in [−1, 1] until learning_starts transitions are
// stored, then "sample": the training loop's behaviour). A NaN or an
// infinity in obs is a "nonfinite" error. The noise of "sample" and
// "best_of_n" comes from a per-handle counter of seeds (0, 1, …), never
// from the training generator, so acting does not change training;
// "explore" draws from the training generator.
func Act(h int64, obs []byte, rows int, mode string) (out []byte, err error) {
	defer recoverInto(&err)
	m, err := parseMode(mode)
	if err != nil {
		return nil, err
	}
	e, err := lookup(h)
	if err != nil {
		return nil, err
	}
	defer e.mu.Unlock()
	a := e.agent
	if rows < 1 {
		return nil, errorf(codeShape, "act: rows = %d, want ≥ 1", rows)
	}
	if err := checkSize("act", "obs", obs, rows, a.Spaces.ObsDim); err != nil {
		return nil, err
	}
	e.obs = decode(e.obs, obs)
	e.act = grow(e.act, rows*a.Spaces.ActDim)
	seed := e.seed
	if m != policy.Explore {
		e.seed++
	}
	if err := a.Act(e.act, e.obs, rows, m, seed); err != nil {
		return nil, coded(err)
	}
	return encode(e.act), nil
}

// Store adds rows transitions to the replay buffer with
// mfpo.Agent.StoreBatch (the result of rows calls of mfpo.Agent.Store in
// order): obs and nextObs hold rows×obsDim little-endian float32s, act
// rows×actDim (in [−1, 1], as Act returns them), reward rows, and
// terminated one byte per row, 0 or 1 (1 only for a true termination: a
// time-limit truncation stores 0 and keeps the bootstrap). Every row is
// checked first: a NaN or an infinity is a "nonfinite" error naming the
// field, row and element, and then nothing is stored. It returns the
// number of transitions stored by the agent so far.
func Store(h int64, obs, act, reward, nextObs, terminated []byte, rows int) (stored int64, err error) {
	defer recoverInto(&err)
	e, err := lookup(h)
	if err != nil {
		return 0, err
	}
	defer e.mu.Unlock()
	a := e.agent
	if rows < 1 {
		return 0, errorf(codeShape, "store: rows = %d, want ≥ 1", rows)
	}
	for _, p := range []struct {
		name string
		b    []byte
		dim  int
	}{{"obs", obs, a.Spaces.ObsDim}, {"act", act, a.Spaces.ActDim}, {"reward", reward, 1}, {"next_obs", nextObs, a.Spaces.ObsDim}} {
		if err := checkSize("store", p.name, p.b, rows, p.dim); err != nil {
			return 0, err
		}
	}
	if len(terminated) != rows {
		return 0, errorf(codeShape, "store: terminated has %d bytes, want %d (one byte, 0 or 1, per row)", len(terminated), rows)
	}
	terms := make([]bool, rows)
	for i, t := range terminated {
		if t > 1 {
			return 0, errorf(codeShape, "store: terminated[%d] = %d, want 0 or 1", i, t)
		}
		terms[i] = t == 1
	}
	e.obs, e.act, e.reward, e.next = decode(e.obs, obs), decode(e.act, act), decode(e.reward, reward), decode(e.next, nextObs)
	if err := a.StoreBatch(e.obs, e.act, e.reward, e.next, terms, rows); err != nil {
		var nf *replay.NonFiniteError
		if errors.As(err, &nf) {
			field := nf.Field
			if field == "nextObs" { // as Python names it
				field = "next_obs"
			}
			return 0, errorf(codeNonFinite, "store: %s row %d element %d is %v; nothing was stored", field, nf.Row, nf.Index, nf.Value)
		}
		return 0, coded(err)
	}
	return a.Stored, nil
}

// Update runs n updates (§6) and returns their statistics as a JSON
// object: the mean over the n updates of critic_loss (the two critics'
// mean), critic1_loss, critic2_loss, actor_loss, adn_loss, alpha_loss,
// alpha, entropy, ess_policy, ess_posterior and mean_q; plus n, the
// agent's updates so far. Before batch_size transitions are stored it is
// a "notenoughdata" error; an update abandoned on a non-finite loss is an
// "update" error (the agent is as before that update, and the updates
// before it in this call are kept).
func Update(h int64, n int) (s string, err error) {
	defer recoverInto(&err)
	e, err := lookup(h)
	if err != nil {
		return "", err
	}
	defer e.mu.Unlock()
	if n < 1 {
		return "", errorf(codeConfig, "update: n = %d updates, want ≥ 1", n)
	}
	a := e.agent
	var sum [11]float64
	for i := 0; i < n; i++ {
		st, err := a.Update()
		if err != nil {
			return "", coded(err)
		}
		for k, v := range [11]float32{
			(st.CriticLoss[0] + st.CriticLoss[1]) / 2, st.CriticLoss[0], st.CriticLoss[1], st.ActorLoss, st.ADNLoss,
			st.AlphaLoss, st.Alpha, st.Entropy, st.ESSPolicy, st.ESSPosterior, st.MeanQ,
		} {
			sum[k] += float64(v)
		}
	}
	keys := [11]string{"critic_loss", "critic1_loss", "critic2_loss", "actor_loss", "adn_loss",
		"alpha_loss", "alpha", "entropy", "ess_policy", "ess_posterior", "mean_q"}
	out := map[string]any{"n": n, "updates": a.Updates}
	for k, key := range keys {
		out[key] = finiteOrNil(sum[k] / float64(n))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", coded(err)
	}
	return string(b), nil
}

// Free releases the agent of h and its worker goroutines. It reports
// whether h was live; freeing a handle twice is harmless.
func Free(h int64) bool {
	table.Lock()
	e := table.entries[h]
	delete(table.entries, h)
	table.Unlock()
	if e == nil {
		return false
	}
	e.mu.Lock() // wait for a call in progress on h
	defer e.mu.Unlock()
	e.agent.Close()
	e.agent = nil
	return true
}

// LiveHandles is the number of agents not yet freed.
func LiveHandles() int {
	table.Lock()
	defer table.Unlock()
	return len(table.entries)
}

// parseMode reads a mode's canonical name (policy.ParseMode); another
// name is a "config" error.
func parseMode(mode string) (policy.Mode, error) {
	m, err := policy.ParseMode(mode)
	if err != nil {
		return 0, errorf(codeConfig, "%v", err)
	}
	return m, nil
}

// checkSize reports a "shape" error unless b holds rows×dim float32s.
func checkSize(fn, name string, b []byte, rows, dim int) error {
	if want := rows * dim * 4; len(b) != want {
		return errorf(codeShape, "%s: %s has %d bytes, want %d (%d rows × %d float32 × 4 bytes)", fn, name, len(b), want, rows, dim)
	}
	return nil
}

func grow(x []float32, n int) []float32 {
	if cap(x) < n {
		return make([]float32, n)
	}
	return x[:n]
}

// decode reads little-endian float32s from b into dst (grown as needed).
func decode(dst []float32, b []byte) []float32 {
	dst = grow(dst, len(b)/4)
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return dst
}

// encode writes x as little-endian float32s into a new slice.
func encode(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func finiteOrNil(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}
