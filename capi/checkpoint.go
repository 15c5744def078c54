package main

/*
#include "internal.h"
*/
import "C"

import (
	"unsafe"

	"github.com/mfpo/mfpo/gocore/face"
)

// Checkpoints: gocore/checkpoint's format (docs/checkpoint.md), to files and
// to caller buffers, full agents and policy-only, through gocore/face.

// pathArg reads a NUL-terminated path; NULL is MFPO_EINVAL (face refuses
// an empty one).
func pathArg(path *C.mfpo_cchar) (string, bool) {
	if path == nil {
		return "", false
	}
	return string(cbytes(path, face.MaxPath)), true
}

//export mfpo_agent_save
func mfpo_agent_save(ap *C.mfpo_cagent, path *C.mfpo_cchar, flags C.unsigned) (rc C.int) {
	const fn = "mfpo_agent_save"
	h := handleOf(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	p, ok := pathArg(path)
	if !ok {
		return argError(h, face.CheckAgent, fn, "path is NULL")
	}
	kind, err := face.SaveKindOf(uint(flags))
	if err != nil {
		return argError(h, face.CheckAgent, fn, "%s", err)
	}
	return status(h, fn, face.AgentSave(h, p, kind))
}

//export mfpo_agent_save_buffer
func mfpo_agent_save_buffer(ap *C.mfpo_cagent, flags C.unsigned, buf unsafe.Pointer, capacity C.size_t, needed *C.size_t) (rc C.int) {
	const fn = "mfpo_agent_save_buffer"
	h := handleOf(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	kind, err := face.SaveKindOf(uint(flags))
	if err != nil {
		return argError(h, face.CheckAgent, fn, "%s", err)
	}
	// A size query keeps the bytes for the copy that follows it.
	data, err := face.AgentMarshal(h, kind, buf == nil)
	if err != nil {
		return fail(h, fn, err)
	}
	return fillBuffer(h, fn, data, (*byte)(buf), capacity, needed)
}

// loaded writes the handle of a load, or records its failure (on NULL).
func loaded(fn string, out unsafe.Pointer, h face.Handle, err error) C.int {
	if err != nil {
		return fail(0, fn, err)
	}
	putHandle(out, h)
	return C.MFPO_OK
}

// loadArgs checks out and path of the file loaders.
func loadArgs(fn string, out unsafe.Pointer, path *C.mfpo_cchar) (string, C.int) {
	if out == nil {
		return "", failf(0, fn, "out is NULL")
	}
	p, ok := pathArg(path)
	if !ok {
		return "", failf(0, fn, "path is NULL")
	}
	return p, C.MFPO_OK
}

// bufferArgs checks out and buf of the buffer loaders and views the
// caller's bytes for the duration of the call (the loaders keep none).
func bufferArgs(fn string, out unsafe.Pointer, buf *C.mfpo_cvoid, length C.size_t) ([]byte, C.int) {
	switch {
	case out == nil:
		return nil, failf(0, fn, "out is NULL")
	case buf == nil:
		return nil, failf(0, fn, "buf is NULL")
	case uint64(length) > face.MaxCheckpoint:
		return nil, fail(0, fn, &face.Error{Code: face.EFormat, Msg: "len is more than a checkpoint can have"})
	}
	return bytesAt(buf, int(length)), C.MFPO_OK
}

//export mfpo_agent_load
func mfpo_agent_load(out **C.mfpo_agent, path *C.mfpo_cchar) (rc C.int) {
	const fn = "mfpo_agent_load"
	defer guardStatus(&rc, 0, fn)
	p, rc := loadArgs(fn, unsafe.Pointer(out), path)
	if rc != C.MFPO_OK {
		return rc
	}
	h, _, err := face.LoadAgent(p)
	return loaded(fn, unsafe.Pointer(out), h, err)
}

//export mfpo_agent_load_buffer
func mfpo_agent_load_buffer(out **C.mfpo_agent, buf *C.mfpo_cvoid, length C.size_t) (rc C.int) {
	const fn = "mfpo_agent_load_buffer"
	defer guardStatus(&rc, 0, fn)
	data, rc := bufferArgs(fn, unsafe.Pointer(out), buf, length)
	if rc != C.MFPO_OK {
		return rc
	}
	h, _, err := face.LoadAgentBytes(data)
	return loaded(fn, unsafe.Pointer(out), h, err)
}

//export mfpo_policy_load
func mfpo_policy_load(out **C.mfpo_policy, path *C.mfpo_cchar) (rc C.int) {
	const fn = "mfpo_policy_load"
	defer guardStatus(&rc, 0, fn)
	p, rc := loadArgs(fn, unsafe.Pointer(out), path)
	if rc != C.MFPO_OK {
		return rc
	}
	h, _, err := face.LoadPolicy(p)
	return loaded(fn, unsafe.Pointer(out), h, err)
}

//export mfpo_policy_load_buffer
func mfpo_policy_load_buffer(out **C.mfpo_policy, buf *C.mfpo_cvoid, length C.size_t) (rc C.int) {
	const fn = "mfpo_policy_load_buffer"
	defer guardStatus(&rc, 0, fn)
	data, rc := bufferArgs(fn, unsafe.Pointer(out), buf, length)
	if rc != C.MFPO_OK {
		return rc
	}
	h, _, err := face.LoadPolicyBytes(data)
	return loaded(fn, unsafe.Pointer(out), h, err)
}
