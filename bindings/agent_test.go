package bindings

import (
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
)

func floats(x ...float32) []byte { return encode(x) }

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil || !strings.HasPrefix(err.Error(), "mfpo:"+code+": ") {
		t.Fatalf("error %v, want code %q", err, code)
	}
}

func newSmall(t *testing.T, extra string) int64 {
	t.Helper()
	h, err := NewAgent(`{"preset": "small", "batch_size": 4, "buffer_size": 64, "learning_starts": 0, "hidden": [8], "time_features": 2, "time_width": 4, "policy_samples": 2, "posterior_samples": 2, "shards": 1`+extra+`}`, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Free(h) })
	return h
}

func TestConfigJSONAndErrors(t *testing.T) {
	for _, p := range []string{"", "paper", "small"} {
		s, err := DefaultConfigJSON(p)
		if err != nil || !strings.Contains(s, `"policy_samples"`) {
			t.Fatalf("%q: %s, %v", p, s, err)
		}
	}
	_, err := DefaultConfigJSON("huge")
	wantCode(t, err, codeConfig)
	for doc, key := range map[string]string{
		`{"polcy_samples": 3}`:          "polcy_samples",
		`{"policy_samples": 0}`:         "policy_samples", // Go field PolicySamples, named by its key
		`{"time_sampler": {"std": -1}}`: "time_sampler",
		`{"steps": "two"}`:              "steps",
		`nonsense`:                      "json",
	} {
		_, err := NewAgent(doc, 3, 2)
		wantCode(t, err, codeConfig)
		if !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %v does not name %q", doc, err, key)
		}
	}
	_, err = NewAgent(`{}`, 0, 2)
	wantCode(t, err, codeConfig)
	if !strings.Contains(err.Error(), "obs_dim") {
		t.Errorf("%v does not name obs_dim", err)
	}
	h := newSmall(t, `, "gamma": 0.5`)
	s, err := EffectiveConfig(h)
	var cfg map[string]any
	if err != nil || json.Unmarshal([]byte(s), &cfg) != nil || cfg["gamma"] != 0.5 || cfg["eval_candidates"] != 10.0 {
		t.Fatalf("effective config %s, %v", s, err)
	}
}

func TestActStoreUpdate(t *testing.T) {
	h := newSmall(t, "")
	obs := floats(0.1, 0.2, 0.3, -1, 0, 1)
	for _, mode := range []string{"sample", "best_of_n", "deterministic", "explore"} {
		out, err := Act(h, obs, 2, mode)
		if err != nil || len(out) != 2*2*4 {
			t.Fatalf("%s: %d bytes, %v", mode, len(out), err)
		}
		for _, v := range decode(nil, out) {
			if !(v >= -1 && v <= 1) {
				t.Fatalf("%s: action %v outside [−1, 1]", mode, v)
			}
		}
	}
	_, err := Update(h, 1)
	wantCode(t, err, codeNotEnoughData)
	for i := 0; i < 3; i++ {
		n, err := Store(h, obs, floats(0.5, -0.5, 0, 1), floats(1, 2), obs, []byte{0, 1}, 2)
		if err != nil || n != int64(2*(i+1)) {
			t.Fatalf("store: %d, %v", n, err)
		}
	}
	s, err := Update(h, 3)
	var st map[string]any
	if err != nil || json.Unmarshal([]byte(s), &st) != nil || st["updates"] != 3.0 || st["n"] != 3.0 {
		t.Fatalf("update: %s, %v", s, err)
	}
	for _, k := range []string{"critic_loss", "actor_loss", "adn_loss", "alpha", "entropy", "ess_policy", "mean_q"} {
		if _, ok := st[k].(float64); !ok {
			t.Errorf("stats lack a number %q: %s", k, s)
		}
	}
	info, err := Info(h)
	if err != nil || !strings.Contains(info, `"stored":6`) || !strings.Contains(info, `"updates":3`) {
		t.Fatalf("info %s, %v", info, err)
	}
}

func TestBadPayloads(t *testing.T) {
	h := newSmall(t, "")
	obs := floats(0.1, 0.2, 0.3)
	_, err := Act(h, obs[:8], 1, "sample")
	wantCode(t, err, codeShape)
	_, err = Act(h, obs, 0, "sample")
	wantCode(t, err, codeShape)
	_, err = Act(h, obs, 1, "greedy")
	wantCode(t, err, codeConfig)
	_, err = Act(h, floats(0, float32(math.NaN()), 0), 1, "sample")
	wantCode(t, err, codeNonFinite)

	act, r := floats(0, 0), floats(1)
	_, err = Store(h, obs, act[:4], r, obs, []byte{0}, 1)
	wantCode(t, err, codeShape)
	_, err = Store(h, obs, act, r, obs, []byte{0, 0}, 1)
	wantCode(t, err, codeShape)
	_, err = Store(h, obs, act, r, obs, []byte{2}, 1)
	wantCode(t, err, codeShape)
	two := floats(0, 0, 0, 0, 0, 0)
	_, err = Store(h, two, floats(0, 0, 0, 0), floats(1, float32(math.Inf(1))), two, []byte{0, 0}, 2)
	wantCode(t, err, codeNonFinite)
	if !strings.Contains(err.Error(), "reward row 1") {
		t.Errorf("%v does not name reward row 1", err)
	}
	if info, _ := Info(h); !strings.Contains(info, `"stored":0`) {
		t.Errorf("a rejected batch stored something: %s", info)
	}
	_, err = Update(h, 0)
	wantCode(t, err, codeConfig)
}

func TestHandles(t *testing.T) {
	before := LiveHandles()
	h, err := NewAgent(`{"preset": "small"}`, 2, 1)
	if err != nil || h == 0 || LiveHandles() != before+1 {
		t.Fatalf("handle %d, %v, live %d", h, err, LiveHandles())
	}
	if !Free(h) || Free(h) || LiveHandles() != before {
		t.Fatal("Free")
	}
	_, err = Act(h, floats(0, 0), 1, "sample")
	wantCode(t, err, codeHandle)
	_, err = EffectiveConfig(12345678)
	wantCode(t, err, codeHandle)
	_, err = Store(h, nil, nil, nil, nil, nil, 1)
	wantCode(t, err, codeHandle)
	_, err = Update(-1, 1)
	wantCode(t, err, codeHandle)
}

func TestConcurrentUseAndFree(t *testing.T) {
	h := newSmall(t, "")
	obs := floats(0.1, 0.2, 0.3)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := Act(h, obs, 1, "sample"); err != nil {
					if !strings.HasPrefix(err.Error(), "mfpo:handle: ") {
						t.Error(err)
					}
					return
				}
			}
		}()
	}
	Free(h)
	wg.Wait()
}

func TestPanicsBecomeInternal(t *testing.T) {
	f := func() (err error) {
		defer recoverInto(&err)
		panic("boom")
	}
	err := f()
	wantCode(t, err, codeInternal)
	if !strings.Contains(err.Error(), "boom") {
		t.Fatal(err)
	}
}
