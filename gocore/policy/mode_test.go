package policy_test

import (
	"strings"
	"testing"

	. "github.com/mfpo/mfpo/gocore/policy"
)

// TestModeNames: every mode has one canonical name that ParseMode reads
// back; another name is an error listing them all.
func TestModeNames(t *testing.T) {
	want := []string{"sample", "best_of_n", "deterministic", "explore"}
	if len(Modes) != len(want) {
		t.Fatalf("Modes = %v, want %d modes", Modes, len(want))
	}
	for i, m := range Modes {
		if m.String() != want[i] {
			t.Errorf("Modes[%d].String() = %q, want %q", i, m.String(), want[i])
		}
		got, err := ParseMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	_, err := ParseMode("best-of-N")
	if err == nil {
		t.Fatal(`ParseMode("best-of-N"): no error`)
	}
	for _, name := range want {
		if !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("the error %q does not list %q", err, name)
		}
	}
}

// TestConfigValidate: each acting field is checked, with its name.
func TestConfigValidate(t *testing.T) {
	ok := Config{Steps: 2, EvalCandidates: 10, Atoms: 101, VMin: -10, VMax: 10}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for field, c := range map[string]Config{
		"Steps":          {Steps: 0, EvalCandidates: 1, Atoms: 2, VMin: 0, VMax: 1},
		"EvalCandidates": {Steps: 1, EvalCandidates: 0, Atoms: 2, VMin: 0, VMax: 1},
		"Atoms":          {Steps: 1, EvalCandidates: 1, Atoms: 1, VMin: 0, VMax: 1},
		"VMin":           {Steps: 1, EvalCandidates: 1, Atoms: 2, VMin: 1, VMax: 1},
	} {
		err, is := c.Validate().(*ConfigError)
		if !is || err.Field != field {
			t.Errorf("%+v: Validate() = %v, want a *ConfigError for %s", c, c.Validate(), field)
		}
	}
}
