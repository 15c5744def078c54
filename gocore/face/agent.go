package face

import (
	"math"
	"math/bits"
	"sync"

	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
	"github.com/mfpo/mfpo/gocore/replay"
)

// MaxDim is the largest observation or action width an agent takes.
const MaxDim = 1 << 20

// agentHandle is what an agent handle stands for. mu serialises the calls
// on one agent (an mfpo.Agent is not safe for concurrent use); agent is
// nil once freed, for calls that looked the handle up before the free.
type agentHandle struct {
	mu    sync.Mutex
	agent *mfpo.Agent
	unit  []float32 // scratch: actions in [−1, 1]
	terms []bool    // scratch: terminated flags
	// maxBytes is the config's max_bytes (0: mfpo.MemoryLimit()), which a
	// call's own allocations are checked against.
	maxBytes int64

	// gen counts the calls that changed the agent; kept holds the bytes
	// of a Marshal asked to keep them, valid while keptKey matches.
	gen     uint64
	kept    []byte
	keptKey keptKey
}

type keptKey struct {
	gen  uint64
	kind SaveKind
}

func (ah *agentHandle) changed() {
	ah.gen++
	ah.kept = nil
}

func (ah *agentHandle) scratch(n int) []float32 {
	if len(ah.unit) < n {
		ah.unit = make([]float32, n)
	}
	return ah.unit[:n]
}

// scratchArg is a *mfpo.SizeError naming rows when a call's scratch of
// rows × perRow bytes is over the agent's memory limit.
func (ah *agentHandle) scratchArg(rows, perRow int) error {
	if err := mfpo.CheckMemory("rows", float64(rows)*float64(perRow), ah.maxBytes); err != nil {
		return AsError(err)
	}
	return nil
}

// withAgent runs f on the live agent of h with its lock held.
func withAgent(h Handle, f func(ah *agentHandle) error) error {
	ah, ok := lookup(h).(*agentHandle)
	if !ok {
		return badHandle(h, "agent")
	}
	ah.mu.Lock()
	defer ah.mu.Unlock()
	if ah.agent == nil { // freed between the lookup and the lock
		return errorf(EHandle, "the agent handle was freed")
	}
	return f(ah)
}

// CheckAgent is nil when h is a live agent handle, and the EHandle error
// saying why not otherwise.
func CheckAgent(h Handle) (err error) {
	defer catch(&err)
	return withAgent(h, func(*agentHandle) error { return nil })
}

// CheckSpaces returns an EInval error unless sp is valid with widths of
// at most MaxDim.
func CheckSpaces(sp policy.Spaces) error {
	if sp.ObsDim > MaxDim || sp.ActDim > MaxDim {
		return errorf(EInval, "obs_dim %d and act_dim %d, want 1 … %d", sp.ObsDim, sp.ActDim, MaxDim)
	}
	if err := sp.Validate(); err != nil {
		return errorf(EInval, "%s", AsError(err).Msg)
	}
	return nil
}

// CreateAgent makes an agent with fresh networks from a strict JSON
// config (mfpo.ConfigFromJSON; nil means "{}", the paper's defaults, and
// an empty config is invalid JSON) for the spaces sp, the one owner of
// the observation width and action box.
func CreateAgent(configJSON []byte, sp policy.Spaces) (h Handle, err error) {
	defer catch(&err)
	if err := SecondRuntime(); err != nil {
		return 0, err
	}
	if configJSON == nil {
		configJSON = []byte("{}")
	}
	cfg, set, err := mfpo.ParseConfig(configJSON)
	if err != nil {
		return 0, AsError(err)
	}
	if err := CheckSpaces(sp); err != nil {
		return 0, err
	}
	be, err := mfpo.OpenBackend(set.Device)
	if err != nil {
		return 0, AsError(err)
	}
	a, err := mfpo.NewOn(be, cfg, sp, set.MaxBytes)
	if err != nil {
		closeBackend(be)
		return 0, AsError(err)
	}
	return register(&agentHandle{agent: a, maxBytes: set.MaxBytes}), nil
}

// FreeAgent frees agent h and stops its workers, after a call in progress
// on it. 0 is no error; a handle not live is EHandle.
func FreeAgent(h Handle) (err error) {
	defer catch(&err)
	if h == 0 {
		return nil
	}
	if _, ok := lookup(h).(*agentHandle); !ok {
		return badHandle(h, "agent")
	}
	ah, ok := unregister(h).(*agentHandle)
	if !ok { // freed by another thread since the lookup
		return errorf(EHandle, "the agent handle was freed")
	}
	ah.mu.Lock()
	defer ah.mu.Unlock()
	ah.agent.Close()
	closeBackend(ah.agent.Be)
	ah.agent, ah.unit, ah.terms, ah.kept = nil, nil, nil, nil
	return nil
}

// closeBackend frees a device backend that CreateAgent opened (the CPU
// backend has nothing to free).
func closeBackend(be any) {
	if c, ok := be.(interface{ Close() }); ok {
		c.Close()
	}
}

// AgentInfo is what an agent reports about itself.
type AgentInfo struct {
	Spaces    policy.Spaces
	Updates   int64 // successful updates in total
	Stored    int64 // transitions stored in total
	BufferLen int   // transitions the replay buffer holds now
	Alpha     float64
	Device    string // where it computes: "cpu" or "cuda" (mfpo.DeviceOf)
}

// Agent returns agent h's info. It is cheap (no config JSON: that is
// AgentConfig), so shells may call it on every act to size the result.
func Agent(h Handle) (info AgentInfo, err error) {
	defer catch(&err)
	err = withAgent(h, func(ah *agentHandle) error {
		a := ah.agent
		info = AgentInfo{Spaces: a.Spaces, Updates: a.Updates, Stored: a.Stored,
			BufferLen: a.Buffer.Len(), Alpha: float64(a.Alpha()), Device: mfpo.DeviceOf(a.Be)}
		return nil
	})
	return info, err
}

// AgentConfig returns agent h's effective config as JSON, every key
// (mfpo.Config.JSON).
func AgentConfig(h Handle) (js string, err error) {
	defer catch(&err)
	err = withAgent(h, func(ah *agentHandle) error {
		js = ah.agent.Config.JSON()
		return nil
	})
	return js, err
}

// rowsArg checks a row count: EInval below 1, EShape when rows × width
// would not fit in an int32-indexed batch.
func rowsArg(rows int, widths ...int) error {
	if rows < 1 {
		return errorf(EInval, "rows is %d, want ≥ 1", rows)
	}
	for _, w := range widths {
		if _, ok := product(rows, w); !ok || rows > math.MaxInt32 {
			return errorf(EShape, "rows is %d, too many", rows)
		}
	}
	return nil
}

// product returns a·b, and false when it overflows an int.
func product(a, b int) (int, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if a < 0 || b < 0 || hi != 0 || lo > math.MaxInt {
		return 0, false
	}
	return int(lo), true
}

// lenArg is an EShape error unless x holds rows × width floats.
func lenArg(name string, n, rows, width int, dim string) error {
	if n != rows*width {
		return errorf(EShape, "%s has %d floats, want rows × %s = %d × %d = %d", name, n, dim, rows, width, rows*width)
	}
	return nil
}

// actArgs checks an act call's arguments against the spaces.
func actArgs(sp policy.Spaces, dst, obs []float32, rows int) error {
	if err := rowsArg(rows, sp.ObsDim, sp.ActDim); err != nil {
		return err
	}
	if err := lenArg("obs", len(obs), rows, sp.ObsDim, "obs_dim"); err != nil {
		return err
	}
	if len(dst) < rows*sp.ActDim {
		return errorf(EShape, "act has room for %d floats, want rows × act_dim = %d × %d = %d", len(dst), rows, sp.ActDim, rows*sp.ActDim)
	}
	return nil
}

// AgentAct writes into dst the actions, in the environment's units, of
// rows observations obs ([rows×obs_dim]). Sample, BestOfN and
// Deterministic draw their noise from seed alone and leave the agent as it
// was (acting never perturbs training); Explore draws from the agent's
// training generator and ignores seed. dst is written only on success.
func AgentAct(h Handle, dst, obs []float32, rows int, mode policy.Mode, seed uint64) (err error) {
	defer catch(&err)
	return withAgent(h, func(ah *agentHandle) error {
		if err := modeArg(mode, true); err != nil {
			return err
		}
		sp := ah.agent.Spaces
		if err := actArgs(sp, dst, obs, rows); err != nil {
			return err
		}
		if err := ah.scratchArg(rows, 4*sp.ActDim); err != nil {
			return err
		}
		unit := ah.scratch(rows * sp.ActDim)
		if mode == policy.Explore {
			ah.changed() // explore advances the agent's generator
		}
		if err := ah.agent.Act(unit, obs, rows, mode, seed); err != nil {
			return AsError(err)
		}
		sp.ToEnv(dst[:len(unit)], unit)
		return nil
	})
}

// AgentStore adds rows transitions to the replay buffer, in order: obs
// and next [rows×obs_dim], act [rows×act_dim] in the environment's units
// (mapped to [−1, 1] and clipped to it), reward [rows], terminated one
// byte per row (nonzero: a true termination; 0 for a time-limit
// truncation). Every row is checked before any is stored: a NaN or an
// infinity is ENonFinite naming the field, row and element, and nothing
// is stored.
func AgentStore(h Handle, rows int, obs, act, reward, next []float32, terminated []byte) (err error) {
	defer catch(&err)
	return withAgent(h, func(ah *agentHandle) error {
		sp := ah.agent.Spaces
		if err := rowsArg(rows, sp.ObsDim, sp.ActDim); err != nil {
			return err
		}
		for _, x := range []struct {
			name, dim string
			n, width  int
		}{{"obs", "obs_dim", len(obs), sp.ObsDim}, {"act", "act_dim", len(act), sp.ActDim},
			{"reward", "1", len(reward), 1}, {"next_obs", "obs_dim", len(next), sp.ObsDim}} {
			if err := lenArg(x.name, x.n, rows, x.width, x.dim); err != nil {
				return err
			}
		}
		if len(terminated) != rows {
			return errorf(EShape, "terminated has %d bytes, want rows = %d (one a row)", len(terminated), rows)
		}
		for i, v := range act { // before the mapping, which would clip an infinity into the box
			if v-v != 0 {
				return AsError(&replay.NonFiniteError{Field: "act", Row: i / sp.ActDim, Index: i % sp.ActDim, Value: float64(v)})
			}
		}
		if err := ah.scratchArg(rows, 4*sp.ActDim+1); err != nil {
			return err
		}
		unit := ah.scratch(len(act))
		sp.FromEnv(unit, act)
		if len(ah.terms) < rows {
			ah.terms = make([]bool, rows)
		}
		terms := ah.terms[:rows]
		for i, t := range terminated {
			terms[i] = t != 0
		}
		if err := ah.agent.StoreBatch(obs, unit, reward, next, terms, rows); err != nil {
			return AsError(err)
		}
		ah.changed()
		return nil
	})
}

// Stats are the means of an update call's figures over its updates.
type Stats struct {
	N            int   // updates in this call
	Updates      int64 // the agent's successful updates in total, after it
	CriticLoss   [2]float64
	ActorLoss    float64
	ADNLoss      float64
	AlphaLoss    float64
	Alpha        float64
	Entropy      float64
	ESSPolicy    float64
	ESSPosterior float64
	MeanQ        float64
}

// fields lists the averaged figures, in one order, for add and scale.
func (s *Stats) fields() [10]*float64 {
	return [10]*float64{&s.CriticLoss[0], &s.CriticLoss[1], &s.ActorLoss, &s.ADNLoss, &s.AlphaLoss,
		&s.Alpha, &s.Entropy, &s.ESSPolicy, &s.ESSPosterior, &s.MeanQ}
}

func (s *Stats) add(st mfpo.Stats) {
	v := [10]float32{st.CriticLoss[0], st.CriticLoss[1], st.ActorLoss, st.ADNLoss, st.AlphaLoss,
		st.Alpha, st.Entropy, st.ESSPolicy, st.ESSPosterior, st.MeanQ}
	for k, p := range s.fields() {
		*p += float64(v[k])
	}
}

// MaxUpdateSteps is the most updates one AgentUpdate call runs (the C
// ABI's uint32 steps).
const MaxUpdateSteps = math.MaxUint32

// AgentUpdate runs n ≥ 1 updates and returns the means of their figures.
// Before batch_size transitions are stored it is ENoData and nothing
// changes; an update abandoned on a non-finite loss is EUpdate: that
// update is undone, the ones before it in this call stay applied.
func AgentUpdate(h Handle, n int) (st Stats, err error) {
	defer catch(&err)
	err = withAgent(h, func(ah *agentHandle) error {
		if n < 1 || n > MaxUpdateSteps {
			return errorf(EInval, "steps is %d, want 1 … %d", n, MaxUpdateSteps)
		}
		ah.changed()
		for i := 0; i < n; i++ {
			s, err := ah.agent.Update()
			if err != nil {
				e := AsError(err)
				if i == 0 {
					return e
				}
				return errorf(e.Code, "update %d of %d: %s (the %d before it are applied)", i+1, n, e.Msg, i)
			}
			st.add(s)
		}
		for _, p := range st.fields() {
			*p /= float64(n)
		}
		st.N, st.Updates = n, ah.agent.Updates
		return nil
	})
	return st, err
}

// MemoryLimit is the process's memory limit (mfpo.MemoryLimit): what
// every create, load and call is estimated against unless an agent's
// config sets max_bytes.
func MemoryLimit() int64 { return mfpo.MemoryLimit() }

// SetMemoryLimit sets the process's memory limit (n ≤ 0: the default)
// and returns the one before.
func SetMemoryLimit(n int64) int64 { return mfpo.SetMemoryLimit(n) }

// AgentSetLearningRate sets every optimiser's rate of agent h to lr (a
// learning-rate schedule's current value); EConfig unless lr is finite
// and ≥ 0.
func AgentSetLearningRate(h Handle, lr float64) (err error) {
	defer catch(&err)
	return withAgent(h, func(ah *agentHandle) error {
		if err := ah.agent.SetLearningRate(lr); err != nil {
			return AsError(err)
		}
		ah.changed()
		return nil
	})
}
