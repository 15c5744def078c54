package mfpo

import (
	"errors"
	"reflect"
	"strings"
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

// A value of the wrong JSON type is named in JSON's words, never Go's.
func TestConfigJSONTypeErrorsSpeakJSON(t *testing.T) {
	for doc, want := range map[string]string{
		`{"gamma": "x"}`:                  "gamma = a JSON string: want a number",
		`{"batch_size": 3.5}`:             "batch_size = a JSON number 3.5: want an integer",
		`{"seed": -1}`:                    "seed = a JSON number -1: want an integer ≥ 0",
		`{"hidden": 3}`:                   "hidden = a JSON number: want a list, each element an integer",
		`{"exact_trace": 1}`:              "exact_trace = a JSON number: want true or false",
		`{"time_sampler": 3}`:             "time_sampler = a JSON number: want an object",
		`{"time_sampler": {"mean": "x"}}`: "time_sampler.mean = a JSON string: want a number",
	} {
		_, err := ConfigFromJSON([]byte(doc))
		if err == nil || !strings.HasSuffix(err.Error(), "invalid config: "+want) {
			t.Errorf("%s: %v, want …%q", doc, err, want)
		}
	}
}

// A number float32 cannot hold is refused as given, not as the infinity
// float32 would make of it.
func TestConfigFloat32Range(t *testing.T) {
	for key, field := range map[string]string{"v_min": "VMin", "v_max": "VMax", "init_alpha": "InitAlpha",
		"target_entropy_per_dim": "TargetEntropyPerDim", "actor_lr": "ActorLR", "critic_lr": "CriticLR"} {
		for _, v := range []string{"1e300", "-1e300"} {
			_, err := ConfigFromJSON([]byte(`{"` + key + `": ` + v + `}`))
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != field || !strings.Contains(err.Error(), "1e+300") ||
				!strings.Contains(err.Error(), "float32's range") {
				t.Errorf("%s = %s: %v, want a *ConfigError for %s naming 1e+300 and float32's range", key, v, err, field)
			}
		}
	}
}
