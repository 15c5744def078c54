package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/checkpoint"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
	"github.com/mfpo/mfpo/gocore/replay"
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

// TestPanicBecomesEPANIC: a panic inside an export returns MFPO_EPANIC
// with a message on the handle, and the process goes on.
func TestPanicBecomesEPANIC(t *testing.T) {
	h := register(&policyHandle{}) // a policy handle without a policy: acting on it panics
	defer unregister(h)
	var obs, act [4]float32
	rc := mfpo_policy_act((*_Ctype_mfpo_cpolicy)(token(h)), (*_Ctype_mfpo_cfloat)(unsafe.Pointer(&obs[0])), 4, 1, 0, 0,
		(*_Ctype_float)(unsafe.Pointer(&act[0])), 4)
	if rc != statusPanic {
		t.Fatalf("status %d, want MFPO_EPANIC (%d)", rc, statusPanic)
	}
	if msg := errmsg(h); !strings.Contains(msg, "mfpo_policy_act: internal error") || !strings.Contains(msg, "panic") {
		t.Errorf("message %q", msg)
	}
	ah := register(&agentHandle{agent: &mfpo.Agent{}}) // an agent without networks
	defer unregister(ah)
	if rc := mfpo_agent_update((*_Ctype_mfpo_agent)(token(ah)), 1, nil); rc != statusPanic {
		t.Errorf("update of a broken agent: status %d, want MFPO_EPANIC", rc)
	}
	// The lock the panicking call held was released.
	if rc := mfpo_agent_update((*_Ctype_mfpo_agent)(token(ah)), 1, nil); rc != statusPanic {
		t.Errorf("second update of a broken agent: status %d, want MFPO_EPANIC", rc)
	}
}

func TestGuardStatusKeepsSuccess(t *testing.T) {
	f := func() (rc _Ctype_int) {
		defer guardStatus(&rc, 0, "f")
		return statusShape
	}
	if rc := f(); rc != statusShape {
		t.Errorf("guardStatus changed a status without a panic: %d", rc)
	}
}

// TestHandleTable: tokens are tagged, never reused, and the table is empty
// again after the frees; lookups race with frees safely.
func TestHandleTable(t *testing.T) {
	base := liveHandles()
	var hs []uintptr
	for i := 0; i < 100; i++ {
		hs = append(hs, register(&policyHandle{}))
	}
	seen := map[uintptr]bool{}
	for _, h := range hs {
		if h&^(1<<48-1) != handleTag || seen[h] {
			t.Fatalf("token %#x: untagged or repeated", h)
		}
		seen[h] = true
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 1000; k++ {
				_ = lookup(hs[k%len(hs)])
			}
		}()
	}
	for _, h := range hs {
		if rc := mfpo_policy_free((*_Ctype_mfpo_policy)(token(h))); rc != statusOK {
			t.Errorf("free %#x: %d", h, rc)
		}
	}
	wg.Wait()
	if n := liveHandles(); n != base {
		t.Errorf("%d live handles after freeing all, want %d", n, base)
	}
	h := register(&policyHandle{})
	defer unregister(h)
	if seen[h] {
		t.Errorf("a token was reused")
	}
	for want, tok := range map[string]uintptr{
		"NULL": 0, "was freed": hs[0], "not an agent handle": 0x1234, "is an mfpo_policy": h,
	} {
		if got := describe(tok, "agent"); !strings.Contains(got, want) {
			t.Errorf("describe(%#x) = %q, want it to say %q", tok, got, want)
		}
	}
}

// TestStatusOf maps each typed error of the core to its code.
func TestStatusOf(t *testing.T) {
	for _, c := range []struct {
		err  error
		want _Ctype_int
	}{
		{nil, statusOK},
		{&mfpo.ConfigError{Field: "Gamma"}, statusConfig},
		{&replay.ArgError{Arg: "capacity"}, statusConfig},
		{&policy.SpacesError{Field: "act_low"}, statusInval},
		{&nn.NonFiniteError{What: "observation"}, statusNonFinite},
		{&replay.NonFiniteError{Field: "obs"}, statusNonFinite},
		{fmt.Errorf("wrapped: %w", mfpo.ErrNotEnoughData), statusNoData},
		{&mfpo.UpdateError{Stage: "actor", Err: &nn.NonFiniteError{What: "actor loss"}}, statusUpdate},
		{&fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}, statusIO},
		{&checkpoint.FormatError{Reason: "truncated"}, statusFormat},
		{&checkpoint.FormatError{Reason: "bad config", Err: &mfpo.ConfigError{Field: "Gamma"}}, statusFormat},
		{&checkpoint.LimitError{Need: 1 << 40}, statusFormat},
		{&checkpoint.VersionError{Version: 99}, statusVersion},
		{&checkpoint.OptionsError{Field: "Replay"}, statusInval},
		{errors.New("surprise"), statusPanic},
	} {
		if got := statusOf(c.err); got != c.want {
			t.Errorf("statusOf(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

// TestLongMessagesAreCut at a UTF-8 boundary, within errors.c's buffer.
func TestLongMessagesAreCut(t *testing.T) {
	msg := strings.Repeat("é", 600) // 1200 bytes
	h := handleTag | 1<<40
	setError(h, msg)
	got := errmsg(h)
	if len(got) > maxMessage || len(got) < maxMessage-1 || !strings.HasPrefix(msg, got) {
		t.Errorf("cut to %d bytes, want %d or %d and a prefix", len(got), maxMessage-1, maxMessage)
	}
	if errmsg(h+1) != "" {
		t.Errorf("the message of one handle shows for another")
	}
}
