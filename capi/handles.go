package main

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// Handles. C sees an mfpo_agent* or mfpo_policy* whose value is a token,
// never an address: handleTag in the top 16 bits (a non-canonical x86-64
// and arm64 address, so that no real pointer, Go's or C's, is ever a
// handle) and a 48-bit serial number below, never reused. The table maps
// tokens to the Go objects; C never holds a Go pointer.
//
// Lookups, on every call, are lock-free: the table is a map that is
// replaced, never changed, when a handle is made or freed (rare), and
// read through an atomic pointer.
const handleTag = uintptr(0x4d46) << 48 // "MF"

var handles struct {
	mu    sync.Mutex // serialises writers
	table atomic.Pointer[map[uintptr]any]
	next  uintptr // the last serial number given out
}

func init() {
	m := map[uintptr]any{}
	handles.table.Store(&m)
}

// handleValue is the token a C handle pointer carries. It is only ever
// converted to an integer, never dereferenced.
func handleValue(p unsafe.Pointer) uintptr { return uintptr(p) }

// register adds obj to the table and returns its new token.
func register(obj any) uintptr {
	handles.mu.Lock()
	defer handles.mu.Unlock()
	handles.next++
	h := handleTag | handles.next
	old := *handles.table.Load()
	m := make(map[uintptr]any, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[h] = obj
	handles.table.Store(&m)
	return h
}

// unregister removes h from the table and returns what it held, or nil if
// h is not a live handle.
func unregister(h uintptr) any {
	handles.mu.Lock()
	defer handles.mu.Unlock()
	old := *handles.table.Load()
	obj, ok := old[h]
	if !ok {
		return nil
	}
	m := make(map[uintptr]any, len(old))
	for k, v := range old {
		if k != h {
			m[k] = v
		}
	}
	handles.table.Store(&m)
	return obj
}

// lookup returns the object of a live handle, or nil.
func lookup(h uintptr) any { return (*handles.table.Load())[h] }

// liveHandles is the number of handles made and not yet freed.
func liveHandles() int { return len(*handles.table.Load()) }

// describe says why h is not a live handle of the wanted kind.
func describe(h uintptr, want string) string {
	switch obj := lookup(h); {
	case h == 0:
		return "the " + want + " handle is NULL"
	case obj != nil:
		other := "agent"
		if _, ok := obj.(*policyHandle); ok {
			other = "policy"
		}
		return "the handle is an mfpo_" + other + ", not an mfpo_" + want
	case h&^(1<<48-1) == handleTag && h&(1<<48-1) <= serialsGiven():
		return "the " + want + " handle was freed"
	}
	return "not an " + want + " handle of this library"
}

func serialsGiven() uintptr {
	handles.mu.Lock()
	defer handles.mu.Unlock()
	return handles.next
}
