package main

/*
#include "internal.h"
*/
import "C"

import (
	"unsafe"

	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// policyHandle is what an mfpo_policy token stands for. A policy is
// immutable and safe for concurrent use, so it needs no lock: a call that
// looked the handle up before a free finishes with it normally.
type policyHandle struct {
	p   *policy.Policy
	cfg mfpo.Config // the whole configuration the policy came with
}

// policyOf returns the policy of token h, or records why there is none.
func policyOf(h uintptr, fn string) (*policyHandle, C.int) {
	ph, ok := lookup(h).(*policyHandle)
	if !ok {
		return nil, fail(h, statusHandle, fn, "%s", describe(h, "policy"))
	}
	return ph, statusOK
}

//export mfpo_policy_free
func mfpo_policy_free(pp *C.mfpo_policy) (rc C.int) {
	const fn = "mfpo_policy_free"
	h := handleValue(unsafe.Pointer(pp))
	defer guardStatus(&rc, h, fn)
	if h == 0 {
		return statusOK
	}
	if _, ok := lookup(h).(*policyHandle); !ok {
		return fail(h, statusHandle, fn, "%s", describe(h, "policy"))
	}
	if unregister(h) == nil { // freed by another thread since the lookup
		return fail(h, statusHandle, fn, "the policy handle was freed")
	}
	return statusOK
}

//export mfpo_policy_dims
func mfpo_policy_dims(pp *C.mfpo_cpolicy, obsDim, actDim *C.size_t) (rc C.int) {
	const fn = "mfpo_policy_dims"
	h := handleValue(unsafe.Pointer(pp))
	defer guardStatus(&rc, h, fn)
	ph, rc := policyOf(h, fn)
	if rc != statusOK {
		return rc
	}
	p := ph.p
	if obsDim != nil {
		*obsDim = C.size_t(p.Spaces.ObsDim)
	}
	if actDim != nil {
		*actDim = C.size_t(p.Spaces.ActDim)
	}
	return statusOK
}

//export mfpo_policy_act
func mfpo_policy_act(pp *C.mfpo_cpolicy, obs *C.mfpo_cfloat, obsLen, rows C.size_t, mode C.int, seed C.uint64_t, act *C.float, actCap C.size_t) (rc C.int) {
	const fn = "mfpo_policy_act"
	h := handleValue(unsafe.Pointer(pp))
	defer guardStatus(&rc, h, fn)
	ph, rc := policyOf(h, fn)
	if rc != statusOK {
		return rc
	}
	p := ph.p
	o, dst, m, rc := actArgs(h, fn, p.Spaces, obs, obsLen, rows, mode, act, actCap, false)
	if rc != statusOK {
		return rc
	}
	if err := p.Act(dst, o, int(rows), m, uint64(seed)); err != nil {
		return failErr(h, fn, err)
	}
	return statusOK
}

//export mfpo_policy_config
func mfpo_policy_config(pp *C.mfpo_cpolicy, buf *C.char, capacity C.size_t, needed *C.size_t) (rc C.int) {
	const fn = "mfpo_policy_config"
	h := handleValue(unsafe.Pointer(pp))
	defer guardStatus(&rc, h, fn)
	ph, rc := policyOf(h, fn)
	if rc != statusOK {
		return rc
	}
	return fillBuffer(h, fn, append([]byte(ph.cfg.JSON()), 0), buf, capacity, needed)
}
