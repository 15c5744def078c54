package main

/*
#include "internal.h"
*/
import "C"

import (
	"slices"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/face"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// The agent exports: each converts C's pointers and sizes into Go values,
// calls gocore/face, and writes the results. The rules of every call are
// face's.

//export mfpo_agent_create
func mfpo_agent_create(out **C.mfpo_agent, config *C.mfpo_cchar, obsDim, actDim C.size_t, low, high *C.mfpo_cfloat) (rc C.int) {
	const fn = "mfpo_agent_create"
	defer guardStatus(&rc, 0, fn)
	if out == nil {
		return failf(0, fn, "out is NULL")
	}
	var js []byte
	if config != nil {
		js = cbytes(config, mfpo.MaxConfigBytes)
	}
	if uint64(obsDim) > face.MaxDim || uint64(actDim) > face.MaxDim {
		return failf(0, fn, "obs_dim %d and act_dim %d, want 1 … %d", uint64(obsDim), uint64(actDim), face.MaxDim)
	}
	sp := policy.Spaces{ObsDim: int(obsDim), ActDim: int(actDim)}
	if low != nil {
		sp.Low = slices.Clone(floats(low, sp.ActDim))
	}
	if high != nil {
		sp.High = slices.Clone(floats(high, sp.ActDim))
	}
	h, err := face.CreateAgent(js, sp)
	if err != nil {
		return fail(0, fn, err)
	}
	putHandle(unsafe.Pointer(out), h)
	return C.MFPO_OK
}

//export mfpo_agent_free
func mfpo_agent_free(ap *C.mfpo_agent) (rc C.int) {
	const fn = "mfpo_agent_free"
	h := handleOf(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	return status(h, fn, face.FreeAgent(h))
}

//export mfpo_agent_dims
func mfpo_agent_dims(ap *C.mfpo_cagent, obsDim, actDim *C.size_t) (rc C.int) {
	const fn = "mfpo_agent_dims"
	h := handleOf(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	info, err := face.Agent(h)
	if err != nil {
		return fail(h, fn, err)
	}
	putDims(info.Spaces, obsDim, actDim)
	return C.MFPO_OK
}

func putDims(sp policy.Spaces, obsDim, actDim *C.size_t) {
	if obsDim != nil {
		*obsDim = C.size_t(sp.ObsDim)
	}
	if actDim != nil {
		*actDim = C.size_t(sp.ActDim)
	}
}

//export mfpo_agent_counters
func mfpo_agent_counters(ap *C.mfpo_cagent, updates, stored *C.int64_t) (rc C.int) {
	const fn = "mfpo_agent_counters"
	h := handleOf(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	info, err := face.Agent(h)
	if err != nil {
		return fail(h, fn, err)
	}
	if updates != nil {
		*updates = C.int64_t(info.Updates)
	}
	if stored != nil {
		*stored = C.int64_t(info.Stored)
	}
	return C.MFPO_OK
}

// actCall converts the arguments the two act exports share and runs act.
// The handle is looked up once, by face, on the way in: check(h) runs only
// when an argument is bad, so that a bad handle is reported first, as face
// reports it before any argument.
func actCall(h face.Handle, check func(face.Handle) error, fn string, obs *C.mfpo_cfloat, obsLen, rows C.size_t, mode C.int, act *C.float, actCap C.size_t,
	run func(dst, obs []float32, rows int, m policy.Mode) error) C.int {
	m, merr := face.ModeOfNumber(int(mode))
	n, serr := sizes([]string{"obs_len", "rows", "act_cap"}, obsLen, rows, actCap)
	if merr != nil || obs == nil || act == nil || serr != nil {
		if err := check(h); err != nil {
			return fail(h, fn, err)
		}
		switch {
		case merr != nil:
			return fail(h, fn, merr)
		case obs == nil:
			return failf(h, fn, "obs is NULL")
		case act == nil:
			return failf(h, fn, "act is NULL")
		}
		return fail(h, fn, serr)
	}
	return status(h, fn, run(floats(act, n[2]), floats(obs, n[0]), n[1], m))
}

//export mfpo_agent_act
func mfpo_agent_act(ap *C.mfpo_agent, obs *C.mfpo_cfloat, obsLen, rows C.size_t, mode C.int, seed C.uint64_t, act *C.float, actCap C.size_t) (rc C.int) {
	const fn = "mfpo_agent_act"
	h := handleOf(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	return actCall(h, face.CheckAgent, fn, obs, obsLen, rows, mode, act, actCap, func(dst, o []float32, rows int, m policy.Mode) error {
		return face.AgentAct(h, dst, o, rows, m, uint64(seed))
	})
}

//export mfpo_agent_store
func mfpo_agent_store(ap *C.mfpo_agent, rows C.size_t, obs *C.mfpo_cfloat, obsLen C.size_t, act *C.mfpo_cfloat, actLen C.size_t,
	reward *C.mfpo_cfloat, nextObs *C.mfpo_cfloat, nextObsLen C.size_t, terminated *C.mfpo_cuint8) (rc C.int) {
	const fn = "mfpo_agent_store"
	h := handleOf(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	if obs == nil || act == nil || reward == nil || nextObs == nil || terminated == nil {
		return argError(h, face.CheckAgent, fn, "a NULL array (obs %v, act %v, reward %v, next_obs %v, terminated %v)",
			obs == nil, act == nil, reward == nil, nextObs == nil, terminated == nil)
	}
	n, err := sizes([]string{"rows", "obs_len", "act_len", "next_obs_len"}, rows, obsLen, actLen, nextObsLen)
	if err != nil {
		return fail(h, fn, err)
	}
	return status(h, fn, face.AgentStore(h, n[0], floats(obs, n[1]), floats(act, n[2]), floats(reward, n[0]),
		floats(nextObs, n[3]), bytesAt(terminated, n[0])))
}

// minStatsSize is the smallest stats->size accepted: size and updates.
const minStatsSize = C.size_t(unsafe.Offsetof(C.mfpo_stats{}.critic_loss))

//export mfpo_agent_update
func mfpo_agent_update(ap *C.mfpo_agent, steps C.uint32_t, stats *C.mfpo_stats) (rc C.int) {
	const fn = "mfpo_agent_update"
	h := handleOf(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	if stats != nil && stats.size < minStatsSize {
		return argError(h, face.CheckAgent, fn, "stats->size is %d, want sizeof(mfpo_stats) (at least %d)", uint64(stats.size), uint64(minStatsSize))
	}
	st, err := face.AgentUpdate(h, int(steps))
	if err != nil {
		return fail(h, fn, err)
	}
	if stats == nil {
		return C.MFPO_OK
	}
	f := func(x float64) C.float { return C.float(x) }
	local := C.mfpo_stats{
		size:          stats.size,
		updates:       C.int64_t(st.Updates),
		critic_loss:   [2]C.float{f(st.CriticLoss[0]), f(st.CriticLoss[1])},
		actor_loss:    f(st.ActorLoss),
		adn_loss:      f(st.ADNLoss),
		alpha_loss:    f(st.AlphaLoss),
		alpha:         f(st.Alpha),
		entropy:       f(st.Entropy),
		ess_policy:    f(st.ESSPolicy),
		ess_posterior: f(st.ESSPosterior),
		mean_q:        f(st.MeanQ),
	}
	// The fields after size that fit in the caller's struct.
	n := min(uint64(stats.size), uint64(unsafe.Sizeof(local)))
	skip := uint64(unsafe.Sizeof(local.size))
	dst := unsafe.Slice((*byte)(unsafe.Pointer(stats)), n)
	src := unsafe.Slice((*byte)(unsafe.Pointer(&local)), n)
	copy(dst[skip:], src[skip:])
	return C.MFPO_OK
}

//export mfpo_agent_config
func mfpo_agent_config(ap *C.mfpo_cagent, buf *C.char, capacity C.size_t, needed *C.size_t) (rc C.int) {
	const fn = "mfpo_agent_config"
	h := handleOf(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	js, err := face.AgentConfig(h)
	if err != nil {
		return fail(h, fn, err)
	}
	return fillBuffer(h, fn, append([]byte(js), 0), buf, capacity, needed)
}

//export mfpo_agent_policy
func mfpo_agent_policy(ap *C.mfpo_cagent, out **C.mfpo_policy) (rc C.int) {
	const fn = "mfpo_agent_policy"
	h := handleOf(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	if out == nil {
		return argError(h, face.CheckAgent, fn, "out is NULL")
	}
	p, err := face.AgentPolicy(h)
	if err != nil {
		return fail(h, fn, err)
	}
	putHandle(unsafe.Pointer(out), p)
	return C.MFPO_OK
}
