package face

import (
	"math"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// The configs: each is its documented status, naming its key,
// and none allocates what it asks for.
func TestCreateLimits(t *testing.T) {
	sp := policy.Spaces{ObsDim: 3, ActDim: 1}
	for _, c := range []struct {
		json string
		sp   policy.Spaces
		want Code
		key  string
	}{
		{`{"preset":"small","hidden":[100000,100000]}`, sp, EConfig, "hidden"},
		{`{"preset":"small","hidden":[65536,65536]}`, sp, ESize, "hidden"},
		{`{"hidden":[2147483648]}`, sp, EConfig, "hidden"},
		{`{"hidden":[4611686018427387904]}`, sp, EConfig, "hidden"},
		{`{"atoms":2147483648}`, sp, EConfig, "atoms"},
		{`{"buffer_size":1000000000}`, sp, ESize, "buffer_size"},
		{`{"buffer_size":2305843009213693952}`, sp, EConfig, "buffer_size"},
		{`{"batch_size":100000000}`, sp, EConfig, "batch_size"},
		{`{"batch_size":65536, "buffer_size": 65536, "posterior_samples": 4096}`, sp, ESize, "batch_size"},
		{`{}`, policy.Spaces{ObsDim: 84 * 84 * 3, ActDim: 6}, ESize, "buffer_size"},
		{`{"preset":"small"}`, policy.Spaces{ObsDim: MaxDim, ActDim: 1}, ESize, ""},
		{`{"v_min":-1e39}`, sp, EConfig, "v_min"},
		{`{"v_min":1,"v_max":1.00000001}`, sp, EConfig, "v_max"},
		{`{"probes":1099511627776}`, sp, EConfig, "probes"},
		{`{"time_width":4611686018427387904}`, sp, EConfig, "time_width"},
		{`{"eval_candidates":4611686018427387904}`, sp, EConfig, "eval_candidates"},
		{`{"v_min":-3e38,"v_max":3e38,"atoms":2}`, sp, EConfig, "v_min"},
		{`{"steps":1000000000}`, sp, EConfig, "steps"},
		{`{"posterior_samples":16777216}`, sp, EConfig, "posterior_samples"},
		{`{"HIDDEN":[64]}`, sp, EConfig, "HIDDEN"},
		{`{"ſeed":3}`, sp, EConfig, "ſeed"},
		{`{"seed":1,"seed":2}`, sp, EConfig, "seed"},
		{`null`, sp, EConfig, "(json)"},
		{`{"gamma":null}`, sp, EConfig, "gamma"},
		{`{"max_bytes":-1}`, sp, EConfig, "max_bytes"},
		{`{"max_bytes":1000000}`, sp, ESize, "batch_size"},
	} {
		h, err := CreateAgent([]byte(c.json), c.sp)
		if err == nil {
			FreeAgent(h)
		}
		if code(err) != c.want || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s (obs %d): %v, want %s naming %q", c.json, c.sp.ObsDim, err, c.want.Name(), c.key)
		}
		if c.want == ESize && !strings.Contains(err.Error(), "bytes") {
			t.Errorf("%s: %v does not say the bytes", c.json, err)
		}
	}
	if Live() != 0 {
		t.Errorf("%d handles live after refused creates", Live())
	}
}

// The process's limit is the default of every agent and load; an agent's
// max_bytes bounds its calls' own allocations too.
func TestMemoryLimit(t *testing.T) {
	h := small(t)
	data, err := AgentMarshal(h, SavePolicy, false)
	if err != nil {
		t.Fatal(err)
	}
	old := mfpo.SetMemoryLimit(1 << 16)
	_, errCreate := CreateAgent([]byte(`{"preset":"small"}`), policy.Spaces{ObsDim: 3, ActDim: 1})
	_, _, errLoad := LoadPolicyBytes(data)
	mfpo.SetMemoryLimit(old)
	if code(errCreate) != ESize || code(errLoad) != ESize {
		t.Errorf("over the process's limit: create %v, load %v", errCreate, errLoad)
	}
	if p, _, err := LoadPolicyBytes(data); err != nil {
		t.Errorf("under the restored limit: %v", err)
	} else {
		FreePolicy(p)
	}
	cfg := `{"preset": "small", "batch_size": 4, "buffer_size": 64, "hidden": [8], "time_features": 2, "time_width": 4, "shards": 1, "max_bytes": 4000000}`
	a, err := CreateAgent([]byte(cfg), policy.Spaces{ObsDim: 1, ActDim: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer FreeAgent(a)
	rows := 2_000_000 // 8 MB of scratch, over the agent's 4 MB
	err = AgentAct(a, make([]float32, rows), make([]float32, rows), rows, policy.Sample, 1)
	if code(err) != ESize || !strings.Contains(err.Error(), "rows") {
		t.Errorf("an act over max_bytes: %v", err)
	}
	err = AgentStore(a, rows, make([]float32, rows), make([]float32, rows), make([]float32, rows), make([]float32, rows), make([]byte, rows))
	if code(err) != ESize {
		t.Errorf("a store over max_bytes: %v", err)
	}
}

// Observations beyond the networks' range are refused naming the
// element; none of these gives NaN with OK.
func TestInputRange(t *testing.T) {
	h := small(t)
	act := make([]float32, 2)
	for _, v := range []float32{math.MaxFloat32, 1.9e38, -2e9} {
		for _, m := range policy.Modes {
			err := AgentAct(h, act, []float32{0, 0, v}, 1, m, 1)
			if code(err) != ENonFinite || !strings.Contains(err.Error(), "element 2") {
				t.Errorf("%v: act on %v: %v", m, v, err)
			}
		}
		err := AgentStore(h, 1, []float32{v, 0, 0}, []float32{0, 0}, []float32{1}, []float32{0, 0, 0}, []byte{0})
		if code(err) != ENonFinite || !strings.Contains(err.Error(), "obs row 0 element 0") || !strings.Contains(err.Error(), "range") {
			t.Errorf("store of %v: %v", v, err)
		}
	}
}

// BenchmarkHandlePair is a handle's create and free with 20 000 others
// live (the table is a sync.Map: O(1) whatever the count); compare with
// -benchtime and no others by BenchmarkHandlePairFew.
func BenchmarkHandlePair(b *testing.B) {
	var hs []Handle
	for i := 0; i < 20_000; i++ {
		hs = append(hs, register(&policyHandle{}))
	}
	defer func() {
		for _, h := range hs {
			unregister(h)
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		unregister(register(&policyHandle{}))
	}
}

func BenchmarkHandlePairFew(b *testing.B) {
	for i := 0; i < b.N; i++ {
		unregister(register(&policyHandle{}))
	}
}
