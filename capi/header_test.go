package main

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/buildinfo"
	"github.com/mfpo/mfpo/gocore/face"
)

// defines returns the object-like #define NAME VALUE lines of mfpo.h.
func defines(t *testing.T, header string) map[string]string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^#define\s+(\w+)\s+(.+?)\s*$`)
	m := map[string]string{}
	for _, d := range re.FindAllStringSubmatch(header, -1) {
		m[d[1]] = d[2]
	}
	return m
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHeaderVersion(t *testing.T) {
	d := defines(t, readFile(t, "mfpo.h"))
	if got, want := d["MFPO_VERSION"], `"`+buildinfo.Version+`"`; got != want {
		t.Errorf("mfpo.h: MFPO_VERSION is %s, buildinfo.Version is %s", got, want)
	}
	parts := fmt.Sprintf("%s.%s.%s", d["MFPO_VERSION_MAJOR"], d["MFPO_VERSION_MINOR"], d["MFPO_VERSION_PATCH"])
	if parts != buildinfo.Version {
		t.Errorf("mfpo.h: MFPO_VERSION_MAJOR.MINOR.PATCH is %s, buildinfo.Version is %s", parts, buildinfo.Version)
	}
}

// TestExportsDeclared checks that the //export functions of this package and
// the functions declared in mfpo.h are the same set. (The C compiler already
// checks that the signatures agree; see doc.go.)
func TestExportsDeclared(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	exportRe := regexp.MustCompile(`(?m)^//export\s+(\w+)\s*$`)
	var exported []string
	for _, e := range entries {
		if name := e.Name(); strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			for _, m := range exportRe.FindAllStringSubmatch(readFile(t, name), -1) {
				exported = append(exported, m[1])
			}
		}
	}
	declRe := regexp.MustCompile(`(?m)^[^#/*\s].*?\b(mfpo_\w+)\s*\(`)
	var declared []string
	for _, m := range declRe.FindAllStringSubmatch(readFile(t, "mfpo.h"), -1) {
		declared = append(declared, m[1])
	}
	sort.Strings(exported)
	sort.Strings(declared)
	if len(exported) == 0 || strings.Join(exported, " ") != strings.Join(declared, " ") {
		t.Errorf("//export functions %v, mfpo.h declares %v", exported, declared)
	}
}

func TestGuardRecovers(t *testing.T) {
	f := func() (s *int) {
		defer guard(&s, nil)
		v := 1
		s = &v
		panic("boom")
	}
	if got := f(); got != nil {
		t.Errorf("after a panic the result is %v, want the onPanic value nil", got)
	}
}

// TestStatusCodes checks that mfpo.h's MFPO_OK … MFPO_E* numbers are
// gocore/face's codes, in number and name, and that the MFPO_ACT_* and
// MFPO_SAVE_* numbers are face's.
func TestStatusCodes(t *testing.T) {
	d := defines(t, readFile(t, "mfpo.h"))
	for k, v := range d { // the number before a trailing comment
		d[k] = strings.Fields(v)[0]
	}
	n := 0
	for name := range d {
		if strings.HasPrefix(name, "MFPO_E") || name == "MFPO_OK" {
			n++
		}
	}
	if n != face.Codes {
		t.Errorf("mfpo.h defines %d status codes, face has %d", n, face.Codes)
	}
	for c := face.Code(0); int(c) < face.Codes; c++ {
		if got := d[c.Macro()]; got != fmt.Sprint(int(c)) {
			t.Errorf("mfpo.h: %s is %q, face says %d", c.Macro(), got, int(c))
		}
	}
	for name, want := range map[string]string{"MFPO_ACT_SAMPLE": "sample", "MFPO_ACT_DETERMINISTIC": "deterministic",
		"MFPO_ACT_BEST_OF_N": "best_of_n", "MFPO_ACT_EXPLORE": "explore"} {
		var k int
		fmt.Sscan(d[name], &k)
		if m, err := face.ModeOfNumber(k); err != nil || m.String() != want {
			t.Errorf("mfpo.h: %s = %s is face's mode %v (%v), want %q", name, d[name], m, err, want)
		}
	}
	for name, want := range map[string]face.SaveKind{"MFPO_SAVE_FULL": face.SaveFull, "MFPO_SAVE_REPLAY": face.SaveReplay, "MFPO_SAVE_POLICY": face.SavePolicy} {
		var k uint
		fmt.Sscanf(strings.TrimSuffix(d[name], "u"), "%d", &k)
		if got, err := face.SaveKindOf(k); err != nil || got != want {
			t.Errorf("mfpo.h: %s = %s is face's kind %v (%v), want %v", name, d[name], got, err, want)
		}
	}
}
