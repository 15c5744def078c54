package checkpoint

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/mfpo/mfpo/gocore/checkpoint/internal/fb"
)

// Verify accepts what the loaders accept, returns Inspect's Info, skips
// only the checksum with NoChecksum, and names Path in its errors.
func TestCheckpointVerify(t *testing.T) {
	a := trained(t, microConfig(), 2, 1, 6, 2)
	for _, opts := range []Options{{Replay: true}, {}, {PolicyOnly: true}} {
		data, err := Marshal(a, opts)
		if err != nil {
			t.Fatal(err)
		}
		info, err := Verify(data, VerifyOptions{})
		if err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		want, err := Inspect(data)
		if err != nil || !reflect.DeepEqual(info, want) {
			t.Fatalf("%+v: Verify's Info %+v, Inspect's %+v (%v)", opts, info, want, err)
		}
		for n := 0; n < len(data); n++ {
			if _, err := Verify(data[:n], VerifyOptions{NoChecksum: true}); !typed(err) {
				t.Fatalf("%+v: truncated to %d of %d bytes: %v", opts, n, len(data), err)
			}
		}

		// A byte of the policy's parameters changed: the checksum is the
		// only check that sees it.
		p := fb.GetRootAsCheckpoint(data, 0).Policy(nil).Table()
		at := p.Vector(flatbuffers.UOffsetT(p.Offset(networkDef.slot("params"))))
		damaged := bytes.Clone(data)
		damaged[at] ^= 1
		_, err = Verify(damaged, VerifyOptions{Path: "x/agent.mfpo"})
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Path != "x/agent.mfpo" || !strings.Contains(err.Error(), "x/agent.mfpo: not a valid checkpoint: checksum mismatch") {
			t.Fatalf("%+v: damaged: %v", opts, err)
		}
		if _, err := Verify(damaged, VerifyOptions{NoChecksum: true}); err != nil {
			t.Fatalf("%+v: damaged, NoChecksum: %v", opts, err)
		}
	}
	// A tensor of the wrong length is found with NoChecksum too.
	b := trained(t, microConfig(), 2, 1, 6, 2)
	b.ADNOpt.V = b.ADNOpt.V[:len(b.ADNOpt.V)-1]
	data, err := Marshal(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(data, VerifyOptions{NoChecksum: true}); err == nil || !strings.Contains(err.Error(), "Checkpoint.adn_opt.v has") {
		t.Fatalf("short Adam moment: %v", err)
	}
	// The limit applies.
	good, _ := Marshal(a, Options{})
	var le *LimitError
	if _, err := Verify(good, VerifyOptions{Limits: Limits{MaxBytes: 1024}}); !errors.As(err, &le) {
		t.Fatalf("limit: %v", err)
	}
}
