package main

/*
#include "internal.h"
*/
import "C"

import (
	"github.com/mfpo/mfpo/gocore/face"
	"github.com/mfpo/mfpo/gocore/policy"
	"unsafe"
)

//export mfpo_policy_free
func mfpo_policy_free(pp *C.mfpo_policy) (rc C.int) {
	const fn = "mfpo_policy_free"
	h := handleOf(unsafe.Pointer(pp))
	defer guardStatus(&rc, h, fn)
	return status(h, fn, face.FreePolicy(h))
}

//export mfpo_policy_dims
func mfpo_policy_dims(pp *C.mfpo_cpolicy, obsDim, actDim *C.size_t) (rc C.int) {
	const fn = "mfpo_policy_dims"
	h := handleOf(unsafe.Pointer(pp))
	defer guardStatus(&rc, h, fn)
	info, err := face.Policy(h)
	if err != nil {
		return fail(h, fn, err)
	}
	putDims(info.Spaces, obsDim, actDim)
	return C.MFPO_OK
}

//export mfpo_policy_act
func mfpo_policy_act(pp *C.mfpo_cpolicy, obs *C.mfpo_cfloat, obsLen, rows C.size_t, mode C.int, seed C.uint64_t, act *C.float, actCap C.size_t) (rc C.int) {
	const fn = "mfpo_policy_act"
	h := handleOf(unsafe.Pointer(pp))
	defer guardStatus(&rc, h, fn)
	return actCall(h, face.CheckPolicy, fn, obs, obsLen, rows, mode, act, actCap, func(dst, o []float32, rows int, m policy.Mode) error {
		return face.PolicyAct(h, dst, o, rows, m, uint64(seed))
	})
}

//export mfpo_policy_config
func mfpo_policy_config(pp *C.mfpo_cpolicy, buf *C.char, capacity C.size_t, needed *C.size_t) (rc C.int) {
	const fn = "mfpo_policy_config"
	h := handleOf(unsafe.Pointer(pp))
	defer guardStatus(&rc, h, fn)
	info, err := face.Policy(h)
	if err != nil {
		return fail(h, fn, err)
	}
	return fillBuffer(h, fn, append([]byte(info.Config), 0), buf, capacity, needed)
}
