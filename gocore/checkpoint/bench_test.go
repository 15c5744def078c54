package checkpoint

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/mfpo/mfpo/gocore/mfpo"
)

// paperAgent is mfpo.DefaultConfig() with 17-wide observations and 6-wide
// actions (HalfCheetah's), its 1M-transition buffer full; with -short (the
// smoke run, `make bench-smoke`) a 10k-transition buffer.
func paperAgent(b *testing.B) *mfpo.Agent {
	cfg := mfpo.DefaultConfig()
	if testing.Short() {
		cfg.BufferSize = 10_000
	}
	a := newAgent(b, cfg, 17, 6)
	const chunk = 10_000
	r := rand.New(rand.NewPCG(1, 2))
	obs, act, next := make([]float32, chunk*17), make([]float32, chunk*6), make([]float32, chunk*17)
	rew, term := make([]float32, chunk), make([]bool, chunk)
	for i := range obs {
		obs[i], next[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
	}
	for i := range act {
		act[i] = float32(2*r.Float64() - 1)
	}
	for i := range rew {
		rew[i], term[i] = float32(r.NormFloat64()), r.IntN(100) == 0
	}
	for n := 0; n < a.Config.BufferSize; n += chunk {
		if err := a.Buffer.AddBatch(obs, act, rew, next, term, chunk); err != nil {
			b.Fatal(err)
		}
	}
	a.Stored = int64(a.Config.BufferSize)
	return a
}

// Save and load times and file sizes of the paper's agent with and
// without its 1M-transition replay buffer (`make bench-checkpoint`).
// Save includes the fsyncs; load includes reading the file and building
// the agent (mfpo.New's allocation of a 1M buffer included).
func BenchmarkCheckpoint(b *testing.B) {
	a := paperAgent(b)
	dir := b.TempDir()
	for _, c := range []struct {
		name string
		opts Options
	}{{"policy-only", Options{PolicyOnly: true}}, {"full", Options{}}, {replayName(a.Config.BufferSize), Options{Replay: true}}} {
		data, err := Marshal(a, c.opts)
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(dir, c.name+".mfpo")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
		size := float64(len(data))
		// After the loop: b.Loop's reset deletes metrics reported before.
		report := func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportMetric(size/1e6, "MB/file")
		}
		b.Run("marshal/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Marshal(a, c.opts); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
		})
		b.Run("save/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if err := Save(path, a, c.opts); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
		})
		if c.opts.PolicyOnly {
			b.Run("load-policy/"+c.name, func(b *testing.B) {
				for b.Loop() {
					if _, _, err := LoadPolicy(path); err != nil {
						b.Fatal(err)
					}
				}
				report(b)
			})
			continue
		}
		b.Run("load/"+c.name, func(b *testing.B) {
			for b.Loop() {
				l, _, err := Load(path)
				if err != nil {
					b.Fatal(err)
				}
				l.Close()
			}
			report(b)
		})
	}
}

// replayName is the benchmark name of a full checkpoint with an n-transition
// replay buffer: "full+1M-replay" for n = 1 000 000.
func replayName(n int) string {
	if n%1_000_000 == 0 {
		return fmt.Sprintf("full+%dM-replay", n/1_000_000)
	}
	return fmt.Sprintf("full+%dk-replay", n/1000)
}

// The bulk path for float vectors against prepending element by element
// (docs/design.md: 73k floats, the paper policy's size).
func BenchmarkCheckpointFloats(b *testing.B) {
	x := make([]float32, 73_000)
	for i := range x {
		x[i] = float32(i)
	}
	builder := flatbuffers.NewBuilder(4*len(x) + 64)
	b.Run("bulk", func(b *testing.B) {
		for b.Loop() {
			builder.Reset()
			putFloats(builder, x)
		}
	})
	b.Run("elementwise", func(b *testing.B) {
		for b.Loop() {
			builder.Reset()
			builder.StartVector(4, len(x), 4)
			for i := len(x) - 1; i >= 0; i-- {
				builder.PrependFloat32(x[i])
			}
			builder.EndVector(len(x))
		}
	})
	b.Run("decode", func(b *testing.B) {
		builder.Reset()
		off := putFloats(builder, x)
		raw := builder.Bytes[len(builder.Bytes)-int(off)+4:][:4*len(x)]
		dst := make([]float32, len(x))
		for b.Loop() {
			decodeFloats(dst, raw)
		}
	})
}
