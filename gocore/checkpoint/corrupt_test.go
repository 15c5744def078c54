package checkpoint

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/mfpo/mfpo/gocore/checkpoint/internal/fb"
	"github.com/mfpo/mfpo/gocore/mfpo"
)

var corruptionTable = flag.Bool("corruption-table", false, "print the corruption cases as the Markdown table of docs/checkpoint.md")

// mutated returns a sealed copy of data changed by f through the
// generated mutators: a file whose checksum is right but whose content
// is not.
func mutated(t testing.TB, data []byte, f func(*fb.Checkpoint) bool) []byte {
	t.Helper()
	buf := bytes.Clone(data)
	if !f(fb.GetRootAsCheckpoint(buf, 0)) {
		t.Fatal("the mutator found no field to change")
	}
	seal(buf)
	return buf
}

// loadAll runs every loader on data and reports the first panic as a
// test failure. It returns the errors of Unmarshal, UnmarshalPolicy and
// Inspect.
func loadAll(t testing.TB, data []byte) (full, policy, inspect error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v", r)
		}
	}()
	a, _, full := Unmarshal(data, fuzzLimits)
	if a != nil {
		a.Close()
	}
	_, _, policy = UnmarshalPolicy(data, fuzzLimits)
	_, inspect = Inspect(data)
	return
}

// typed reports whether err is one of the package's reading errors.
func typed(err error) bool {
	var fe *FormatError
	var ve *VersionError
	var le *LimitError
	return errors.As(err, &fe) || errors.As(err, &ve) || errors.As(err, &le)
}

// Safe loading: truncated, corrupted and foreign files are errors that
// say what was expected and what came, never a panic.
func TestCheckpointCorruption(t *testing.T) {
	a := trained(t, tinyConfig(), 3, 2, 60, 3)
	good, err := Marshal(a, Options{Replay: true})
	if err != nil {
		t.Fatal(err)
	}
	policyOnly, _ := Marshal(a, Options{PolicyOnly: true})

	// A tensor of the wrong length, a NaN parameter, a NaN transition: the
	// builder writes what the (damaged) agent holds.
	damaged := func(f func(b *mfpo.Agent), opts Options) []byte {
		b := trained(t, tinyConfig(), 3, 2, 60, 3)
		f(b)
		data, err := Marshal(b, opts)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	// A flatbuffer of another table under our identifier.
	foreignFB := func() []byte {
		b := flatbuffers.NewBuilder(0)
		params := putFloats(b, []float32{1, 2, 3})
		fb.NetworkStart(b)
		fb.NetworkAddParams(b, params)
		b.FinishWithFileIdentifier(fb.NetworkEnd(b), []byte(Identifier))
		return b.FinishedBytes()
	}
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
	flip := bytes.Clone(good)
	flip[len(flip)/2] ^= 0x10

	cases := []struct {
		name     string
		data     []byte
		policyOK bool // the policy loads: the damage is outside it
		inspect  bool // Inspect succeeds: the damage is in a tensor
		verify   bool // Verify succeeds: a policy checkpoint, or damage only the copy's value checks see
		check    func(error) bool
	}{
		{name: "empty file", data: nil},
		{name: "4 bytes", data: good[:4]},
		{name: "truncated to half", data: good[:len(good)/2]},
		{name: "truncated by 1 byte", data: good[:len(good)-1]},
		{name: "one byte flipped in the middle (float data)", data: flip},
		{name: "root offset past the end", data: func() []byte {
			b := bytes.Clone(good)
			b[0], b[1], b[2], b[3] = 0xff, 0xff, 0xff, 0x7f
			return b
		}()},
		{name: "wrong identifier", data: append([]byte{good[0], good[1], good[2], good[3], 'X', 'X', 'X', 'X'}, good[8:]...)},
		{name: "future format version (2), checksum right", data: mutated(t, good, func(r *fb.Checkpoint) bool { return r.MutateFormatVersion(2) }),
			check: func(err error) bool { var ve *VersionError; return errors.As(err, &ve) && ve.Version == 2 }},
		{name: "format version 0", data: mutated(t, good, func(r *fb.Checkpoint) bool { return r.MutateFormatVersion(0) })},
		{name: "unknown kind 7", data: mutated(t, policyOnly, func(r *fb.Checkpoint) bool { return r.MutateKind(7) })},
		{name: "invalid config (γ = 2)", data: mutated(t, good, func(r *fb.Checkpoint) bool { return r.Config(nil).MutateGamma(2) }),
			check: func(err error) bool { var ce *mfpo.ConfigError; return errors.As(err, &ce) && ce.Field == "Gamma" }},
		{name: "config disagrees with the networks (hidden 32 → 33)", data: mutated(t, good, func(r *fb.Checkpoint) bool { return r.Config(nil).MutateHidden(0, 33) }), inspect: true},
		{name: "network spec disagrees with the config (critic out 21 → 20)", data: mutated(t, good, func(r *fb.Checkpoint) bool {
			var n fb.Network
			r.Critics(&n, 1)
			return n.Spec(nil).MutateOut(20)
		}), policyOK: true, inspect: true},
		{name: "vector length past the end (policy params)", data: mutated(t, good, func(r *fb.Checkpoint) bool {
			p := r.Policy(nil).Table()
			o := flatbuffers.UOffsetT(p.Offset(networkDef.slot("params")))
			return p.MutateUint32(p.Pos+o+p.GetUOffsetT(p.Pos+o), 1<<28)
		})},
		{name: "tensor of the wrong length (policy Adam m, built with the builder)",
			data: damaged(func(b *mfpo.Agent) { b.PolicyOpt.M = b.PolicyOpt.M[:len(b.PolicyOpt.M)-1] }, Options{}), policyOK: true, inspect: true},
		{name: "NaN parameter (policy)", data: damaged(func(b *mfpo.Agent) { b.Policy.Params[5] = float32(math.NaN()) }, Options{}), inspect: true, verify: true},
		{name: "negative Adam second moment", data: damaged(func(b *mfpo.Agent) { b.ADNOpt.V[0] = -1 }, Options{}), policyOK: true, inspect: true, verify: true},
		{name: "NaN reward in the replay buffer", data: damaged(func(b *mfpo.Agent) { b.Buffer.State().Reward[3] = float32(math.NaN()) }, Options{Replay: true}),
			policyOK: true, inspect: true, verify: true},
		{name: "replay ring state impossible (pos ≠ len)", data: mutated(t, good, func(r *fb.Checkpoint) bool { return r.Replay(nil).MutatePos(3) }), policyOK: false},
		{name: "huge buffer_size (2^30) without replay", data: mutated(t, policyOnlyFull(t, a), func(r *fb.Checkpoint) bool { return r.Config(nil).MutateBufferSize(1 << 30) }),
			policyOK: true, inspect: true, check: func(err error) bool { var le *LimitError; return errors.As(err, &le) }},
		{name: "huge policy_samples (2^12)", data: mutated(t, policyOnlyFull(t, a), func(r *fb.Checkpoint) bool { return r.Config(nil).MutatePolicySamples(1 << 12) }),
			policyOK: true, inspect: true, check: func(err error) bool { var le *LimitError; return errors.As(err, &le) }},
		{name: "policy-only checkpoint given to Load", data: policyOnly, policyOK: true, inspect: true, verify: true},
		{name: "checksum missing", data: func() []byte {
			b := bytes.Clone(good) // point the checksum's vtable entry at nothing
			tab := fb.GetRootAsCheckpoint(b, 0).Table()
			vt := flatbuffers.UOffsetT(flatbuffers.SOffsetT(tab.Pos) - tab.GetSOffsetT(tab.Pos))
			tab.MutateVOffsetT(vt+flatbuffers.UOffsetT(checkpointDef.slot("checksum")), 0)
			return b
		}()},
		{name: "another table under the MFPO identifier", data: foreignFB()},
		{name: "PNG image", data: png},
		{name: "text file", data: []byte("step,return\n1000,-1200.5\n2000,-800.25\n")},
		{name: "JSON file", data: []byte(`{"hidden": [256, 256, 256], "seed": 1}`)},
		{name: "zip archive (PyTorch .pt)", data: append([]byte("PK\x03\x04"), make([]byte, 100)...)},
		{name: "4 KiB of zeros", data: make([]byte, 4096)},
		{name: "4 KiB of random bytes", data: func() []byte {
			b := make([]byte, 4096)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return b
		}()},
	}
	var table strings.Builder
	for _, c := range cases {
		full, policy, inspect := loadAll(t, c.data)
		if c.check != nil {
			if !c.check(full) {
				t.Errorf("%s: Unmarshal: %v, not the expected error", c.name, full)
			}
		}
		if full == nil || !typed(full) {
			t.Errorf("%s: Unmarshal: %v (%T), want a *FormatError, *VersionError or *LimitError", c.name, full, full)
		}
		if (policy == nil) != c.policyOK || (policy != nil && !typed(policy)) {
			t.Errorf("%s: UnmarshalPolicy: %v, want success %v", c.name, policy, c.policyOK)
		}
		if (inspect == nil) != c.inspect {
			t.Errorf("%s: Inspect: %v", c.name, inspect)
		}
		if _, err := Verify(c.data, VerifyOptions{Limits: fuzzLimits}); (err == nil) != c.verify || (err != nil && !typed(err)) {
			t.Errorf("%s: Verify: %v, want success %v", c.name, err, c.verify)
		}
		fmt.Fprintf(&table, "| %s | `%T` | %s |\n", c.name, full, strings.ReplaceAll(full.Error(), "|", `\|`))
	}
	if *corruptionTable {
		fmt.Print("| case | error | message |\n|---|---|---|\n" + table.String())
	}
}

// policyOnlyFull is a Full checkpoint without the replay buffer.
func policyOnlyFull(t testing.TB, a *mfpo.Agent) []byte {
	data, err := Marshal(a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Every truncation of a small checkpoint, and many random byte flips
// (with the checksum left stale, and resealed so that the flip reaches
// the decoder), are errors or, for a resealed flip in float data, a
// valid agent: never a panic; a truncation is called one.
func TestCheckpointTruncationsAndFlips(t *testing.T) {
	a := trained(t, microConfig(), 2, 1, 6, 2)
	for _, opts := range []Options{{Replay: true}, {PolicyOnly: true}} {
		data, err := Marshal(a, opts)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(data); n++ {
			full, policy, inspect := loadAll(t, data[:n])
			if full == nil || policy == nil || inspect == nil {
				t.Fatalf("truncated to %d of %d bytes: errors %v, %v, %v", n, len(data), full, policy, inspect)
			}
			for _, err := range []error{full, policy, inspect} { // the reader says what happened
				if !strings.Contains(err.Error(), "truncated") {
					t.Fatalf("truncated to %d of %d bytes: %v does not say truncated", n, len(data), err)
				}
			}
		}
		r := rand.New(rand.NewPCG(5, 6))
		loaded := 0
		for i := 0; i < 3000; i++ {
			b := bytes.Clone(data)
			for k := 0; k <= i%3; k++ {
				b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
			}
			if full, policy, _ := loadAll(t, b); full == nil || policy == nil {
				t.Fatalf("flip %d loaded despite the stale checksum", i)
			}
			if resealed(b) {
				if full, policy, _ := loadAll(t, b); full == nil || policy == nil {
					loaded++
				}
			}
		}
		t.Logf("%v: %d of 3000 resealed flips still load (float data)", opts, loaded)
	}
}

// resealed recomputes the checksum of a damaged buffer when its root
// table is intact enough to find the field.
func resealed(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	v := verifier{buf: b, n: uint64(len(b))}
	root := &tableDef{"Checkpoint", checkpointDef.fields[:0]} // the root table alone
	if v.table(v.u32(0), root, "Checkpoint", 0) != nil {
		return false
	}
	at, ok := checksumAt(b)
	if !ok || at+4 > uint64(len(b)) {
		return false
	}
	binary32(b[at:], checksum(b, at))
	return true
}

func binary32(b []byte, x uint32) {
	b[0], b[1], b[2], b[3] = byte(x), byte(x>>8), byte(x>>16), byte(x>>24)
}

// Loading from a path names it; a missing file is the os error; a folder
// is a format error.
func TestCheckpointLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Load(filepath.Join(dir, "none.mfpo")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, _, err := LoadPolicy(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("folder: %v", err)
	}
	bad := filepath.Join(dir, "bad.mfpo")
	os.WriteFile(bad, []byte("hello"), 0o644)
	_, _, err := Load(bad)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Path != bad || !strings.Contains(err.Error(), bad) {
		t.Fatalf("bad file: %v", err)
	}
}
