package mfpo

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
)

// Presets names the configs ConfigFromJSON's "preset" key selects.
var Presets = map[string]func() Config{"paper": DefaultConfig, "small": SmallConfig}

// ConfigFromJSON reads a Config from a strict JSON object whose keys are
// the fields' snake_case names (as in Config's struct tags, e.g.
// "policy_samples", "time_sampler": {"mean": …}). An optional "preset"
// key ("paper", the default, or "small") gives the starting values; keys
// that are absent keep them. An unknown key, a value of the wrong type,
// trailing data or an invalid result is a *ConfigError naming the key.
func ConfigFromJSON(data []byte) (Config, error) {
	var head struct {
		Preset *string `json:"preset"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Config{}, jsonError(err)
	}
	start := DefaultConfig
	if head.Preset != nil {
		f, ok := Presets[*head.Preset]
		if !ok {
			return Config{}, configError("preset", *head.Preset, `want "paper" or "small"`)
		}
		start = f
	}
	cfg := start()
	var body struct {
		Preset *string `json:"preset"`
		*Config
	}
	body.Config = &cfg
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return Config{}, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Config{}, configError("(json)", "trailing data", "want exactly one JSON object")
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// JSON returns c as the JSON object ConfigFromJSON reads.
func (c Config) JSON() string {
	b, err := json.Marshal(c)
	if err != nil { // a struct of numbers, bools and slices of ints
		panic("mfpo: Config.JSON: " + err.Error())
	}
	return string(b)
}

// jsonKind names the JSON values a Go type reads, in the words of JSON
// (and of Python, whose json module writes them): "an integer ≥ 0" for a
// uint64, "a list, each element an integer" for a []int.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer ≥ 0"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list, each element " + jsonKind(t.Elem())
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a " + t.Kind().String()
}

// jsonError turns encoding/json's errors into a *ConfigError naming the key.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return configError("(json)", te.Value, "want a JSON object")
		}
		return configError(strings.TrimPrefix(te.Field, "Config."), "a JSON "+te.Value, "want "+jsonKind(te.Type))
	}
	if m := err.Error(); strings.HasPrefix(m, "json: unknown field ") {
		key := strings.Trim(strings.TrimPrefix(m, "json: unknown field "), `"`)
		return configError(key, "(present)", "unknown key")
	}
	return configError("(json)", err.Error(), "want a JSON object")
}
