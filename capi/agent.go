package main

/*
#include "internal.h"
*/
import "C"

import (
	"math"
	"slices"
	"sync"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
	"github.com/mfpo/mfpo/gocore/replay"
)

// agentHandle is what an mfpo_agent token stands for. mu serialises the
// calls on one agent; agent is nil once the handle is freed, for calls
// that looked the handle up before the free and ran after it.
type agentHandle struct {
	mu    sync.Mutex
	agent *mfpo.Agent
	act   []float32 // scratch: actions in [−1, 1]
	terms []bool    // scratch: terminated flags

	// gen counts the calls that changed the agent (store, update, explore);
	// saved holds the bytes of the last mfpo_agent_save_buffer size query,
	// valid while savedKey matches.
	gen      uint64
	saved    []byte
	savedKey saveKey
}

type saveKey struct {
	gen   uint64
	flags C.unsigned
}

// changed marks the agent changed: a kept checkpoint is stale.
func (ah *agentHandle) changed() {
	ah.gen++
	ah.saved = nil
}

// scratch returns n floats of the handle's scratch.
func (ah *agentHandle) scratch(n int) []float32 {
	if len(ah.act) < n {
		ah.act = make([]float32, n)
	}
	return ah.act[:n]
}

// close stops the agent's workers and marks the handle freed.
func (ah *agentHandle) close() {
	ah.mu.Lock()
	defer ah.mu.Unlock()
	if ah.agent != nil {
		ah.agent.Close()
	}
	ah.agent, ah.act, ah.terms, ah.saved = nil, nil, nil, nil
}

// agentOf returns the live agent of token h with its lock held, or records
// why there is none. The caller unlocks ah.mu.
func agentOf(h uintptr, fn string) (*agentHandle, C.int) {
	ah, ok := lookup(h).(*agentHandle)
	if !ok {
		return nil, fail(h, statusHandle, fn, "%s", describe(h, "agent"))
	}
	ah.mu.Lock()
	if ah.agent == nil {
		ah.mu.Unlock()
		return nil, fail(h, statusHandle, fn, "the agent handle was freed")
	}
	return ah, statusOK
}

// putHandle writes token h into a caller's handle pointer.
func putHandle(out unsafe.Pointer, h uintptr) {
	*(*uintptr)(out) = h
}

// spacesArg reads the dimensions and bounds of a create call.
func spacesArg(fn string, obsDim, actDim C.size_t, low, high *C.mfpo_cfloat) (policy.Spaces, C.int) {
	if obsDim == 0 || obsDim > maxDim || actDim == 0 || actDim > maxDim {
		return policy.Spaces{}, fail(0, statusInval, fn, "obs_dim %d and act_dim %d, want 1 … %d", uint64(obsDim), uint64(actDim), maxDim)
	}
	sp := policy.Spaces{ObsDim: int(obsDim), ActDim: int(actDim)}
	if low != nil {
		sp.Low = slices.Clone(floats(low, sp.ActDim))
	}
	if high != nil {
		sp.High = slices.Clone(floats(high, sp.ActDim))
	}
	if err := sp.Validate(); err != nil {
		return sp, failErr(0, fn, err)
	}
	return sp, statusOK
}

//export mfpo_agent_create
func mfpo_agent_create(out **C.mfpo_agent, config *C.mfpo_cchar, obsDim, actDim C.size_t, low, high *C.mfpo_cfloat) (rc C.int) {
	const fn = "mfpo_agent_create"
	defer guardStatus(&rc, 0, fn)
	if out == nil {
		return fail(0, statusInval, fn, "out is NULL")
	}
	js := []byte("{}")
	if config != nil {
		// C's strlen rather than C.GoString, whose vectorised scan reads
		// past the terminator (harmless, but memcheck reports it).
		js = C.GoBytes(unsafe.Pointer(config), C.int(min(C.strlen((*C.char)(unsafe.Pointer(config))), 1<<30)))
	}
	cfg, err := mfpo.ConfigFromJSON(js)
	if err != nil {
		return failErr(0, fn, err)
	}
	sp, rc := spacesArg(fn, obsDim, actDim, low, high)
	if rc != statusOK {
		return rc
	}
	a, err := mfpo.New(cfg, sp)
	if err != nil {
		return failErr(0, fn, err)
	}
	putHandle(unsafe.Pointer(out), register(&agentHandle{agent: a}))
	return statusOK
}

//export mfpo_agent_free
func mfpo_agent_free(ap *C.mfpo_agent) (rc C.int) {
	const fn = "mfpo_agent_free"
	h := handleValue(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	if h == 0 {
		return statusOK
	}
	if _, ok := lookup(h).(*agentHandle); !ok {
		return fail(h, statusHandle, fn, "%s", describe(h, "agent"))
	}
	ah, ok := unregister(h).(*agentHandle)
	if !ok { // freed by another thread since the lookup
		return fail(h, statusHandle, fn, "the agent handle was freed")
	}
	ah.close()
	return statusOK
}

//export mfpo_agent_dims
func mfpo_agent_dims(ap *C.mfpo_cagent, obsDim, actDim *C.size_t) (rc C.int) {
	const fn = "mfpo_agent_dims"
	h := handleValue(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	ah, rc := agentOf(h, fn)
	if rc != statusOK {
		return rc
	}
	defer ah.mu.Unlock()
	if obsDim != nil {
		*obsDim = C.size_t(ah.agent.Spaces.ObsDim)
	}
	if actDim != nil {
		*actDim = C.size_t(ah.agent.Spaces.ActDim)
	}
	return statusOK
}

//export mfpo_agent_counters
func mfpo_agent_counters(ap *C.mfpo_cagent, updates, stored *C.int64_t) (rc C.int) {
	const fn = "mfpo_agent_counters"
	h := handleValue(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	ah, rc := agentOf(h, fn)
	if rc != statusOK {
		return rc
	}
	defer ah.mu.Unlock()
	if updates != nil {
		*updates = C.int64_t(ah.agent.Updates)
	}
	if stored != nil {
		*stored = C.int64_t(ah.agent.Stored)
	}
	return statusOK
}

//export mfpo_agent_act
func mfpo_agent_act(ap *C.mfpo_agent, obs *C.mfpo_cfloat, obsLen, rows C.size_t, mode C.int, seed C.uint64_t, act *C.float, actCap C.size_t) (rc C.int) {
	const fn = "mfpo_agent_act"
	h := handleValue(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	ah, rc := agentOf(h, fn)
	if rc != statusOK {
		return rc
	}
	defer ah.mu.Unlock()
	sp := ah.agent.Spaces
	o, dst, m, rc := actArgs(h, fn, sp, obs, obsLen, rows, mode, act, actCap, true)
	if rc != statusOK {
		return rc
	}
	if m == policy.Explore {
		ah.changed() // explore advances the agent's generator
	}
	a := ah.scratch(len(dst))
	if err := ah.agent.Act(a, o, int(rows), m, uint64(seed)); err != nil {
		return failErr(h, fn, err)
	}
	sp.ToEnv(dst, a)
	return statusOK
}

//export mfpo_agent_store
func mfpo_agent_store(ap *C.mfpo_agent, rows C.size_t, obs *C.mfpo_cfloat, obsLen C.size_t, act *C.mfpo_cfloat, actLen C.size_t,
	reward *C.mfpo_cfloat, nextObs *C.mfpo_cfloat, nextObsLen C.size_t, terminated *C.mfpo_cuint8) (rc C.int) {
	const fn = "mfpo_agent_store"
	h := handleValue(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	ah, rc := agentOf(h, fn)
	if rc != statusOK {
		return rc
	}
	defer ah.mu.Unlock()
	sp := ah.agent.Spaces
	switch {
	case rows == 0:
		return fail(h, statusInval, fn, "rows is 0, want ≥ 1")
	case obs == nil || act == nil || reward == nil || nextObs == nil || terminated == nil:
		return fail(h, statusInval, fn, "a NULL array (obs %v, act %v, reward %v, next_obs %v, terminated %v)",
			obs == nil, act == nil, reward == nil, nextObs == nil, terminated == nil)
	}
	nObs, ok1 := product(uint64(rows), uint64(sp.ObsDim))
	nAct, ok2 := product(uint64(rows), uint64(sp.ActDim))
	n := int(rows)
	switch {
	case !ok1 || !ok2 || uint64(rows) > math.MaxInt32:
		return fail(h, statusShape, fn, "rows is %d, too many", uint64(rows))
	case uint64(obsLen) != uint64(nObs):
		return fail(h, statusShape, fn, "obs_len is %d, want rows × obs_dim = %d × %d", uint64(obsLen), n, sp.ObsDim)
	case uint64(actLen) != uint64(nAct):
		return fail(h, statusShape, fn, "act_len is %d, want rows × act_dim = %d × %d", uint64(actLen), n, sp.ActDim)
	case uint64(nextObsLen) != uint64(nObs):
		return fail(h, statusShape, fn, "next_obs_len is %d, want rows × obs_dim = %d × %d", uint64(nextObsLen), n, sp.ObsDim)
	}
	env := floats(act, nAct)
	for i, v := range env { // before the mapping, which would clip an infinity into the box
		if v-v != 0 {
			return failErr(h, fn, &replay.NonFiniteError{Field: "act", Row: i / sp.ActDim, Index: i % sp.ActDim, Value: float64(v)})
		}
	}
	a := ah.scratch(nAct)
	sp.FromEnv(a, env)
	if len(ah.terms) < n {
		ah.terms = make([]bool, n)
	}
	terms := ah.terms[:n]
	for i, t := range unsafe.Slice((*uint8)(unsafe.Pointer(terminated)), n) {
		terms[i] = t != 0
	}
	if err := ah.agent.StoreBatch(floats(obs, nObs), a, floats(reward, n), floats(nextObs, nObs), terms, n); err != nil {
		return failErr(h, fn, err)
	}
	ah.changed()
	return statusOK
}

// minStatsSize is the smallest stats->size accepted: size and updates.
const minStatsSize = C.size_t(unsafe.Offsetof(C.mfpo_stats{}.critic_loss))

//export mfpo_agent_update
func mfpo_agent_update(ap *C.mfpo_agent, steps C.uint32_t, stats *C.mfpo_stats) (rc C.int) {
	const fn = "mfpo_agent_update"
	h := handleValue(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	ah, rc := agentOf(h, fn)
	if rc != statusOK {
		return rc
	}
	defer ah.mu.Unlock()
	switch {
	case steps == 0:
		return fail(h, statusInval, fn, "steps is 0, want ≥ 1")
	case stats != nil && stats.size < minStatsSize:
		return fail(h, statusInval, fn, "stats->size is %d, want sizeof(mfpo_stats) (at least %d)", uint64(stats.size), uint64(minStatsSize))
	}
	var sum [11]float64
	ah.changed()
	for i := 0; i < int(steps); i++ {
		st, err := ah.agent.Update()
		if err != nil {
			code := statusOf(err)
			if i == 0 {
				return failErr(h, fn, err)
			}
			return fail(h, code, fn, "update %d of %d: %v (the %d before it are applied)", i+1, int(steps), err, i)
		}
		for k, v := range [11]float32{st.CriticLoss[0], st.CriticLoss[1], st.ActorLoss, st.ADNLoss, st.AlphaLoss,
			st.Alpha, st.Entropy, st.ESSPolicy, st.ESSPosterior, st.MeanQ} {
			sum[k] += float64(v)
		}
	}
	if stats == nil {
		return statusOK
	}
	mean := func(k int) C.float { return C.float(sum[k] / float64(steps)) }
	local := C.mfpo_stats{
		size:          stats.size,
		updates:       C.int64_t(ah.agent.Updates),
		critic_loss:   [2]C.float{mean(0), mean(1)},
		actor_loss:    mean(2),
		adn_loss:      mean(3),
		alpha_loss:    mean(4),
		alpha:         mean(5),
		entropy:       mean(6),
		ess_policy:    mean(7),
		ess_posterior: mean(8),
		mean_q:        mean(9),
	}
	// The fields after size that fit in the caller's struct.
	n := min(uint64(stats.size), uint64(unsafe.Sizeof(local)))
	skip := uint64(unsafe.Sizeof(local.size))
	dst := unsafe.Slice((*byte)(unsafe.Pointer(stats)), n)
	src := unsafe.Slice((*byte)(unsafe.Pointer(&local)), n)
	copy(dst[skip:], src[skip:])
	return statusOK
}

//export mfpo_agent_config
func mfpo_agent_config(ap *C.mfpo_cagent, buf *C.char, capacity C.size_t, needed *C.size_t) (rc C.int) {
	const fn = "mfpo_agent_config"
	h := handleValue(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	ah, rc := agentOf(h, fn)
	if rc != statusOK {
		return rc
	}
	defer ah.mu.Unlock()
	return fillBuffer(h, fn, append([]byte(ah.agent.Config.JSON()), 0), buf, capacity, needed)
}

//export mfpo_agent_policy
func mfpo_agent_policy(ap *C.mfpo_cagent, out **C.mfpo_policy) (rc C.int) {
	const fn = "mfpo_agent_policy"
	h := handleValue(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	ah, rc := agentOf(h, fn)
	if rc != statusOK {
		return rc
	}
	defer ah.mu.Unlock()
	if out == nil {
		return fail(h, statusInval, fn, "out is NULL")
	}
	p, err := ah.agent.CopyPolicy()
	if err != nil {
		return failErr(h, fn, err)
	}
	putHandle(unsafe.Pointer(out), register(&policyHandle{p: p, cfg: ah.agent.Config}))
	return statusOK
}
