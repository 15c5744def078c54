package main

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/face"
)

// These tests call the exports from Go. Test files can not import "C", so
// they name cgo's Go types (_Ctype_*) directly.

// token makes a C handle pointer from a token, as C sees it. (Only tagged
// tokens: a pointer-typed Go variable must never hold a small integer.)
func token(h uintptr) unsafe.Pointer {
	var p unsafe.Pointer
	*(*uintptr)(unsafe.Pointer(&p)) = h
	return p
}

// goString reads a NUL-terminated C string.
func goString(p unsafe.Pointer) string {
	if p == nil {
		return "<nil>"
	}
	var b []byte
	for i := uintptr(0); ; i++ {
		c := *(*byte)(unsafe.Add(p, i))
		if c == 0 {
			return string(b)
		}
		b = append(b, c)
	}
}

func errmsg(h uintptr) string {
	return goString(unsafe.Pointer(mfpo_errmsg((*_Ctype_mfpo_cvoid)(token(h)))))
}

// TestGuardStatus: a panic in a shell becomes MFPO_EPANIC with a message
// on the handle; a status without a panic is kept.
func TestGuardStatus(t *testing.T) {
	h := face.HandleTag | 1<<40
	f := func(boom bool) (rc _Ctype_int) {
		defer guardStatus(&rc, h, "f")
		if boom {
			panic("boom")
		}
		return _Ctype_int(face.EShape)
	}
	if rc := f(false); rc != _Ctype_int(face.EShape) {
		t.Errorf("guardStatus changed a status without a panic: %d", rc)
	}
	if rc := f(true); rc != _Ctype_int(face.EPanic) || !strings.Contains(errmsg(uintptr(h)), "f: internal error") {
		t.Errorf("a panic gave %d, %q", rc, errmsg(uintptr(h)))
	}
}

// TestLongMessagesAreCut at a UTF-8 boundary, within errors.c's buffer.
func TestLongMessagesAreCut(t *testing.T) {
	msg := strings.Repeat("é", 600) // 1200 bytes
	h := face.HandleTag | 1<<41
	fail(h, "f", &face.Error{Code: face.EIO, Msg: msg})
	got := errmsg(uintptr(h))
	if len(got) > face.MaxMessage || len(got) < face.MaxMessage-1 || !strings.HasPrefix("f: "+msg, got) {
		t.Errorf("cut to %d bytes, want %d or %d and a prefix", len(got), face.MaxMessage-1, face.MaxMessage)
	}
	if errmsg(uintptr(h+1)) != "" {
		t.Errorf("the message of one handle shows for another")
	}
}

// TestErrstr: every code's description comes from face, and unknown
// numbers say so.
func TestErrstr(t *testing.T) {
	for c := -1; c <= face.Codes; c++ {
		if got, want := goString(unsafe.Pointer(mfpo_errstr(_Ctype_int(c)))), face.Code(c).Describe(); got != want {
			t.Errorf("mfpo_errstr(%d) = %q, want %q", c, got, want)
		}
	}
}
