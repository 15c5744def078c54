package bindings

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// trained returns a small agent with 16 transitions stored and 3 updates.
func trained(t *testing.T) int64 {
	t.Helper()
	h := newSmall(t, "")
	rows := 16
	obs, next, act, rew, term := make([]float32, rows*3), make([]float32, rows*3), make([]float32, rows*2), make([]float32, rows), make([]byte, rows)
	for i := range obs {
		obs[i], next[i] = float32(i%7)*0.1-0.3, float32(i%5)*0.2-0.4
	}
	for i := range act {
		act[i] = float32(i%3)*0.5 - 0.5
	}
	for i := range rew {
		rew[i] = float32(i) * 0.01
	}
	if _, err := Store(h, encode(obs), encode(act), encode(rew), encode(next), term, rows); err != nil {
		t.Fatal(err)
	}
	if _, err := Update(h, 3); err != nil {
		t.Fatal(err)
	}
	return h
}

type loadedJSON struct {
	Handle int64 `json:"handle"`
	Info   struct {
		Kind     string    `json:"kind"`
		ObsShape []int     `json:"obs_shape"`
		ActLow   []float32 `json:"act_low"`
		ActHigh  []float32 `json:"act_high"`
		Updates  int64     `json:"updates"`
		Stored   int64     `json:"stored"`
		Replay   bool      `json:"replay"`
	} `json:"info"`
}

func parseLoaded(t *testing.T, s string) loadedJSON {
	t.Helper()
	var l loadedJSON
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return l
}

const spaces = `{"obs_shape": [1, 3], "act_low": [-2, 0], "act_high": [2, 0.5]}`

// A save/load round trip gives an agent whose checkpoint is the same bytes
// and whose next updates are the same as the original's.
func TestSaveLoadResumes(t *testing.T) {
	h := trained(t)
	path := filepath.Join(t.TempDir(), "a.mfpo")
	if err := Save(h, path, "replay", spaces); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	l := parseLoaded(t, s)
	defer Free(l.Handle)
	if l.Info.Kind != "full" || !l.Info.Replay || l.Info.Updates != 3 || l.Info.Stored != 16 ||
		len(l.Info.ObsShape) != 2 || l.Info.ActLow[0] != -2 || l.Info.ActHigh[1] != 0.5 {
		t.Fatalf("info %+v", l.Info)
	}
	for _, x := range []int64{h, l.Handle} {
		if _, err := Update(x, 2); err != nil {
			t.Fatal(err)
		}
	}
	a, err := Marshal(h, "replay", spaces)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(l.Handle, "replay", spaces)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("after 2 more updates each, the loaded agent's checkpoint differs from the original's")
	}
	s, err = Unmarshal(a)
	if err != nil {
		t.Fatal(err)
	}
	Free(parseLoaded(t, s).Handle)
}

// A policy handle from an agent, from a full and from a policy-only
// checkpoint act alike, in the box's units, as a function of the seed.
func TestPolicyHandles(t *testing.T) {
	h := trained(t)
	dir := t.TempDir()
	if err := Save(h, filepath.Join(dir, "p.mfpo"), "policy", spaces); err != nil {
		t.Fatal(err)
	}
	full, err := Marshal(h, "full", spaces)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := PolicyFromAgent(h, spaces)
	if err != nil {
		t.Fatal(err)
	}
	s, err := PolicyLoad(filepath.Join(dir, "p.mfpo"))
	if err != nil {
		t.Fatal(err)
	}
	p2 := parseLoaded(t, s).Handle
	s, err = PolicyUnmarshal(full)
	if err != nil {
		t.Fatal(err)
	}
	p3 := parseLoaded(t, s).Handle
	obs := floats(0.1, -0.2, 0.3, 0.5, 0.5, -1)
	for _, mode := range []string{"sample", "best_of_n", "deterministic"} {
		want, err := PolicyAct(p1, obs, 2, mode, 42)
		if err != nil {
			t.Fatal(err)
		}
		a := decode(nil, want)
		for i, x := range a {
			if lo, hi := []float32{-2, 0}[i%2], []float32{2, 0.5}[i%2]; x < lo || x > hi {
				t.Fatalf("%s: action %d = %v outside [%v, %v]", mode, i, x, lo, hi)
			}
		}
		for _, p := range []int64{p1, p2, p3} {
			got, err := PolicyAct(p, obs, 2, mode, 42)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: policy %d acts %v (%v), want %v", mode, p, decode(nil, got), err, a)
			}
		}
		other, _ := PolicyAct(p1, obs, 2, mode, 43)
		if (mode == "deterministic") != bytes.Equal(other, want) {
			t.Errorf("%s: seed 43 vs 42: equal = %v", mode, bytes.Equal(other, want))
		}
	}
	for _, p := range []int64{p1, p2, p3} {
		if !PolicyFree(p) || PolicyFree(p) {
			t.Fatal("free a live policy once")
		}
	}
	if LivePolicies() != 0 {
		t.Fatalf("%d live policies", LivePolicies())
	}
}

func TestCheckpointErrors(t *testing.T) {
	h := trained(t)
	dir := t.TempDir()
	for _, c := range []struct {
		kind, spaces, code string
	}{
		{"weights", "", codeConfig},
		{"full", `{"obs_shape": [4]}`, codeConfig},
		{"full", `{"act_low": [1, 1], "act_high": [0, 2]}`, codeConfig},
		{"full", `{"obs": [3]}`, codeConfig},
		{"policy", `[`, codeConfig},
	} {
		err := Save(h, filepath.Join(dir, "x.mfpo"), c.kind, c.spaces)
		wantCode(t, err, c.code)
	}
	wantCode(t, Save(h, filepath.Join(dir, "no", "such", "dir.mfpo"), "full", ""), codeIO)
	_, err := Load(filepath.Join(dir, "missing.mfpo"))
	wantCode(t, err, codeIO)
	good, err := Marshal(h, "full", "")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"empty": {}, "truncated": good[:len(good)/2], "foreign": []byte("PK\x03\x04 a zip file, not a checkpoint"),
		"flipped": append(append([]byte{}, good[:len(good)/2]...), append([]byte{good[len(good)/2] ^ 0x40}, good[len(good)/2+1:]...)...),
	} {
		_, err := Unmarshal(data)
		wantCode(t, err, codeCheckpoint)
		_, err = PolicyUnmarshal(data)
		wantCode(t, err, codeCheckpoint)
		path := filepath.Join(dir, name+".mfpo")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Load(path)
		wantCode(t, err, codeCheckpoint)
	}
	pol, err := Marshal(h, "policy", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Unmarshal(pol)
	wantCode(t, err, codeCheckpoint)
	p, err := PolicyFromAgent(h, "")
	if err != nil {
		t.Fatal(err)
	}
	defer PolicyFree(p)
	_, err = PolicyAct(p, floats(1, 2), 1, "sample", 1)
	wantCode(t, err, codeShape)
	_, err = PolicyAct(p, floats(1, float32(math.NaN()), 2), 1, "sample", 1)
	wantCode(t, err, codeNonFinite)
	_, err = PolicyAct(p, floats(1, 2, 3), 1, "explore", 1)
	wantCode(t, err, codeConfig)
	_, err = PolicyAct(h, floats(1, 2, 3), 1, "sample", 1) // an agent handle
	wantCode(t, err, codeHandle)
	wantCode(t, Save(p, filepath.Join(dir, "y.mfpo"), "full", ""), codeHandle)
}
