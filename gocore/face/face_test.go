package face

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/mfpo/mfpo/gocore/checkpoint"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
	"github.com/mfpo/mfpo/gocore/replay"
)

func code(err error) Code {
	if err == nil {
		return OK
	}
	return AsError(err).Code
}

// TestCodeOf maps each typed error of the core to its code.
func TestCodeOf(t *testing.T) {
	for _, c := range []struct {
		err  error
		want Code
	}{
		{nil, OK},
		{&mfpo.ConfigError{Field: "Gamma"}, EConfig},
		{&replay.ArgError{Arg: "capacity"}, EConfig},
		{&policy.SpacesError{Field: "act_low"}, EInval},
		{&nn.NonFiniteError{What: "observation"}, ENonFinite},
		{&replay.NonFiniteError{Field: "obs"}, ENonFinite},
		{fmt.Errorf("wrapped: %w", mfpo.ErrNotEnoughData), ENoData},
		{&mfpo.UpdateError{Stage: "actor", Err: &nn.NonFiniteError{What: "actor loss"}}, EUpdate},
		{&fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}, EIO},
		{&checkpoint.FormatError{Reason: "truncated"}, EFormat},
		{&checkpoint.FormatError{Reason: "bad config", Err: &mfpo.ConfigError{Field: "Gamma"}}, EFormat},
		{&checkpoint.LimitError{Need: 1 << 40}, ESize},
		{&checkpoint.VersionError{Version: 99}, EVersion},
		{&checkpoint.OptionsError{Field: "Replay"}, EInval},
		{errors.New("surprise"), EPanic},
		{&Error{ESize, "x"}, ESize},
	} {
		if got := code(c.err); got != c.want {
			t.Errorf("code of %v = %v, want %v", c.err, got.Name(), c.want.Name())
		}
	}
	if e := AsError(&mfpo.ConfigError{Field: "PolicySamples", Value: 0, Reason: "want ≥ 1"}); !strings.Contains(e.Msg, "policy_samples") {
		t.Errorf("a config error names the Go field: %q", e.Msg)
	}
}

// TestCodeTable: names and macros are distinct and every code has both.
func TestCodeTable(t *testing.T) {
	names, macros := map[string]bool{}, map[string]bool{}
	for c := Code(0); int(c) < Codes; c++ {
		if c.Name() == "" || names[c.Name()] || macros[c.Macro()] || !strings.HasPrefix(c.Describe(), c.Macro()+": ") {
			t.Errorf("code %d: name %q macro %q describe %q", int(c), c.Name(), c.Macro(), c.Describe())
		}
		names[c.Name()], macros[c.Macro()] = true, true
	}
	if Code(Codes).Describe() != "unknown mfpo status" || Code(-1).Describe() != "unknown mfpo status" {
		t.Error("an unknown code is described")
	}
	if len(CodeNames()) != Codes {
		t.Error("CodeNames")
	}
}

// TestPanicBecomesEPanic: a panic inside a call is an EPanic error, and
// the process goes on.
func TestPanicBecomesEPanic(t *testing.T) {
	h := register(&policyHandle{p: &policy.Policy{Spaces: policy.Spaces{ObsDim: 1, ActDim: 1}}}) // a policy without networks: acting panics
	defer unregister(h)
	err := PolicyAct(h, make([]float32, 1), make([]float32, 1), 1, policy.Sample, 0)
	if code(err) != EPanic || !strings.Contains(err.Error(), "a bug in mfpo") {
		t.Fatalf("%v", err)
	}
}

// TestHandleTable: handles are tagged, never reused, O(1) to free; the
// table is empty again after the frees; lookups race with frees safely;
// bad handles are described accurately.
func TestHandleTable(t *testing.T) {
	base := Live()
	var hs []Handle
	for i := 0; i < 100; i++ {
		hs = append(hs, register(&policyHandle{}))
	}
	seen := map[Handle]bool{}
	for _, h := range hs {
		if h&^serialMask != HandleTag || seen[h] || int64(h) <= 0 {
			t.Fatalf("handle %#x: untagged, repeated or not a positive int64", h)
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
		if err := FreePolicy(h); err != nil {
			t.Errorf("free %#x: %v", h, err)
		}
	}
	wg.Wait()
	if n := Live(); n != base {
		t.Errorf("%d live handles after freeing all, want %d", n, base)
	}
	h := register(&policyHandle{})
	defer unregister(h)
	if seen[h] {
		t.Errorf("a handle was reused")
	}
	for want, tok := range map[string]Handle{
		"NULL": 0, "was freed": hs[0], "never issued": 0x1234, "is a policy handle, not an agent": h,
		"never issued)": HandleTag | serialMask, "is a policy handle, not an agent handle": h,
	} {
		if err := CheckAgent(tok); code(err) != EHandle || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckAgent(%#x) = %v, want it to say %q", tok, err, want)
		}
	}
	if err := FreePolicy(hs[0]); code(err) != EHandle {
		t.Errorf("a second free: %v", err)
	}
	if FreeAgent(0) != nil || FreePolicy(0) != nil {
		t.Error("freeing 0 is not a no-op")
	}
}

// TestMessages: valid UTF-8 always, cut at a rune boundary.
func TestMessages(t *testing.T) {
	e := errorf(EIO, "path %s: %s", "bad\xff\xfepath", strings.Repeat("é", 600))
	if !utf8.ValidString(e.Msg) || len(e.Msg) > MaxMessage || len(e.Msg) < MaxMessage-1 {
		t.Errorf("message of %d bytes, valid UTF-8 %v", len(e.Msg), utf8.ValidString(e.Msg))
	}
	if e := errorf(EIO, "path %s", "a\xffb\x00c"); e.Msg != `path a\xffb\x00c` {
		t.Errorf("invalid UTF-8 and NUL are escaped: %q", e.Msg)
	}
	// A NUL a config key carries (\u0000) is escaped too: the C copy is
	// the whole text.
	_, err := CreateAgent([]byte(`{"st\u0000eps": 2}`), policy.Spaces{ObsDim: 1, ActDim: 1})
	if code(err) != EConfig || !strings.Contains(err.Error(), `st\x00eps`) || !strings.HasSuffix(err.Error(), "unknown key") {
		t.Errorf("NUL in a key: %v", err)
	}
}

func small(t *testing.T) Handle {
	t.Helper()
	h, err := CreateAgent([]byte(`{"preset": "small", "batch_size": 4, "buffer_size": 64, "learning_starts": 0, "hidden": [8], "time_features": 2, "time_width": 4, "policy_samples": 2, "posterior_samples": 2, "shards": 1}`),
		policy.Spaces{ObsDim: 3, ActDim: 2, Low: []float32{-2, 0}, High: []float32{2, 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { FreeAgent(h) })
	return h
}

// TestAgentCalls: acting is in the box's units and seeded acting does not
// change the agent; store, update and save check their arguments.
func TestAgentCalls(t *testing.T) {
	h := small(t)
	obs := []float32{0.1, 0.2, 0.3, -1, 0, 1}
	act := make([]float32, 4)
	for _, m := range policy.Modes {
		if err := AgentAct(h, act, obs, 2, m, 7); err != nil {
			t.Fatal(m, err)
		}
		for i, x := range act {
			if lo, hi := []float32{-2, 0}[i%2], []float32{2, 1}[i%2]; !(x >= lo && x <= hi) {
				t.Fatalf("%v: action %v outside [%v, %v]", m, x, lo, hi)
			}
		}
	}
	for _, c := range []struct {
		err  error
		want Code
	}{
		{AgentAct(h, act, obs, 0, policy.Sample, 1), EInval},
		{AgentAct(h, act, obs[:5], 2, policy.Sample, 1), EShape},
		{AgentAct(h, act[:3], obs, 2, policy.Sample, 1), EShape},
		{AgentAct(h, act, obs, 2, policy.Mode(9), 1), EInval},
		{AgentStore(h, 1, obs[:3], []float32{0, 0}, []float32{1}, obs[:3], []byte{0, 0}), EShape},
		{AgentStore(h, 1, obs[:3], []float32{float32(posInf()), 0}, []float32{1}, obs[:3], []byte{0}), ENonFinite},
		{AgentStore(h, 0, nil, nil, nil, nil, nil), EInval},
		{func() error { _, err := AgentUpdate(h, 1); return err }(), ENoData},
		{func() error { _, err := AgentUpdate(h, 0); return err }(), EInval},
		{AgentSave(h, "", SaveFull), EInval},
	} {
		if code(c.err) != c.want {
			t.Errorf("%v: want %s", c.err, c.want.Name())
		}
	}
	info, _ := Agent(h)
	if info.Stored != 0 || info.Updates != 0 {
		t.Errorf("a failed call changed the agent: %+v", info)
	}
}

func posInf() float64 { var z float64; return 1 / z }

func TestAgentSetLearningRate(t *testing.T) {
	h, err := CreateAgent([]byte(`{"preset":"small","hidden":[8],"time_features":2,"time_width":4}`), policy.Spaces{ObsDim: 2, ActDim: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer FreeAgent(h)
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if err := AgentSetLearningRate(h, bad); err == nil || AsError(err).Code != EConfig || !strings.Contains(err.Error(), "learning_rate") {
			t.Errorf("rate %v: %v, want an EConfig error naming learning_rate", bad, err)
		}
	}
	if err := AgentSetLearningRate(h, 0.25); err != nil {
		t.Fatal(err)
	}
	ah := lookup(h).(*agentHandle)
	if a := ah.agent; a.PolicyOpt.LR != 0.25 || a.ADNOpt.LR != 0.25 || a.Critics.Opt[1].LR != 0.25 || a.AlphaOpt.LR != 0.25 {
		t.Fatal("not every optimiser has the new rate")
	}
}

// TestConfigMessagesNameKeys: an invalid config is told in the keys and
// values a JSON (or Python) user writes, never in Config's Go field names.
func TestConfigMessagesNameKeys(t *testing.T) {
	goNames := map[string]bool{}
	for name, key := range configKeys {
		if name != key {
			goNames[name] = true
		}
	}
	sp := policy.Spaces{ObsDim: 3, ActDim: 1}
	for doc, want := range map[string]string{
		`{"v_max": 1e300}`:                      "invalid config: v_max = 1e+300: want a finite number of magnitude ≤ 1e+12",
		`{"v_min": -1e300}`:                     "invalid config: v_min = -1e+300: want a finite number of magnitude ≤ 1e+12",
		`{"v_min": 5, "v_max": 1}`:              "invalid config: v_min = 5: want v_min < v_max (1)",
		`{"buffer_size": 10, "batch_size": 20}`: "invalid config: buffer_size = 10: want ≥ batch_size (20)",
		`{"probes": 0}`:                         "invalid config: probes = 0: want N = 1 … 1024 Hutchinson probes (or exact_trace)",
		`{"hidden": [64, -1]}`:                  "invalid config: hidden = [64,-1]: every width must be 1 … 65536",
		`{"gamma": "x"}`:                        "invalid config: gamma = \"x\": want a number",
		`{"time_sampler": {"std": -1}}`:         `invalid config: time_sampler = {"mean":-0.4,"std":-1,"flow_matching_ratio":0.75,"uniform":false}: time sampler mean -0.4, std -1: want a finite mean and a finite std > 0`,
	} {
		_, err := CreateAgent([]byte(doc), sp)
		if err == nil || AsError(err).Code != EConfig || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want EConfig %q…", doc, err, want)
			continue
		}
		for _, w := range goName.FindAllString(err.Error(), -1) {
			if goNames[w] {
				t.Errorf("%s: %q names the Go field %s", doc, err, w)
			}
		}
	}
}
