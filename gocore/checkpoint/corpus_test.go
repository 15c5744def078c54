package checkpoint

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/mfpo/mfpo/gocore/checkpoint/internal/fb"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite FuzzLoad's seed corpus in testdata/fuzz/FuzzLoad")

// seeds are FuzzLoad's seed corpus: valid small checkpoints of every
// kind and mangled ones. They are the same on every machine: no update
// (whose results depend on the BLAS), a fixed producer.
func seeds(t testing.TB) map[string][]byte {
	defer func(p string) { Producer = p }(Producer)
	Producer = "mfpo seed corpus"
	fresh := func(cfg mfpo.Config, sp policy.Spaces, transitions int) *mfpo.Agent {
		a := newAgentIn(t, cfg, sp)
		store(t, a, transitions, rand.New(rand.NewPCG(7, 8)))
		for i, o := range []*nn.Adam[float32]{a.PolicyOpt, a.ADNOpt, a.Critics.Opt[0], a.Critics.Opt[1], a.AlphaOpt} {
			o.Steps = int64(i + 1)
			for j := range o.M {
				o.M[j], o.V[j] = float32(j%5)*0.01-0.02, float32(j%3)*0.001
			}
		}
		a.Updates, a.LogAlpha[0] = 2, -4.5
		return a
	}
	cfg := microConfig()
	a := fresh(cfg, policy.Spaces{ObsDim: 2, ActDim: 1}, 10) // capacity 8: the ring has wrapped
	alt := cfg
	alt.ExactTrace, alt.ClippedDoubleQ, alt.Steps = true, false, 1
	b := fresh(alt, policy.Spaces{ObsShape: []int{3, 1}, ObsDim: 3, ActDim: 2, Low: []float32{-2, 0}, High: []float32{2, 1}}, 5)
	marshal := func(a *mfpo.Agent, opts Options) []byte {
		data, err := Marshal(a, opts)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	withReplay := marshal(a, Options{Replay: true})
	flipped := bytes.Clone(withReplay)
	flipped[len(flipped)/3] ^= 0x55
	short := fresh(cfg, policy.Spaces{ObsDim: 2, ActDim: 1}, 10)
	short.ADNOpt.V = short.ADNOpt.V[:3]
	return map[string][]byte{
		"full":               marshal(a, Options{}),
		"full-replay":        withReplay,
		"policy-only":        marshal(a, Options{PolicyOnly: true}),
		"full-replay-spaces": marshal(b, Options{Replay: true}),
		"mangled-truncated":  withReplay[:len(withReplay)/2],
		"mangled-flipped":    flipped,
		"mangled-version-2":  mutated(t, withReplay, func(r *fb.Checkpoint) bool { return r.MutateFormatVersion(2) }),
		"mangled-config":     mutated(t, withReplay, func(r *fb.Checkpoint) bool { return r.Config(nil).MutateAtoms(4) }),
		"mangled-tensor-len": marshal(short, Options{}),
		"mangled-identifier": append(append([]byte{}, withReplay[:4]...), append([]byte("MFPX"), withReplay[8:]...)...),
		"foreign-png":        []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"),
		"foreign-text":       []byte("MFPO checkpoint? no: a text file\n"),
		"empty":              {},
		// Patches to a valid checkpoint (see FuzzLoad): offset, then XOR bytes.
		"patch-root-offset": {0, 0, 0x10},
		"patch-header":      {8, 0, 0xff, 0xff},
		"patch-middle":      {0, 4, 0x01, 0x80, 0x7f},
		"patch-late":        {0, 16, 0xff, 0xff, 0xff, 0xff},
	}
}

// The committed corpus is what seeds() makes (rewrite it with
// -update-corpus after a format change).
func TestCheckpointFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzLoad")
	for name, data := range seeds(t) {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		path := filepath.Join(dir, name)
		if *updateCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("%s is missing or stale (%v); run go test -run FuzzCorpus -update-corpus ./gocore/checkpoint", path, err)
		}
	}
}
