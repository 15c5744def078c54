package checkpoint

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// fuzzLimits keep the fuzzer's agents small: a mutated size field must
// end as a *LimitError, not as gigabytes allocated per input.
var fuzzLimits = Limits{MaxBytes: 64 << 20}

// FuzzLoad feeds arbitrary bytes to every loader and to Verify: an error or an agent,
// never a panic or a crash. Each input is tried three ways: as it is; with
// its checksum recomputed, so that mutations reach past the checksum into
// the decoder; and, when short, as a patch (two bytes of offset, then
// bytes XORed in there) to a valid checkpoint with the replay buffer,
// resealed, which lets the fuzzer corrupt any field of a well-formed file.
// The seed corpus (testdata/fuzz/FuzzLoad) holds valid small checkpoints
// of every kind, mangled ones and patches; `go test` runs the seeds, `make
// fuzz-checkpoint` fuzzes for 30 s.
func FuzzLoad(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, b := range [][]byte{data, resealedCopy(data), patched(data)} {
			if b == nil {
				continue
			}
			a, info, err := Unmarshal(b, fuzzLimits)
			if err == nil {
				if info == nil || a.Updates != info.Updates {
					t.Fatal("loaded without its Info")
				}
				a.Close()
			} else if !typed(err) {
				t.Fatalf("Unmarshal: untyped error %T: %v", err, err)
			}
			if _, _, err := UnmarshalPolicy(b, fuzzLimits); err != nil && !typed(err) {
				t.Fatalf("UnmarshalPolicy: untyped error %T: %v", err, err)
			}
			if _, err := Inspect(b); err != nil && !typed(err) {
				t.Fatalf("Inspect: untyped error %T: %v", err, err)
			}
			for _, noChecksum := range []bool{false, true} {
				if _, err := Verify(b, VerifyOptions{Limits: fuzzLimits, NoChecksum: noChecksum}); err != nil && !typed(err) {
					t.Fatalf("Verify: untyped error %T: %v", err, err)
				}
			}
		}
	})
}

// resealedCopy is data with its checksum recomputed; nil when the root
// table is too damaged to find the field.
func resealedCopy(data []byte) []byte {
	b := bytes.Clone(data)
	if !resealed(b) {
		return nil
	}
	return b
}

var patchBase = sync.OnceValue(func() []byte {
	a, err := mfpo.New(microConfig(), policy.Spaces{ObsDim: 2, ActDim: 1})
	if err != nil {
		panic(err)
	}
	defer a.Close()
	r := rand.New(rand.NewPCG(1, 2))
	obs, act := []float32{0, 0}, []float32{0}
	for i := 0; i < 10; i++ {
		obs[0], obs[1], act[0] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.Float64())
		if err := a.Store(obs, act, float32(i), obs, i%4 == 0); err != nil {
			panic(err)
		}
	}
	data, err := Marshal(a, Options{Replay: true})
	if err != nil {
		panic(err)
	}
	return data
})

// patched applies a short input as a patch to a valid checkpoint: bytes
// 0–1 the offset, the rest XORed in from there; resealed. Nil for inputs
// too short or too long to be patches.
func patched(data []byte) []byte {
	if len(data) < 3 || len(data) > 64 {
		return nil
	}
	b := bytes.Clone(patchBase())
	off := int(binary.LittleEndian.Uint16(data)) % len(b)
	for i, x := range data[2:] {
		if off+i < len(b) {
			b[off+i] ^= x
		}
	}
	resealed(b)
	return b
}
