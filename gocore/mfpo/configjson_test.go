package mfpo

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/policy"
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
		`{"time_sampler": {"meen": 1}}`: "time_sampler.meen",
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

// The parser is strict: exact keys, no repeats, no null, integers that
// fit, valid UTF-8, nothing cut; each breach names the key.
func TestConfigJSONStrict(t *testing.T) {
	big := append([]byte(`{"steps": 2`), make([]byte, MaxConfigBytes)...)
	for i := len(`{"steps": 2`); i < len(big); i++ {
		big[i] = ' '
	}
	big = append(big, '}')
	for doc, key := range map[string]string{
		`{"HIDDEN": [64]}`:                         "HIDDEN",
		`{"ſeed": 3}`:                              "ſeed",
		`{"Steps": 3}`:                             "Steps",
		`{"steps": 3, "steps": 4}`:                 "steps",
		`{"time_sampler": {"mean": 0, "mean": 1}}`: "time_sampler.mean",
		`null`:                                   "(json)",
		`{"gamma": null}`:                        "gamma",
		`{"hidden": null}`:                       "hidden",
		`{"hidden": [64, null]}`:                 "hidden[1]",
		`{"time_sampler": null}`:                 "time_sampler",
		`{"steps": 2.5}`:                         "steps",
		`{"steps": 2e0}`:                         "steps",
		`{"steps": 99999999999999999999}`:        "steps",
		`{"seed": -1}`:                           "seed",
		`{"gamma": 1e400}`:                       "gamma",
		`{"preset": null}`:                       "preset",
		`{"preset": "small", "preset": "paper"}`: "preset",
		"{\"steps\": 2, \"x\xff\": 1}":           "(json)",
		`{"steps": 2`:                            "(json)",
		string(big):                              "(json)",
		`{"clipped_double_q": 1}`:                "clipped_double_q",
	} {
		_, err := ConfigFromJSON([]byte(doc))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != key {
			t.Errorf("%.60q: %v, want a *ConfigError naming %q", doc, err, key)
		}
	}
}

// A value of the wrong JSON type is named in JSON's words, never Go's.
func TestConfigJSONTypeErrorsSpeakJSON(t *testing.T) {
	for doc, want := range map[string]string{
		`{"gamma": "x"}`:                  `gamma = "x": want a number`,
		`{"batch_size": 3.5}`:             "batch_size = 3.5: want an integer",
		`{"seed": -1}`:                    "seed = -1: want an integer 0 … 2^64−1",
		`{"hidden": 3}`:                   "hidden = 3: want a JSON array",
		`{"exact_trace": 1}`:              "exact_trace = 1: want true or false",
		`{"time_sampler": 3}`:             "time_sampler = 3: want a JSON object",
		`{"time_sampler": {"mean": "x"}}`: `time_sampler.mean = "x": want a number`,
	} {
		_, err := ConfigFromJSON([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), "invalid config: "+want) || strings.Contains(err.Error(), "Go") {
			t.Errorf("%s: %v, want …%q", doc, err, want)
		}
	}
}

// Every field has an upper bound, so that no JSON reaches a panic or an
// allocation the size of the address space; the cases each name
// their field.
func TestConfigBounds(t *testing.T) {
	for doc, field := range map[string]string{
		`{"hidden": [4611686018427387904]}`:               "Hidden",
		`{"hidden": [2147483648]}`:                        "Hidden",
		`{"hidden": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}`: "Hidden",
		`{"atoms": 2147483648}`:                           "Atoms",
		`{"buffer_size": 2305843009213693952}`:            "BufferSize",
		`{"batch_size": 100000000}`:                       "BatchSize",
		`{"probes": 1099511627776}`:                       "Probes",
		`{"time_width": 4611686018427387904}`:             "TimeWidth",
		`{"time_features": 1000000}`:                      "TimeFeatures",
		`{"eval_candidates": 4611686018427387904}`:        "EvalCandidates",
		`{"eval_candidates": 2147483647}`:                 "EvalCandidates",
		`{"steps": 1000000000}`:                           "Steps",
		`{"posterior_samples": 16777216}`:                 "PosteriorSamples",
		`{"policy_samples": 16777216}`:                    "PolicySamples",
		`{"v_min": -1e39}`:                                "VMin",
		`{"v_min": 1, "v_max": 1.00000001}`:               "VMax",
		`{"v_min": -3e38, "v_max": 3e38, "atoms": 2}`:     "VMin",
		`{"shards": 65}`:                                  "Shards",
	} {
		_, err := ConfigFromJSON([]byte(doc))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: %v, want a *ConfigError naming %q", doc, err, field)
		}
	}
	c := DefaultConfig()
	c.Hidden, c.TimeWidth, c.Atoms, c.Steps = []int{MaxWidth}, MaxWidth, policy.MaxAtoms, policy.MaxSteps
	if err := c.Validate(); err != nil {
		t.Errorf("the largest values are valid: %v", err)
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
			// (v_min and v_max are held to a tighter bound, policy.MaxValue.)
			if !errors.As(err, &ce) || ce.Field != field || !strings.Contains(err.Error(), "1e+300") ||
				!(strings.Contains(err.Error(), "float32's range") || strings.Contains(err.Error(), "magnitude ≤")) {
				t.Errorf("%s = %s: %v, want a *ConfigError for %s naming 1e+300 and float32's range", key, v, err, field)
			}
		}
	}
}
