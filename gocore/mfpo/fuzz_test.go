package mfpo

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzConfigJSON feeds arbitrary text to the config parser: a valid
// Config that round-trips through its JSON, or a *ConfigError; never a
// panic. The seed corpus (testdata/fuzz/FuzzConfigJSON) holds the
// presets, nested and repeated keys, nulls, huge numbers and bad UTF-8;
// `go test` runs the seeds, `make fuzz-limits` fuzzes.
func FuzzConfigJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, set, err := ParseConfig(data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("an error not a *ConfigError: %T %v", err, err)
			}
			return
		}
		if set.MaxBytes < 0 {
			t.Fatalf("max_bytes %d accepted", set.MaxBytes)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted an invalid config: %v", err)
		}
		back, err := ConfigFromJSON([]byte(cfg.JSON()))
		if err != nil || !reflect.DeepEqual(back, cfg) {
			t.Fatalf("the accepted config does not round-trip: %v\n%+v\n%+v", err, cfg, back)
		}
	})
}
