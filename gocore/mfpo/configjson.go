package mfpo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Presets names the configs ConfigFromJSON's "preset" key selects.
var Presets = map[string]func() Config{"paper": DefaultConfig, "small": SmallConfig}

// MaxConfigBytes is the longest JSON config ConfigFromJSON reads: a
// longer one is refused, never cut.
const MaxConfigBytes = 1 << 20

// Settings are the keys of a JSON config beside Config's fields: how an
// agent runs in this process, not what it is; never saved.
type Settings struct {
	// MaxBytes is the agent's memory limit in bytes (0: the process's,
	// MemoryLimit()): creating it and each call on it are refused with a
	// *SizeError when their estimate is over it.
	MaxBytes int64 `json:"max_bytes"`
	// Device is where the agent computes: "auto" (the default), "cpu" or
	// "cuda" (OpenBackend).
	Device string `json:"device"`
}

// ConfigFromJSON is ParseConfig without the Settings.
func ConfigFromJSON(data []byte) (Config, error) {
	cfg, _, err := ParseConfig(data)
	return cfg, err
}

// ParseConfig reads a Config and its Settings from a strict JSON object
// whose keys are the fields' snake_case names (as in Config's struct
// tags, e.g. "policy_samples", "time_sampler": {"mean": …}). An optional
// "preset" key ("paper", the default, or "small") gives the starting
// values; keys that are absent keep them; "max_bytes" and "device" are
// Settings'.
// Strict means: keys match their names byte for byte, each at most once;
// null is no value; integers are written as integers and fit their
// field; the text is valid UTF-8 of at most MaxConfigBytes with nothing
// after the object. Any breach, or an invalid
// result, is a *ConfigError naming the key.
func ParseConfig(data []byte) (Config, Settings, error) {
	cfg, set, err := parseConfig(data)
	if err != nil {
		return Config{}, Settings{}, err
	}
	return cfg, set, nil
}

func parseConfig(data []byte) (cfg Config, set Settings, err error) {
	if len(data) > MaxConfigBytes {
		return cfg, set, configError("(json)", fmt.Sprintf("a text longer than %d bytes", MaxConfigBytes), "want a config of at most that size")
	}
	if !utf8.Valid(data) {
		return cfg, set, configError("(json)", "invalid UTF-8", "want UTF-8 text")
	}
	dec := newDecoder(data)
	members, err := objectMembers(dec, "(json)")
	if err != nil {
		return cfg, set, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return cfg, set, configError("(json)", "trailing data", "want exactly one JSON object")
	}
	start := DefaultConfig
	for _, m := range members {
		if m.key != "preset" {
			continue
		}
		var name string
		if err := decodeValue(newDecoder(m.raw), reflect.ValueOf(&name).Elem(), "preset"); err != nil {
			return cfg, set, err
		}
		f, ok := Presets[name]
		if !ok {
			return cfg, set, configError("preset", name, `want "paper" or "small"`)
		}
		start = f
	}
	cfg = start()
	set.Device = "auto"
	v, sv := reflect.ValueOf(&cfg).Elem(), reflect.ValueOf(&set).Elem()
	for _, m := range members {
		into := v
		switch m.key {
		case "preset":
			continue
		case "max_bytes", "device":
			into = sv
		}
		if err := decodeMember(into, m, ""); err != nil {
			return cfg, set, err
		}
	}
	if set.MaxBytes < 0 {
		return cfg, set, configError("max_bytes", set.MaxBytes, "want ≥ 0 (0: the process's memory limit)")
	}
	if err := checkDevice(set.Device); err != nil {
		return cfg, set, err
	}
	return cfg, set, cfg.Validate()
}

// JSON returns c as the JSON object ConfigFromJSON reads.
func (c Config) JSON() string {
	b, err := json.Marshal(c)
	if err != nil { // a struct of numbers, bools and slices of ints
		panic("mfpo: Config.JSON: " + err.Error())
	}
	return string(b)
}

func newDecoder(data []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec
}

// member is one key of a JSON object and its value's text.
type member struct {
	key string
	raw json.RawMessage
}

// objectMembers reads one JSON object, in order, refusing a repeated key.
func objectMembers(dec *json.Decoder, name string) ([]member, error) {
	if err := delim(dec, '{', name, "want a JSON object"); err != nil {
		return nil, err
	}
	var ms []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(name, err)
		}
		key := tok.(string) // inside an object the decoder yields keys as strings
		if seen[key] {
			return nil, configError(join(name, key), "(repeated)", "each key at most once")
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, syntaxError(join(name, key), err)
		}
		ms = append(ms, member{key, raw})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, syntaxError(name, err)
	}
	return ms, nil
}

// decodeMember stores m into the field of struct v whose JSON tag is
// exactly m.key; prefix names the enclosing key in errors.
func decodeMember(v reflect.Value, m member, prefix string) error {
	name := join(prefix, m.key)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag == m.key {
			return decodeValue(newDecoder(m.raw), v.Field(i), name)
		}
	}
	return configError(name, "(present)", "unknown key")
}

// decodeValue reads one JSON value of v's kind into v.
func decodeValue(dec *json.Decoder, v reflect.Value, name string) error {
	if v.Kind() == reflect.Struct {
		ms, err := objectMembers(dec, name)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if err := decodeMember(v, m, name); err != nil {
				return err
			}
		}
		return nil
	}
	if v.Kind() == reflect.Slice {
		if err := delim(dec, '[', name, "want a JSON array"); err != nil {
			return err
		}
		s := reflect.MakeSlice(v.Type(), 0, 0)
		for i := 0; dec.More(); i++ {
			e := reflect.New(v.Type().Elem()).Elem()
			if err := decodeValue(dec, e, fmt.Sprintf("%s[%d]", name, i)); err != nil {
				return err
			}
			s = reflect.Append(s, e)
		}
		if _, err := dec.Token(); err != nil {
			return syntaxError(name, err)
		}
		v.Set(s)
		return nil
	}
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(name, err)
	}
	if tok == nil {
		return configError(name, "null", "null is no value; leave the key out to keep the default")
	}
	want := func(what string) error { return configError(name, tokenText(tok), "want "+what) }
	switch v.Kind() {
	case reflect.Bool:
		b, ok := tok.(bool)
		if !ok {
			return want("true or false")
		}
		v.SetBool(b)
	case reflect.String:
		s, ok := tok.(string)
		if !ok {
			return want("a string")
		}
		v.SetString(s)
	case reflect.Int, reflect.Int64:
		n, ok := tok.(json.Number)
		if !ok {
			return want("an integer")
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || v.OverflowInt(i) {
			return want("an integer of int64's range, without fraction or exponent")
		}
		v.SetInt(i)
	case reflect.Uint64:
		n, ok := tok.(json.Number)
		if !ok {
			return want("an integer")
		}
		u, err := strconv.ParseUint(string(n), 10, 64)
		if err != nil {
			return want("an integer 0 … 2^64−1, without fraction or exponent")
		}
		v.SetUint(u)
	case reflect.Float64:
		n, ok := tok.(json.Number)
		if !ok {
			return want("a number")
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return want("a number of float64's range")
		}
		v.SetFloat(f)
	default: // Config holds no other kind
		panic("mfpo: ConfigFromJSON: field kind " + v.Kind().String())
	}
	return nil
}

// delim reads the opening delimiter d, or fails with reason.
func delim(dec *json.Decoder, d json.Delim, name, reason string) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(name, err)
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return configError(name, tokenText(tok), reason)
	}
	return nil
}

func syntaxError(name string, err error) error {
	if err == io.EOF {
		return configError(name, "end of text", "want a JSON value")
	}
	return configError(name, "malformed JSON", err.Error())
}

// tokenText shows a token as JSON would write it, for errors.
func tokenText(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(t)
	case json.Delim:
		return string(t) + "…"
	}
	return fmt.Sprint(tok)
}

func join(prefix, key string) string {
	if prefix == "" || prefix == "(json)" {
		return key
	}
	return prefix + "." + key
}
