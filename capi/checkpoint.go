package main

/*
#include "internal.h"
*/
import "C"

import (
	"unsafe"

	"github.com/mfpo/mfpo/gocore/checkpoint"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// Checkpoints: gocore/checkpoint's format (docs/checkpoint.md), to files and
// to caller buffers, full agents and policy-only.

// saveOptions maps the MFPO_SAVE_* flags to checkpoint options.
func saveOptions(h uintptr, fn string, flags C.unsigned) (checkpoint.Options, C.int) {
	var opts checkpoint.Options
	switch flags {
	case C.MFPO_SAVE_FULL:
	case C.MFPO_SAVE_REPLAY:
		opts.Replay = true
	case C.MFPO_SAVE_POLICY:
		opts.PolicyOnly = true
	default:
		return opts, fail(h, statusInval, fn, "flags %#x, want MFPO_SAVE_FULL, MFPO_SAVE_REPLAY or MFPO_SAVE_POLICY", uint(flags))
	}
	return opts, statusOK
}

// pathArg reads a NUL-terminated path.
func pathArg(h uintptr, fn string, path *C.mfpo_cchar) (string, C.int) {
	if path == nil {
		return "", fail(h, statusInval, fn, "path is NULL")
	}
	n := C.strlen((*C.char)(unsafe.Pointer(path)))
	if n == 0 {
		return "", fail(h, statusInval, fn, "path is empty")
	}
	return string(bytesAt(path, int(n))), statusOK
}

// fileErr records an error of saving or loading: the checkpoint's typed
// errors and file errors keep their codes; any other error there comes
// from reading or writing a file (a short read, a full disk): MFPO_EIO.
func fileErr(h uintptr, fn string, err error) C.int {
	code := statusOf(err)
	if code == statusPanic {
		code = statusIO
	}
	setError(h, fn+": "+err.Error())
	return code
}

//export mfpo_agent_save
func mfpo_agent_save(ap *C.mfpo_cagent, path *C.mfpo_cchar, flags C.unsigned) (rc C.int) {
	const fn = "mfpo_agent_save"
	h := handleValue(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	ah, rc := agentOf(h, fn)
	if rc != statusOK {
		return rc
	}
	defer ah.mu.Unlock()
	p, rc := pathArg(h, fn, path)
	if rc != statusOK {
		return rc
	}
	opts, rc := saveOptions(h, fn, flags)
	if rc != statusOK {
		return rc
	}
	if err := checkpoint.Save(p, ah.agent, opts); err != nil {
		return fileErr(h, fn, err)
	}
	return statusOK
}

//export mfpo_agent_save_buffer
func mfpo_agent_save_buffer(ap *C.mfpo_cagent, flags C.unsigned, buf unsafe.Pointer, capacity C.size_t, needed *C.size_t) (rc C.int) {
	const fn = "mfpo_agent_save_buffer"
	h := handleValue(unsafe.Pointer(ap))
	defer guardStatus(&rc, h, fn)
	ah, rc := agentOf(h, fn)
	if rc != statusOK {
		return rc
	}
	defer ah.mu.Unlock()
	opts, rc := saveOptions(h, fn, flags)
	if rc != statusOK {
		return rc
	}
	// A size query and the call that follows it marshal once: the bytes
	// are kept until the agent changes or they are copied out.
	key := saveKey{gen: ah.gen, flags: flags}
	if ah.saved == nil || ah.savedKey != key {
		data, err := checkpoint.Marshal(ah.agent, opts)
		if err != nil {
			return failErr(h, fn, err)
		}
		ah.saved, ah.savedKey = data, key
	}
	rc = fillBuffer(h, fn, ah.saved, (*byte)(buf), capacity, needed)
	if rc == statusOK && buf != nil {
		ah.saved = nil
	}
	return rc
}

// loadedAgent registers an agent read from a checkpoint.
func loadedAgent(fn string, out **C.mfpo_agent, load func() (*checkpointAgent, error)) C.int {
	if out == nil {
		return fail(0, statusInval, fn, "out is NULL")
	}
	ca, err := load()
	if err != nil {
		return fileErr(0, fn, err)
	}
	putHandle(unsafe.Pointer(out), register(&agentHandle{agent: ca.agent}))
	return statusOK
}

type checkpointAgent struct {
	agent *mfpo.Agent
	info  *checkpoint.Info
}

//export mfpo_agent_load
func mfpo_agent_load(out **C.mfpo_agent, path *C.mfpo_cchar) (rc C.int) {
	const fn = "mfpo_agent_load"
	defer guardStatus(&rc, 0, fn)
	p, rc := pathArg(0, fn, path)
	if rc != statusOK {
		return rc
	}
	return loadedAgent(fn, out, func() (*checkpointAgent, error) {
		a, info, err := checkpoint.Load(p)
		return &checkpointAgent{a, info}, err
	})
}

//export mfpo_agent_load_buffer
func mfpo_agent_load_buffer(out **C.mfpo_agent, buf *C.mfpo_cvoid, length C.size_t) (rc C.int) {
	const fn = "mfpo_agent_load_buffer"
	defer guardStatus(&rc, 0, fn)
	data, rc := bufferArg(fn, buf, length)
	if rc != statusOK {
		return rc
	}
	return loadedAgent(fn, out, func() (*checkpointAgent, error) {
		a, info, err := checkpoint.Unmarshal(data, checkpoint.Limits{})
		return &checkpointAgent{a, info}, err
	})
}

// bufferArg views a caller's checkpoint bytes for the duration of the call
// (the loaders keep none of them).
func bufferArg(fn string, buf *C.mfpo_cvoid, length C.size_t) ([]byte, C.int) {
	switch {
	case buf == nil:
		return nil, fail(0, statusInval, fn, "buf is NULL")
	case uint64(length) > maxCheckpoint:
		return nil, fail(0, statusFormat, fn, "len is %d bytes, more than a checkpoint can have (%d)", uint64(length), maxCheckpoint)
	}
	return bytesAt(buf, int(length)), statusOK
}

// maxCheckpoint is the largest buffer flatbuffers' 32-bit offsets address.
const maxCheckpoint = 1<<31 - 1

// loadedPolicy registers the policy of a checkpoint.
func loadedPolicy(fn string, out **C.mfpo_policy, p *policy.Policy, info *checkpoint.Info, err error) C.int {
	if err != nil {
		return fileErr(0, fn, err)
	}
	putHandle(unsafe.Pointer(out), register(&policyHandle{p: p, cfg: info.Config}))
	return statusOK
}

//export mfpo_policy_load
func mfpo_policy_load(out **C.mfpo_policy, path *C.mfpo_cchar) (rc C.int) {
	const fn = "mfpo_policy_load"
	defer guardStatus(&rc, 0, fn)
	if out == nil {
		return fail(0, statusInval, fn, "out is NULL")
	}
	p, rc := pathArg(0, fn, path)
	if rc != statusOK {
		return rc
	}
	pol, info, err := checkpoint.LoadPolicy(p)
	return loadedPolicy(fn, out, pol, info, err)
}

//export mfpo_policy_load_buffer
func mfpo_policy_load_buffer(out **C.mfpo_policy, buf *C.mfpo_cvoid, length C.size_t) (rc C.int) {
	const fn = "mfpo_policy_load_buffer"
	defer guardStatus(&rc, 0, fn)
	if out == nil {
		return fail(0, statusInval, fn, "out is NULL")
	}
	data, rc := bufferArg(fn, buf, length)
	if rc != statusOK {
		return rc
	}
	pol, info, err := checkpoint.UnmarshalPolicy(data, checkpoint.Limits{})
	return loadedPolicy(fn, out, pol, info, err)
}
