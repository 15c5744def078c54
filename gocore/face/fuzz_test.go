package face

import (
	"encoding/binary"
	"math"
	"sync"
	"testing"

	"github.com/mfpo/mfpo/gocore/policy"
)

var fuzzAgent struct {
	once sync.Once
	h    Handle
	err  error
}

// floatsOf reads n little-endian float32s from b, zeros past its end.
func floatsOf(b []byte, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		if 4*i+4 <= len(b) {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	return x
}

// FuzzAgentCalls feeds arbitrary floats (every bit pattern: NaN, ±Inf,
// FLT_MAX, subnormals), row counts, modes and seeds to act, store and
// update of one small agent (actions in [−2, 2] × [0, 1]): each call is
// OK or its documented error, never EPanic; an act that is OK gives
// finite actions inside the box. The seed corpus is
// testdata/fuzz/FuzzAgentCalls; `make fuzz-limits` fuzzes.
func FuzzAgentCalls(f *testing.F) {
	f.Fuzz(func(t *testing.T, obs, act []byte, rows uint8, mode int8, seed uint64, updates uint8) {
		fuzzAgent.once.Do(func() {
			fuzzAgent.h, fuzzAgent.err = CreateAgent([]byte(`{"preset": "small", "batch_size": 4, "buffer_size": 64, "learning_starts": 8, "hidden": [8], "time_features": 2, "time_width": 4, "policy_samples": 2, "posterior_samples": 2, "eval_candidates": 3, "shards": 1}`),
				policy.Spaces{ObsDim: 3, ActDim: 2, Low: []float32{-2, 0}, High: []float32{2, 1}})
		})
		if fuzzAgent.err != nil {
			t.Fatal(fuzzAgent.err)
		}
		h, n := fuzzAgent.h, int(rows%8)
		o, a := floatsOf(obs, 3*n), floatsOf(act, 2*n)
		dst := make([]float32, 2*n)
		err := AgentAct(h, dst, o, n, policy.Mode(mode), seed)
		switch c := code(err); {
		case c == OK:
			for i, x := range dst {
				if lo, hi := []float32{-2, 0}[i%2], []float32{2, 1}[i%2]; !(x >= lo && x <= hi) {
					t.Fatalf("act OK with action %v outside [%v, %v]", x, lo, hi)
				}
			}
		case c != EInval && c != ENonFinite:
			t.Fatalf("act: %v (%s)", err, c.Name())
		}
		reward, next := floatsOf(act[min(len(act), 8*n):], n), floatsOf(obs[min(len(obs), 12*n):], 3*n)
		terms := make([]byte, n)
		if err := AgentStore(h, n, o, a, reward, next, terms); code(err) != OK && code(err) != EInval && code(err) != ENonFinite {
			t.Fatalf("store: %v (%s)", err, code(err).Name())
		}
		if updates%4 == 0 {
			if _, err := AgentUpdate(h, 1); code(err) != OK && code(err) != ENoData && code(err) != EUpdate {
				t.Fatalf("update: %v (%s)", err, code(err).Name())
			}
		}
	})
}
