package face

import (
	"strings"
	"sync"
	"sync/atomic"
)

// Handle names an agent or a policy of this process: HandleTag in the top
// 16 bits (a non-canonical x86-64 and arm64 address, so no pointer is ever
// a handle, and a positive int64 for Python) over a 48-bit serial number
// that is never reused. 0 is never a handle.
type Handle uint64

// HandleTag marks every handle ("MF").
const HandleTag = Handle(0x4d46) << 48

const serialMask = Handle(1)<<48 - 1

// The handle table: a sync.Map, so that making, looking up and freeing a
// handle cost O(1) whatever the number of live handles, and lookups take
// no lock.
var handles struct {
	m    sync.Map // Handle → *Agent or *Policy
	next atomic.Uint64
	live atomic.Int64
}

func register(obj any) Handle {
	h := HandleTag | Handle(handles.next.Add(1))&serialMask
	handles.m.Store(h, obj)
	handles.live.Add(1)
	return h
}

// unregister removes h and returns what it held, or nil when h was not
// live (another thread may have freed it first).
func unregister(h Handle) any {
	obj, ok := handles.m.LoadAndDelete(h)
	if !ok {
		return nil
	}
	handles.live.Add(-1)
	return obj
}

func lookup(h Handle) any {
	obj, _ := handles.m.Load(h)
	return obj
}

// Live is the number of handles (agents and policies) made and not yet
// freed in this process.
func Live() int { return int(handles.live.Load()) }

// LiveOf is the number of live handles of one kind: "agent" or "policy".
func LiveOf(kind string) int {
	n := 0
	handles.m.Range(func(_, v any) bool {
		if kindOf(v) == kind {
			n++
		}
		return true
	})
	return n
}

func kindOf(obj any) string {
	switch obj.(type) {
	case *agentHandle:
		return "agent"
	case *policyHandle:
		return "policy"
	}
	return ""
}

// badHandle says why h is not a live handle of kind want.
func badHandle(h Handle, want string) *Error {
	switch obj := lookup(h); {
	case h == 0:
		return errorf(EHandle, "the %s handle is NULL", want)
	case obj != nil:
		kind := kindOf(obj)
		return errorf(EHandle, "the handle is a%s %s handle, not a%s %s handle", article(kind), kind, article(want), want)
	case h&^serialMask == HandleTag && uint64(h&serialMask) <= handles.next.Load():
		return errorf(EHandle, "the %s handle was freed", want)
	}
	return errorf(EHandle, "not a%s %s handle of this library (never issued)", article(want), want)
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "n"
	}
	return ""
}
