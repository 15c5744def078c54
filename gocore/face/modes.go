package face

import (
	"fmt"

	"github.com/mfpo/mfpo/gocore/policy"
)

// modeNumbers are the C ABI's MFPO_ACT_* numbers of the acting modes.
var modeNumbers = [...]policy.Mode{
	0: policy.Sample,
	1: policy.Deterministic,
	2: policy.BestOfN,
	3: policy.Explore,
}

// ModeOfNumber is the mode of a C ABI number (MFPO_ACT_*); an unknown
// number is EInval.
func ModeOfNumber(n int) (policy.Mode, error) {
	if n < 0 || n >= len(modeNumbers) {
		return 0, errorf(EInval, "mode %d, want %s", n, modeList())
	}
	return modeNumbers[n], nil
}

// ModeOfName is the mode of a name ("sample", …); an unknown name is
// EInval.
func ModeOfName(name string) (policy.Mode, error) {
	m, err := policy.ParseMode(name)
	if err != nil {
		return 0, errorf(EInval, "mode %q, want %s", name, modeList())
	}
	return m, nil
}

// modeList names every mode with its C ABI number: `"sample" (0), …`.
func modeList() string {
	s := ""
	for i, m := range modeNumbers {
		switch {
		case i == len(modeNumbers)-1:
			s += " or "
		case i > 0:
			s += ", "
		}
		s += fmt.Sprintf("%q (%d)", m.String(), i)
	}
	return s
}

// modeArg is EInval for a mode that is not one of the four, or Explore
// where only a policy acts.
func modeArg(m policy.Mode, agent bool) error {
	for _, k := range modeNumbers {
		if m == k && (agent || m != policy.Explore) {
			return nil
		}
	}
	if m == policy.Explore {
		return errorf(EInval, "mode %q is for training agents: a policy acts with %q, %q or %q",
			m.String(), policy.Sample.String(), policy.BestOfN.String(), policy.Deterministic.String())
	}
	return errorf(EInval, "mode %v is not an acting mode", m)
}
