package checkpoint

import (
	"bytes"
	"errors"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/mfpo/mfpo/gocore/checkpoint/internal/fb"
	"github.com/mfpo/mfpo/gocore/mfpo"
)

// A checkpoint written before Config.ProposalMix existed has no
// proposal_mix field: it loads with the paper's "ess", in full and as a
// policy. An unknown name is a *FormatError wrapping the config's error.
func TestCheckpointProposalMix(t *testing.T) {
	cfg := tinyConfig()
	cfg.ProposalMix = mfpo.BalanceMix
	good, err := Marshal(trained(t, cfg, 3, 2, 40, 2), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Point the config's proposal_mix vtable entry at nothing: the file an
	// older writer made.
	old := bytes.Clone(good)
	c := fb.GetRootAsCheckpoint(old, 0).Config(nil).Table()
	vt := flatbuffers.UOffsetT(flatbuffers.SOffsetT(c.Pos) - c.GetSOffsetT(c.Pos))
	if !c.MutateVOffsetT(vt+flatbuffers.UOffsetT(configDef.slot("proposal_mix")), 0) {
		t.Fatal("no proposal_mix slot in the config's vtable")
	}
	seal(old)
	for name, data := range map[string][]byte{"with the field": good, "without it": old} {
		want := mfpo.BalanceMix
		if name == "without it" {
			want = mfpo.ESSMix
		}
		a, info, err := Unmarshal(data, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p, pinfo, err := UnmarshalPolicy(data, Limits{})
		if err != nil {
			t.Fatalf("%s: policy: %v", name, err)
		}
		_ = p
		if a.Config.ProposalMix != want || info.Config.ProposalMix != want || pinfo.Config.ProposalMix != want {
			t.Errorf("%s: proposal mix %q (info %q, policy %q), want %q", name, a.Config.ProposalMix, info.Config.ProposalMix, pinfo.Config.ProposalMix, want)
		}
		a.Close()
	}
	// An unknown name (same length, so the buffer keeps its layout).
	bad := bytes.Clone(good)
	i := bytes.Index(bad, []byte("balance"))
	if i < 0 || bytes.Count(bad, []byte("balance")) != 1 {
		t.Fatal(`want one "balance" in the file`)
	}
	copy(bad[i:], "balanse")
	seal(bad)
	_, _, err = Unmarshal(bad, Limits{})
	var fe *FormatError
	var ce *mfpo.ConfigError
	if !errors.As(err, &fe) || !errors.As(err, &ce) || ce.Field != "ProposalMix" {
		t.Fatalf("unknown proposal_mix: %v, want a *FormatError wrapping the config error", err)
	}
}
