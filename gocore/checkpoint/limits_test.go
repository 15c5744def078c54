package checkpoint

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mfpo/mfpo/gocore/checkpoint/internal/fb"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// A FIFO (or any file that is not regular) is refused before it is
// opened: the load returns instead of waiting for a writer.
func TestCheckpointRefusesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo.mfpo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err) // every Linux file system of a temporary folder has FIFOs
	}
	var fe *FormatError
	if _, _, err := Load(path); !errors.As(err, &fe) {
		t.Errorf("Load of a FIFO: %v, want a *FormatError", err)
	}
	if _, _, err := LoadPolicy(path); !errors.As(err, &fe) {
		t.Errorf("LoadPolicy of a FIFO: %v, want a *FormatError", err)
	}
	if _, _, err := Load(t.TempDir()); !errors.As(err, &fe) {
		t.Errorf("Load of a folder: %v, want a *FormatError", err)
	}
}

// A save removes the temporary files that interrupted saves to the same
// path left, once older than StaleAge, and nothing else.
func TestCheckpointRemovesStaleTemps(t *testing.T) {
	a := newAgent(t, tinyConfig(), 3, 2)
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.mfpo")
	old := time.Now().Add(-2 * StaleAge)
	files := map[string]bool{ // name → kept
		".agent.mfpo.tmp-123456": false, // stale: removed
		".agent.mfpo.tmp-777":    true,  // fresh (a save in progress): kept
		".agent.mfpo.tmp-12x":    true,  // not a name CreateTemp makes
		".other.mfpo.tmp-123":    true,  // another checkpoint's
		"agent.mfpo.tmp-123":     true,  // not hidden: not ours
	}
	for name := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != ".agent.mfpo.tmp-777" {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := Save(path, a, Options{}); err != nil {
		t.Fatal(err)
	}
	for name, kept := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if (err == nil) != kept {
			t.Errorf("%s: kept %v, want %v", name, err == nil, kept)
		}
	}
}

// A CRC-valid checkpoint whose weights overflow float32 when acting is
// refused at load, by both loaders, with a *FormatError.
func TestCheckpointRefusesOverflowingWeights(t *testing.T) {
	for name, damage := range map[string]func(b []float32){
		"every policy weight 3e38": func(b []float32) {
			for i := range b {
				b[i] = 3e38
			}
		},
	} {
		a := newAgent(t, tinyConfig(), 3, 2)
		damage(a.Policy.Params)
		if err := a.ActingPolicy().Probe(); !errors.Is(err, policy.ErrNotFinite) {
			t.Fatalf("%s: the probe acts finite (%v): the damage does not test the loader", name, err)
		}
		for _, opt := range []Options{{}, {PolicyOnly: true}} {
			data, err := Marshal(a, opt)
			if err != nil {
				t.Fatal(err)
			}
			var fe *FormatError
			if _, _, err := UnmarshalPolicy(data, Limits{}); !errors.As(err, &fe) || !errors.Is(err, policy.ErrNotFinite) {
				t.Errorf("%s, %+v: UnmarshalPolicy: %v", name, opt, err)
			}
			if !opt.PolicyOnly {
				if _, _, err := Unmarshal(data, Limits{}); !errors.As(err, &fe) {
					t.Errorf("%s: Unmarshal: %v", name, err)
				}
			}
		}
	}
}

// CRC-valid checkpoints whose config is over a hard limit are refused by
// both loaders (the agent loader's estimate covers acting as well).
func TestCheckpointConfigOverLimits(t *testing.T) {
	a := newAgent(t, tinyConfig(), 3, 2)
	good := policyOnlyFull(t, a)
	for name, f := range map[string]func(c *fb.Config) bool{
		"eval_candidates 2^31−1": func(c *fb.Config) bool { return c.MutateEvalCandidates(math.MaxInt32) },
		"steps 2^31−1":           func(c *fb.Config) bool { return c.MutateSteps(math.MaxInt32) },
		"posterior_samples 2^24": func(c *fb.Config) bool { return c.MutatePosteriorSamples(1 << 24) },
		"v_min −3e38":            func(c *fb.Config) bool { return c.MutateVMin(-3e38) },
	} {
		data := mutated(t, good, func(r *fb.Checkpoint) bool { return f(r.Config(nil)) })
		var fe *FormatError
		var ce *mfpo.ConfigError
		if _, _, err := Unmarshal(data, Limits{}); !errors.As(err, &fe) || !errors.As(err, &ce) {
			t.Errorf("%s: Unmarshal: %v", name, err)
		}
		if _, _, err := UnmarshalPolicy(data, Limits{}); !errors.As(err, &fe) || !errors.As(err, &ce) {
			t.Errorf("%s: UnmarshalPolicy: %v", name, err)
		}
	}
	// Within the limits but over the memory limit: a *LimitError naming
	// the key, acting counted (eval_candidates 1024 on wide networks).
	var le *LimitError
	data := mutated(t, good, func(r *fb.Checkpoint) bool { return r.Config(nil).MutateEvalCandidates(1024) })
	if _, _, err := Unmarshal(data, Limits{MaxBytes: int64(mfpo.EstimateAgent(a.Config, a.Spaces).Total())}); !errors.As(err, &le) || le.Field == "" {
		t.Errorf("an agent whose acting is over the limit: %v", err)
	}
}
