package mfpo

import (
	"errors"
	"reflect"
	"testing"
)

func TestConfigJSONRoundTrip(t *testing.T) {
	for name, preset := range Presets {
		c := preset()
		got, err := ConfigFromJSON([]byte(c.JSON()))
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("%s: round trip gave %+v, %v", name, got, err)
		}
	}
	c, err := ConfigFromJSON([]byte(`{"preset": "small", "policy_samples": 4, "time_sampler": {"uniform": true}, "clipped_double_q": false}`))
	want := SmallConfig()
	want.PolicySamples, want.TimeSampler.Uniform, want.ClippedDoubleQ = 4, true, false
	if err != nil || !reflect.DeepEqual(c, want) {
		t.Fatalf("overrides: %+v, %v", c, err)
	}
	if c, err := ConfigFromJSON([]byte(`{}`)); err != nil || !reflect.DeepEqual(c, DefaultConfig()) {
		t.Fatalf("empty object: %+v, %v", c, err)
	}
}

func TestConfigJSONErrorsNameTheKey(t *testing.T) {
	for doc, key := range map[string]string{
		`{"polcy_samples": 3}`:          "polcy_samples",
		`{"time_sampler": {"meen": 1}}`: "meen",
		`{"steps": "two"}`:              "steps",
		`{"steps": 0}`:                  "Steps",
		`{"preset": "huge"}`:            "preset",
		`{"gamma": 2}`:                  "Gamma",
		`[1, 2]`:                        "(json)",
		`{"steps": 2} {"steps": 3}`:     "(json)",
		`{"hidden": [64, -1]}`:          "Hidden",
	} {
		_, err := ConfigFromJSON([]byte(doc))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != key {
			t.Errorf("%s: %v, want a *ConfigError naming %q", doc, err, key)
		}
	}
}
