package bindings

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/mfpo/mfpo/gocore/face"
	"github.com/mfpo/mfpo/gocore/policy"
)

// addr is the address of x's first float (x is on Go's heap, which does
// not move; the caller keeps x alive).
func addr(x []float32) uintptr {
	if len(x) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&x[0]))
}

func tinyAgent(t testing.TB) (h face.Handle, p face.Handle) {
	t.Helper()
	h, err := face.CreateAgent([]byte(`{"preset": "small", "hidden": [8], "time_features": 2, "time_width": 2, "buffer_size": 128, "eval_candidates": 3}`),
		policy.Spaces{ObsDim: 3, ActDim: 2, Low: []float32{-2, 0}, High: []float32{2, 1}})
	if err != nil {
		t.Fatal(err)
	}
	p, err = face.AgentPolicy(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = face.FreePolicy(p)
		_ = face.FreeAgent(h)
	})
	return h, p
}

// TestFloatsAt: the views' checks, each the caller's mistake named.
func TestFloatsAt(t *testing.T) {
	x := make([]float32, 4)
	if v, err := floatsAt("obs", addr(x), 4); err != nil || len(v) != 4 || &v[0] != &x[0] {
		t.Errorf("a good view: %v, %v", v, err)
	}
	if v, err := floatsAt("obs", 0, 0); err != nil || v != nil {
		t.Errorf("an empty view: %v, %v", v, err)
	}
	for _, c := range []struct {
		p    uintptr
		n    int
		code face.Code
		want string
	}{
		{addr(x), -1, face.EShape, "obs has a length out of range"},
		{addr(x), maxFloats + 1, face.EShape, "obs has a length out of range"},
		{0, 1, face.EInval, "obs is NULL"},
		{addr(x) + 2, 1, face.EInval, "obs is not 4-byte aligned"},
		{math.MaxUint64 - 7, 4, face.EInval, "obs runs past the end of the address space"},
	} {
		_, err := floatsAt("obs", c.p, c.n)
		if e := face.AsError(err); err == nil || e.Code != c.code || e.Msg != c.want {
			t.Errorf("floatsAt(%#x, %d) = %v, want %s %q", c.p, c.n, err, c.code.Name(), c.want)
		}
	}
}

// TestActAtIsFacesAct: the same actions, bit for bit, as face's act on
// the same arguments, for the agent and its policy in every mode; errors
// carry the call's name and face's message; dst is left alone on failure.
func TestActAtIsFacesAct(t *testing.T) {
	h, p := tinyAgent(t)
	obs := []float32{0.1, -0.2, 0.3, 1, 0, -1}
	for _, m := range policy.Modes {
		for _, c := range []struct {
			name string
			at   func(int64, uintptr, int, uintptr, int, int, string, uint64) (int, error)
			face func(face.Handle, []float32, []float32, int, policy.Mode, uint64) error
			h    face.Handle
		}{{"act", ActAt, face.AgentAct, h}, {"policy act", PolicyActAt, face.PolicyAct, p}} {
			want, got := make([]float32, 4), make([]float32, 4)
			wantErr := c.face(c.h, want, obs, 2, m, 9)
			n, err := c.at(int64(c.h), addr(obs), len(obs), addr(got), len(got), 2, m.String(), 9)
			if wantErr != nil {
				if err == nil || err.Error() != "mfpo:"+face.AsError(wantErr).Code.Name()+": "+c.name+": "+face.AsError(wantErr).Msg {
					t.Errorf("%s %v: %v, want face's %v", c.name, m, err, wantErr)
				}
				continue
			}
			if err != nil || n != 2 {
				t.Fatalf("%s %v: %d, %v", c.name, m, n, err)
			}
			if m == policy.Explore { // explore advances the agent's generator: not repeatable
				continue
			}
			for i := range want {
				if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
					t.Errorf("%s %v: %v, face gives %v", c.name, m, got, want)
					break
				}
			}
		}
	}
	dst := []float32{7, 7, 7, 7}
	for _, c := range []struct {
		h            face.Handle
		obs          []float32
		obsLen, rows int
		dstLen       int
		mode, want   string
	}{
		{h, obs, 6, 2, 4, "greedy", `mfpo:inval: act: mode "greedy", want`},
		{h, obs, 6, 0, 4, "sample", "mfpo:inval: act: rows is 0, want ≥ 1"},
		{h, obs, 5, 2, 4, "sample", "mfpo:shape: act: obs has 5 floats, want rows × obs_dim = 2 × 3 = 6"},
		{h, obs, 6, 2, 3, "sample", "mfpo:shape: act: act has room for 3 floats"},
		{h, []float32{0, math.Float32frombits(0x7fc00000), 0}, 3, 1, 4, "sample", "mfpo:nonfinite: act: "},
		{p, obs, 6, 2, 4, "explore", `mfpo:inval: act: mode "explore" is for training agents`},
		{face.HandleTag | 1<<47, obs, 6, 2, 4, "sample", "mfpo:handle: act: not an agent handle of this library"},
		{h, nil, 6, 2, 4, "sample", "mfpo:inval: act: obs is NULL"},
	} {
		fn := ActAt
		if c.h == p {
			fn = PolicyActAt
			c.want = strings.Replace(c.want, ": act: ", ": policy act: ", 1)
		}
		_, err := fn(int64(c.h), addr(c.obs), c.obsLen, addr(dst), c.dstLen, c.rows, c.mode, 1)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q…", c, err, c.want)
		}
		if dst[0] != 7 || dst[3] != 7 {
			t.Fatalf("%+v: a failed act wrote dst: %v", c, dst)
		}
	}
}

// TestActAtCostsNoAllocationOrGoroutine: a successful act allocates
// nothing on the Go side, and acting (also failing) leaves no goroutine.
func TestActAtCostsNoAllocationOrGoroutine(t *testing.T) {
	h, p := tinyAgent(t)
	obs, dst := []float32{0.1, -0.2, 0.3}, make([]float32, 2)
	for _, c := range []struct {
		fn func(int64, uintptr, int, uintptr, int, int, string, uint64) (int, error)
		h  face.Handle
	}{{ActAt, h}, {PolicyActAt, p}} {
		for _, m := range []string{"sample", "deterministic", "best_of_n"} {
			allocs := testing.AllocsPerRun(50, func() {
				if _, err := c.fn(int64(c.h), addr(obs), 3, addr(dst), 2, 1, m, 3); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s: %v allocations per act, want 0", m, allocs)
			}
		}
	}
	before := runtime.NumGoroutine()
	for i := 0; i < 200; i++ {
		_, _ = ActAt(int64(h), addr(obs), 3, addr(dst), 2, 1, "sample", uint64(i))
		_, _ = ActAt(int64(h), addr(obs), 3, addr(dst), 2, 1, "greedy", 0)
		_, _ = PolicyActAt(int64(p), addr(obs), 3, addr(dst), 2, 1, "best_of_n", uint64(i))
		_, _ = PolicyActAt(int64(p), 0, 3, addr(dst), 2, 1, "sample", 0)
	}
	runtime.GC()
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before 800 acts, %d after", before, after)
	}
}
